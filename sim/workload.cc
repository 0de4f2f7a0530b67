#include "sim/workload.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "agents/child_process.h"
#include "sim/csv_reader.h"

namespace apsis::sim {
namespace {

const std::vector<std::string> kApsisHeader = {
    "id",         "kind",           "submit_s",  "gpus",         "watts_per_gpu", "gpu_hours",
    "serve_s",    "latency_slo_ms", "region",    "priority",     "deferrable",    "preemptible",
    "deadline_s", "input_gb",       "output_gb", "checkpoint_gb"};

// A stable 64-bit mix (splitmix64) of the seed and a job id: the same seed gives every job the
// same region on every machine.
uint64_t Mix(uint64_t seed, std::string_view id) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the id
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  uint64_t z = h + seed * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void SortJobs(Workload& w) {
  std::stable_sort(
      w.jobs.begin(), w.jobs.end(), [](const core::JobSpec& a, const core::JobSpec& b) {
        return a.submitted_at != b.submitted_at ? a.submitted_at < b.submitted_at : a.id < b.id;
      });
}

Status CheckUnique(const Workload& w) {
  std::vector<std::string> ids;
  ids.reserve(w.jobs.size());
  for (const core::JobSpec& j : w.jobs) ids.push_back(j.id);
  std::sort(ids.begin(), ids.end());
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) {
    return InvalidArgumentError(w.source + ": job id '" + *dup +
                                "' appears twice; ids must be "
                                "unique");
  }
  return Status::Ok();
}

core::JobSpec TrainingJob(std::string id, TimePoint submit, int gpus, Duration run,
                          const ImportOptions& o) {
  core::JobSpec j;
  j.id = std::move(id);
  j.kind = core::JobKind::kTraining;
  j.gpus = gpus;
  j.watts_per_gpu = o.watts_per_gpu;
  j.input_gb = o.training_input_gb;
  j.output_gb = o.training_output_gb;
  j.submitted_at = submit;
  j.earliest_start = submit;
  j.training.gpu_hours = gpus * ToSeconds(run) / 3600.0;
  j.training.checkpoint_interval = Minutes(30);
  j.training.checkpoint_gb = o.checkpoint_gb;
  return j;
}

Duration ClipRun(double seconds, Duration max, const ImportOptions& o) {
  return std::clamp(Seconds(seconds), o.min_duration, max);
}

}  // namespace

Result<TraceFormat> ParseTraceFormat(std::string_view name) {
  if (name == "apsis") return TraceFormat::kApsis;
  if (name == "alibaba") return TraceFormat::kAlibaba;
  if (name == "tiresias") return TraceFormat::kTiresias;
  return InvalidArgumentError("unknown trace format '" + std::string(name) +
                              "'; use apsis, alibaba or tiresias");
}

Result<Workload> ParseWorkloadCsv(const std::string& text, const std::string& source,
                                  TimePoint epoch) {
  CsvReader csv(text, source);
  Workload w;
  w.source = source;
  if (!csv.Next()) return InvalidArgumentError(source + ": empty workload; expected a header row");
  RETURN_IF_ERROR(ExpectHeader(csv, kApsisHeader));
  while (csv.Next()) {
    if (csv.size() != kApsisHeader.size()) {
      return csv.ErrorAtLine("expected " + std::to_string(kApsisHeader.size()) +
                             " fields (see the header), found " + std::to_string(csv.size()));
    }
    core::JobSpec j;
    j.id = std::string(csv.field(0));
    if (j.id.empty()) return csv.ErrorAt(0, "id is empty; give every job an id");
    const std::string_view kind = csv.field(1);
    if (kind == "training") {
      j.kind = core::JobKind::kTraining;
    } else if (kind == "inference") {
      j.kind = core::JobKind::kInference;
    } else {
      return csv.ErrorAt(1, "kind must be training or inference, got '" + std::string(kind) + "'");
    }
    ASSIGN_OR_RETURN(double submit_s, csv.Number(2, "submit_s"));
    if (submit_s < 0) return csv.ErrorAt(2, "submit_s must be >= 0 (seconds after the epoch)");
    j.submitted_at = epoch + Seconds(submit_s);
    j.earliest_start = j.submitted_at;
    ASSIGN_OR_RETURN(int64_t gpus, csv.Integer(3, "gpus"));
    if (gpus < 1 || gpus > 1'000'000) return csv.ErrorAt(3, "gpus must be 1..1000000");
    j.gpus = static_cast<int>(gpus);
    ASSIGN_OR_RETURN(j.watts_per_gpu, csv.Number(4, "watts_per_gpu"));
    if (j.watts_per_gpu < 0) return csv.ErrorAt(4, "watts_per_gpu must be >= 0");
    if (j.kind == core::JobKind::kTraining) {
      ASSIGN_OR_RETURN(j.training.gpu_hours, csv.Number(5, "gpu_hours"));
      if (!(j.training.gpu_hours > 0)) return csv.ErrorAt(5, "training needs gpu_hours > 0");
    } else {
      ASSIGN_OR_RETURN(double serve_s, csv.Number(6, "serve_s"));
      if (!(serve_s > 0)) return csv.ErrorAt(6, "inference needs serve_s > 0");
      j.inference.serve_start = j.submitted_at;
      j.inference.serve_end = j.submitted_at + Seconds(serve_s);
      ASSIGN_OR_RETURN(j.inference.latency_slo_ms, csv.Number(7, "latency_slo_ms"));
      if (!(j.inference.latency_slo_ms > 0)) {
        return csv.ErrorAt(7, "inference needs latency_slo_ms > 0");
      }
      if (csv.field(8).empty()) return csv.ErrorAt(8, "inference needs the user region");
    }
    j.region = std::string(csv.field(8));
    ASSIGN_OR_RETURN(double priority, csv.NumberOr(9, "priority", 0));
    // The scheduler's own range; it also keeps the conversion to int defined.
    if (!(priority >= -1000 && priority <= 1000)) {
      return csv.ErrorAt(9, "priority must be in [-1000, 1000]");
    }
    j.priority = static_cast<int>(priority);
    ASSIGN_OR_RETURN(j.training.deferrable, csv.Bool(10, "deferrable", false));
    ASSIGN_OR_RETURN(j.training.preemptible, csv.Bool(11, "preemptible", false));
    if (!csv.field(12).empty()) {
      ASSIGN_OR_RETURN(double deadline_s, csv.Number(12, "deadline_s"));
      if (!(deadline_s > 0)) return csv.ErrorAt(12, "deadline_s must be > 0 (after submission)");
      j.training.deadline = j.submitted_at + Seconds(deadline_s);
    }
    ASSIGN_OR_RETURN(j.input_gb, csv.NumberOr(13, "input_gb", 0));
    ASSIGN_OR_RETURN(j.output_gb, csv.NumberOr(14, "output_gb", 0));
    ASSIGN_OR_RETURN(j.training.checkpoint_gb, csv.NumberOr(15, "checkpoint_gb", 0));
    if (j.input_gb < 0 || j.output_gb < 0 || j.training.checkpoint_gb < 0) {
      return csv.ErrorAtLine("input_gb, output_gb and checkpoint_gb must be >= 0");
    }
    if (Status s = core::ValidateJobSpec(j); !s.ok()) return csv.ErrorAtLine(s.message());
    w.jobs.push_back(std::move(j));
  }
  RETURN_IF_ERROR(CheckUnique(w));
  SortJobs(w);
  return w;
}

Result<Workload> ParseAlibabaTrace(const std::string& text, const std::string& source,
                                   const ImportOptions& o) {
  CsvReader csv(text, source);
  Workload w;
  w.source = source;
  if (!csv.Next()) return InvalidArgumentError(source + ": empty trace; expected a header row");
  RETURN_IF_ERROR(
      ExpectHeader(csv, {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec",
                         "qos", "pod_phase", "creation_time", "deletion_time", "scheduled_time"}));
  while (csv.Next()) {
    if (csv.size() != 11) {
      return csv.ErrorAtLine("expected 11 fields (see the header), found " +
                             std::to_string(csv.size()));
    }
    const std::string name(csv.field(0));
    if (name.empty()) return csv.ErrorAt(0, "pod name is empty");
    ASSIGN_OR_RETURN(int64_t num_gpu, csv.Integer(3, "num_gpu"));
    if (num_gpu < 0 || num_gpu > 1'000'000) return csv.ErrorAt(3, "num_gpu must be 0..1000000");
    ASSIGN_OR_RETURN(double creation, csv.Number(8, "creation_time"));
    ASSIGN_OR_RETURN(double deletion, csv.Number(9, "deletion_time"));
    if (deletion < creation) {
      return csv.ErrorAt(9, "deletion_time is before creation_time; fix or drop the row");
    }
    double scheduled = creation;
    if (!csv.field(10).empty()) {
      ASSIGN_OR_RETURN(scheduled, csv.Number(10, "scheduled_time"));
      if (scheduled < creation) return csv.ErrorAt(10, "scheduled_time is before creation_time");
    }
    const std::string_view qos = csv.field(6);
    if (qos != "LS" && qos != "BE" && qos != "Burstable" && qos != "Guaranteed") {
      return csv.ErrorAt(
          6, "qos must be LS, BE, Burstable or Guaranteed, got '" + std::string(qos) + "'");
    }
    const TimePoint submit = o.epoch + Seconds(creation - o.offset_s);
    if (num_gpu == 0 || creation < o.offset_s || submit >= o.epoch + o.horizon) {
      ++w.skipped_rows;  // CPU-only pods, or outside the simulated window
      continue;
    }
    if (qos == "LS") {
      core::JobSpec j;
      j.id = name;
      j.kind = core::JobKind::kInference;
      j.gpus = static_cast<int>(num_gpu);
      j.watts_per_gpu = o.watts_per_gpu;
      j.input_gb = o.inference_input_gb;
      j.submitted_at = submit;
      j.earliest_start = submit;
      j.inference.serve_start = submit;
      j.inference.serve_end = submit + ClipRun(deletion - creation, o.max_serve, o);
      j.inference.latency_slo_ms = o.latency_slo_ms;
      j.region = o.regions[Mix(o.seed, name) % o.regions.size()];
      j.priority = 2;
      w.jobs.push_back(std::move(j));
    } else {
      core::JobSpec j = TrainingJob(name, submit, static_cast<int>(num_gpu),
                                    ClipRun(deletion - scheduled, o.max_run, o), o);
      j.training.deferrable = qos == "BE";
      j.training.preemptible = qos != "Guaranteed";
      j.priority = qos == "Guaranteed" ? 1 : 0;
      w.jobs.push_back(std::move(j));
    }
  }
  RETURN_IF_ERROR(CheckUnique(w));
  SortJobs(w);
  return w;
}

Result<Workload> ParseTiresiasTrace(const std::string& text, const std::string& source,
                                    const ImportOptions& o) {
  CsvReader csv(text, source);
  Workload w;
  w.source = source;
  if (!csv.Next()) return InvalidArgumentError(source + ": empty trace; expected a header row");
  RETURN_IF_ERROR(ExpectHeader(csv, {"job_id", "num_gpu", "submit_time", "iterations", "model_name",
                                     "duration", "interval"}));
  while (csv.Next()) {
    if (csv.size() != 7) {
      return csv.ErrorAtLine("expected 7 fields (see the header), found " +
                             std::to_string(csv.size()));
    }
    ASSIGN_OR_RETURN(int64_t id, csv.Integer(0, "job_id"));
    ASSIGN_OR_RETURN(int64_t num_gpu, csv.Integer(1, "num_gpu"));
    if (num_gpu < 1 || num_gpu > 1'000'000) return csv.ErrorAt(1, "num_gpu must be 1..1000000");
    ASSIGN_OR_RETURN(double submit_time, csv.Number(2, "submit_time"));
    ASSIGN_OR_RETURN(double duration, csv.Number(5, "duration"));
    if (!(duration > 0)) return csv.ErrorAt(5, "duration must be > 0 seconds");
    const TimePoint submit = o.epoch + Seconds(submit_time - o.offset_s);
    if (submit_time < o.offset_s || submit >= o.epoch + o.horizon) {
      ++w.skipped_rows;
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "tiresias-%04" PRId64, id);
    core::JobSpec j =
        TrainingJob(buf, submit, static_cast<int>(num_gpu), ClipRun(duration, o.max_run, o), o);
    j.training.preemptible = true;
    w.jobs.push_back(std::move(j));
  }
  RETURN_IF_ERROR(CheckUnique(w));
  SortJobs(w);
  return w;
}

Result<Workload> LoadWorkload(const std::string& path, TraceFormat format,
                              const ImportOptions& options) {
  ASSIGN_OR_RETURN(std::string text, agents::ReadWholeFile(path));
  switch (format) {
    case TraceFormat::kApsis:
      return ParseWorkloadCsv(text, path, options.epoch);
    case TraceFormat::kAlibaba:
      return ParseAlibabaTrace(text, path, options);
    case TraceFormat::kTiresias:
      return ParseTiresiasTrace(text, path, options);
  }
  return InvalidArgumentError("unknown trace format");
}

std::string WorkloadToCsv(const Workload& workload, TimePoint epoch) {
  std::string out;
  for (size_t i = 0; i < kApsisHeader.size(); ++i) out += (i ? "," : "") + kApsisHeader[i];
  out += "\n";
  char buf[512];
  for (const core::JobSpec& j : workload.jobs) {
    const bool training = j.kind == core::JobKind::kTraining;
    const double submit = ToSeconds(j.submitted_at - epoch);
    std::string deadline;
    if (training && j.training.deadline) {
      std::snprintf(buf, sizeof buf, "%.17g", ToSeconds(*j.training.deadline - j.submitted_at));
      deadline = buf;
    }
    std::string gpu_hours, serve, slo;
    if (training) {
      std::snprintf(buf, sizeof buf, "%.17g", j.training.gpu_hours);
      gpu_hours = buf;
    } else {
      std::snprintf(buf, sizeof buf, "%.17g",
                    ToSeconds(j.inference.serve_end - j.inference.serve_start));
      serve = buf;
      std::snprintf(buf, sizeof buf, "%.17g", j.inference.latency_slo_ms);
      slo = buf;
    }
    std::snprintf(
        buf, sizeof buf, "%s,%s,%.17g,%d,%.17g,%s,%s,%s,%s,%d,%s,%s,%s,%.17g,%.17g,%.17g\n",
        j.id.c_str(), training ? "training" : "inference", submit, j.gpus, j.watts_per_gpu,
        gpu_hours.c_str(), serve.c_str(), slo.c_str(), j.region.c_str(), j.priority,
        j.training.deferrable ? "true" : "false", j.training.preemptible ? "true" : "false",
        deadline.c_str(), j.input_gb, j.output_gb, j.training.checkpoint_gb);
    out += buf;
  }
  return out;
}

}  // namespace apsis::sim
