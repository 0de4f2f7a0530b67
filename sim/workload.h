// Workload: the jobs a simulation submits, read from Apsis's workload CSV or imported from public
// cluster traces.
//
// Apsis workload CSV (one header row, then one job per row; '#' comments, blank lines skipped):
//   id,kind,submit_s,gpus,watts_per_gpu,gpu_hours,serve_s,latency_slo_ms,region,priority,
//   deferrable,preemptible,deadline_s,input_gb,output_gb,checkpoint_gb
// kind is training or inference; submit_s is seconds after the fleet's epoch; training needs
// gpu_hours (> 0), inference needs serve_s (serving period from submission) and latency_slo_ms;
// deadline_s (seconds after submission) and the last five columns may be empty. The full rules are
// in README.md ("apsis-sim").
//
// Importers map trace rows to jobs with documented rules (see ImportOptions and README.md). Every
// bad row is reported as "file:line:col: what; fix". Plain data; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "scheduler/core/model.h"

namespace apsis::sim {

struct Workload {
  std::vector<core::JobSpec> jobs;  // sorted by submission time, then id
  std::string source;               // file it came from
  size_t skipped_rows = 0;          // trace rows not turned into jobs (see the importer's rules)
};

enum class TraceFormat { kApsis, kAlibaba, kTiresias };
Result<TraceFormat> ParseTraceFormat(std::string_view name);  // apsis | alibaba | tiresias

// Knobs of the trace importers; defaults are what README.md documents.
struct ImportOptions {
  TimePoint epoch;                   // trace time `offset_s` maps here
  double offset_s = 0;               // trace seconds at the epoch (rows before it are skipped)
  Duration horizon = Hours(24 * 7);  // rows submitted at or after epoch + horizon are skipped
  uint64_t seed = 1;                 // picks each inference job's user region (deterministic)
  std::vector<std::string> regions = {"us-west", "us-east", "eu-west"};
  double watts_per_gpu = 700;      // H100 board power
  Duration max_serve = Hours(12);  // serving periods are clipped to this (planning horizon 24 h)
  Duration max_run = Hours(12);    // training run times likewise
  Duration min_duration = Seconds(60);  // shorter runs are rounded up to this
  double latency_slo_ms = 100;
  double inference_input_gb = 0.01;  // model weights are assumed cached; request state only
  double training_input_gb = 0.05;
  double training_output_gb = 0.5;
  double checkpoint_gb = 2;
};

Result<Workload> ParseWorkloadCsv(const std::string& text, const std::string& source,
                                  TimePoint epoch);
// Alibaba cluster-trace-gpu-v2023 (openb pods): qos LS → inference serving from creation to
// deletion; BE → deferrable preemptible training; Burstable and Guaranteed → training (Guaranteed
// not preemptible, priority 1); run time = deletion − scheduled (deletion − creation if never
// scheduled); GPU count = num_gpu (fractional shares take a whole GPU); pods without GPUs skipped.
Result<Workload> ParseAlibabaTrace(const std::string& text, const std::string& source,
                                   const ImportOptions& options);
// Tiresias (60-job trace): every job is preemptible training of num_gpu × duration GPU-seconds,
// submitted at submit_time.
Result<Workload> ParseTiresiasTrace(const std::string& text, const std::string& source,
                                    const ImportOptions& options);

Result<Workload> LoadWorkload(const std::string& path, TraceFormat format,
                              const ImportOptions& options);

// Writes `workload` in Apsis workload CSV (round-trips through ParseWorkloadCsv).
std::string WorkloadToCsv(const Workload& workload, TimePoint epoch);

}  // namespace apsis::sim
