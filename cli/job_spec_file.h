// Job spec files for `apsisctl submit -f`: YAML in, v1::JobSpec messages out.
//
// A file holds one or more YAML documents (separated by `---`). Each document is either one job
// (a mapping with the fields below) or `jobs: [job, job, ...]`. Empty documents are skipped.
// Reading is strict: unknown keys (with a "did you mean" suggestion), wrong types, missing
// required fields and out-of-range values are all reported in one pass, each as
// "file:line:col: message". See configs/jobs/example-jobs.yaml for a commented example.
//
//   name: llm-pretrain-7b          # required: a human name (ids are unique, names need not be)
//   id: pretrain-7b-run3           # optional: letters, digits, - _ . ; the scheduler assigns
//                                  #   job-NNNNNN when absent
//   kind: training                 # required: training | inference
//   gpus: 64                       # required: 1 .. 100000
//   gpu_type: H100                 # optional: empty or absent means any type
//   watts_per_gpu: 700             # required: electrical draw per GPU at full load, W (0, 10000]
//   input_gb: 200                  # optional, default 0: data staged to the node before start
//   output_gb: 20                  # optional, default 0: data brought back after the end
//   priority: 10                   # optional, default 0: -1000 .. 1000, higher runs first
//   command: [python, train.py]    # optional: the program and its arguments (a list of strings)
//   user_region: eu-west           # optional: where the job's users are
//   not_before: 2026-12-01T00:00:00Z  # optional: earliest start (RFC 3339)
//   training:                      # required with kind: training, refused otherwise
//     gpu_hours: 5000              #   required: total work, > 0
//     checkpoint_interval: 1h      #   optional: duration (90s, 15m, 2h, 1h30m); default: none
//     checkpoint_gb: 30            #   optional, default 0: size of one checkpoint
//     deadline: 2026-12-08T00:00:00Z  # optional: must finish by (RFC 3339)
//     deferrable: true             #   optional, default false: may wait for cheap/clean energy
//     preemptible: true            #   optional, default false: may be stopped at a checkpoint
//   inference:                     # required with kind: inference, refused otherwise
//     from: 2026-12-01T08:00:00Z   #   required: start of the serving period (RFC 3339)
//     until: 2026-12-01T20:00:00Z  #   required: end of the serving period, after `from`
//     latency_slo_ms: 80           #   required: > 0, round trip to the users' region
//     user_region: us-east         #   where requests come from; this or the top-level
//                                  #   user_region is required
//     request_mbps: 50             #   optional, default 0: request/response data rate
//
// Times become int64 microseconds since the Unix epoch (`*_us` fields of the proto). Whether a
// deadline or serving period is already in the past is checked by the scheduler, against its own
// clock (which may be a scaled emulation clock), not here.
//
// Functions are thread-safe (they share no state).
#pragma once

#include <string>
#include <vector>

#include "apsis/v1/common.pb.h"
#include "common/status.h"

namespace apsis::cli {

// Reads `path` ("-" reads standard input). Errors: NOT_FOUND when the file cannot be read,
// INVALID_ARGUMENT with every problem on its own line ("file:line:col: message") otherwise.
Result<std::vector<v1::JobSpec>> LoadJobSpecFile(const std::string& path);

// The same from text already in memory; `name` is used as the file name in messages.
Result<std::vector<v1::JobSpec>> ParseJobSpecText(const std::string& text, const std::string& name);

// Rewrites the proto field names in the scheduler's job spec problems ("jobs[0].training.
// deadline_us: is in the past") into this file format's keys ("jobs[0].training.deadline: ..."),
// so that a refusal points at what the user wrote.
std::string WithSpecFileKeys(std::string scheduler_message);

}  // namespace apsis::cli
