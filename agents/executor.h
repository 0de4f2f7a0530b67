// Executor: how an agent runs the jobs the scheduler places on its node.
//
// Three implementations sit behind this interface: `sim` (emulated progress on the agent's Clock),
// `process` (a real child process per job) and `slurm` (jobs handed to the site's Slurm). The agent
// calls Start/Stop and learns what happened through the EventSink it passes at construction:
// started, checkpointed, finished, failed, stopped. Progress is counted in GPU-hours of work.
//
// Thread-safety: an executor lives on the agent's io_context thread. Every method must be called
// from that thread and the EventSink is invoked there, never from inside Start/Stop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "apsis/v1/agent.pb.h"
#include "apsis/v1/common.pb.h"
#include "common/status.h"
#include "common/time.h"

namespace apsis::agents {

// What the agent asks an executor to run.
struct JobLaunch {
  v1::JobSpec spec;
  double resume_from_gpu_hours = 0;  // work already done (restored from the last checkpoint)
  std::vector<uint32_t> gpu_indices;
};

// The launch a StartJob asks for on a node with `node_gpus` GPUs. A StartJob that asks for more
// GPUs than the node has, names a GPU index outside it or twice, or resumes from a negative or
// non-finite amount of work is refused (INVALID_ARGUMENT naming the field): it would otherwise
// make the agent allocate for billions of GPUs or hand an executor devices that do not exist.
// Without gpu_indices the job gets GPUs 0..gpus-1.
Result<JobLaunch> JobLaunchFromStartJob(const v1::StartJob& start, uint32_t node_gpus);

// Job ids become directory names: anything that could escape the work root is refused.
bool IsSafeJobId(const std::string& id);

// For executors that run a job's command: refuses an unsafe job id or a job without a command
// (naming `executor`), creates `work_root/<id>/checkpoint` and returns `work_root/<id>`.
Result<std::filesystem::path> PrepareCommandJobDirectory(const v1::JobSpec& spec,
                                                         const std::string& work_root,
                                                         std::string_view executor);

// Something that happened to a job; the agent turns it into a sequence-numbered JobEvent.
struct ExecutorEvent {
  std::string job_id;
  v1::JobEventKind kind = v1::JOB_EVENT_KIND_UNSPECIFIED;
  TimePoint at;
  double progress_gpu_hours = 0;  // work done up to the last checkpoint
  int exit_code = 0;
  std::string message;
};

// A job the executor is currently responsible for (reported in Hello after a restart).
struct RunningJobInfo {
  std::string job_id;
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  double progress_gpu_hours = 0;
  uint32_t gpus = 0;
  double power_w = 0;  // electrical draw of the job's GPUs now
};

class Executor {
 public:
  using EventSink = std::function<void(ExecutorEvent)>;

  virtual ~Executor() = default;

  // "sim", "process" or "slurm".
  virtual std::string_view name() const = 0;

  // Begins running `launch`. Fails (without emitting events) if the job id is already running or
  // the job cannot be launched at all; later failures arrive as JOB_EVENT_FAILED.
  virtual Status Start(const JobLaunch& launch) = 0;

  // Stops a running job. With `checkpoint` the job is asked to save its state first (and given a
  // grace period); without, it is ended at once. Emits JOB_EVENT_STOPPED when it has stopped.
  virtual Status Stop(const std::string& job_id, bool checkpoint) = 0;

  virtual std::vector<RunningJobInfo> Running() const = 0;

  // After an agent restart: takes charge again of a job this node was running when the agent
  // stopped (`launch` as recorded, resuming from its last checkpoint). Emits no STARTED: the
  // scheduler already knows the job runs. Fails if this executor cannot take jobs over; the agent
  // then reports the job lost so that the scheduler re-queues it.
  virtual Status Adopt(const JobLaunch& launch) {
    return UnimplementedError("the " + std::string(name()) + " executor cannot take over job '" +
                              launch.spec.id() + "' after an agent restart");
  }

  // Total electrical draw of running jobs (W), for the power models and heartbeats.
  double PowerDrawW() const {
    double total = 0;
    for (const RunningJobInfo& job : Running()) total += job.power_w;
    return total;
  }
  uint32_t GpusBusy() const {
    uint32_t total = 0;
    for (const RunningJobInfo& job : Running()) total += job.gpus;
    return total;
  }
};

// The GPU-hours a job must complete: the training spec's work, or 0 for serving jobs (which run
// until their serving period ends or they are stopped).
double RequiredGpuHours(const v1::JobSpec& spec);

}  // namespace apsis::agents
