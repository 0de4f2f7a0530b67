// SlurmExecutor: hands jobs to the site's Slurm, making Apsis a meta-scheduler over it.
//
// Start writes a job script into `<work_root>/<job id>/` (the job's argv, APSIS_JOB_ID,
// APSIS_CHECKPOINT_DIR) and submits it with `sbatch --parsable --gres=gpu:N --job-name=apsis-<id>
// --time=<limit>`; Slurm itself sets CUDA_VISIBLE_DEVICES for the GPUs it allocates. Jobs are
// tracked by polling `scontrol show job -o` (sacct needs slurmdbd, which sites often lack) and
// Slurm states are mapped to Apsis job states; Stop cancels with `scancel` (with checkpoint:
// SIGTERM to every step first, then a plain scancel after the grace period). All commands run as
// short child processes watched asynchronously, so the event loop never waits for Slurm.
//
// Not thread-safe: use on the io_context thread (see executor.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "agents/child_process.h"
#include "agents/executor.h"
#include "common/clock.h"

namespace apsis::agents {

struct SlurmExecutorOptions {
  std::string work_root = "/var/lib/apsis/jobs";  // job scripts, logs and checkpoints
  std::string partition;                          // empty: Slurm's default partition
  std::string bin_dir;                            // where sbatch etc. live; empty: PATH
  std::map<std::string, std::string> env;         // e.g. SLURM_CONF for every Slurm command
  std::chrono::milliseconds poll_interval{2000};  // how often job states are read
  std::chrono::milliseconds grace{30'000};  // SIGTERM → scancel when stopping with checkpoint
  Duration default_time_limit = Hours(24);  // --time for jobs with no expected duration
  double time_limit_factor = 2.0;           // --time = expected duration × this factor
};

// What a Slurm job state means to Apsis.
enum class SlurmStateClass { kPending, kRunning, kSuspended, kCompleted, kCancelled, kFailed };

// Maps a Slurm JobState name (e.g. "RUNNING", "NODE_FAIL", "CANCELLED+") to its class; unknown
// names are treated as pending (still in Slurm's hands).
SlurmStateClass ClassifySlurmState(std::string_view state);
v1::JobState ToJobState(SlurmStateClass state_class);

// Fields of one `scontrol show job -o` line.
struct SlurmJobRecord {
  std::string job_state;
  std::string reason;
  int exit_code = 0;
  int exit_signal = 0;
};
Result<SlurmJobRecord> ParseScontrolJobLine(std::string_view line);

class SlurmExecutor final : public Executor {
 public:
  SlurmExecutor(boost::asio::io_context& io, const Clock& clock, SlurmExecutorOptions options,
                EventSink sink);
  ~SlurmExecutor() override;

  std::string_view name() const override { return "slurm"; }
  Status Start(const JobLaunch& launch) override;
  Status Stop(const std::string& job_id, bool checkpoint) override;
  std::vector<RunningJobInfo> Running() const override;

  // Slurm's job id for an Apsis job ("" until sbatch has answered).
  std::string SlurmIdOf(const std::string& job_id) const;

 private:
  struct Job {
    JobLaunch launch;
    std::string slurm_id;
    SlurmStateClass state = SlurmStateClass::kPending;
    bool started_reported = false;
    TimePoint running_since;
    bool stop_requested = false;
    bool checkpoint_requested = false;
    bool poll_in_flight = false;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
  };
  std::string Program(const std::string& name) const;
  void OnSubmitted(const std::string& job_id, Result<CommandRunner::Output> output);
  void Cancel(const std::string& job_id, bool signal_first);
  void ArmPoll();
  void PollAll();
  void OnJobRecord(const std::string& job_id, Result<CommandRunner::Output> output);
  void Finish(const std::string& job_id, v1::JobEventKind kind, int exit_code, std::string message);
  double ProgressOf(const Job& job, TimePoint now) const;
  Duration TimeLimit(const JobLaunch& launch) const;
  void Emit(ExecutorEvent event);

  boost::asio::io_context& io_;
  const Clock& clock_;
  SlurmExecutorOptions options_;
  EventSink sink_;
  CommandRunner commands_;
  boost::asio::steady_timer poll_timer_;
  bool poll_armed_ = false;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace apsis::agents
