// ProcessExecutor: runs each job as a real child process on this machine.
//
// A job's argv is fork/exec'ed in its own process group with APSIS_JOB_ID, APSIS_CHECKPOINT_DIR
// and CUDA_VISIBLE_DEVICES (the assigned GPU indices) in its environment, in the working directory
// `<work_root>/<job id>/`, with stdout and stderr appended to `stdout.log` and `stderr.log` there.
// Stopping with checkpoint sends SIGTERM to the whole group (the job is expected to save its state
// into APSIS_CHECKPOINT_DIR and exit) and SIGKILL after the grace period; stopping without
// checkpoint sends SIGKILL at once. When the job's main process exits, whatever is left of its
// process group is killed, so a job never leaves orphans behind. Exit code 0 is JOB_EVENT_FINISHED,
// anything else JOB_EVENT_FAILED (exit_code 128+N for signal N), and JOB_EVENT_STOPPED after Stop.
//
// Progress is wall-clock GPU-hours (GPUs × time running on the agent's Clock) since the process
// cannot tell us more. Not thread-safe: use on the io_context thread (see executor.h).
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

struct ProcessExecutorOptions {
  std::string work_root = "/var/lib/apsis/jobs";  // one sub-directory per job
  // Real time a job gets between SIGTERM and SIGKILL when stopped with checkpoint.
  std::chrono::milliseconds grace{30'000};
  std::map<std::string, std::string> env;  // extra environment for every job
  // When the executor is destroyed: kill remaining jobs (true) or leave them running (false, for
  // an agent that shuts down with on_shutdown: leave-running).
  bool kill_on_destroy = true;
  std::chrono::milliseconds poll_interval{20};
};

class ProcessExecutor final : public Executor {
 public:
  ProcessExecutor(boost::asio::io_context& io, const Clock& clock, ProcessExecutorOptions options,
                  EventSink sink);
  ~ProcessExecutor() override;

  std::string_view name() const override { return "process"; }
  Status Start(const JobLaunch& launch) override;
  Status Stop(const std::string& job_id, bool checkpoint) override;
  std::vector<RunningJobInfo> Running() const override;
  // A job's processes outlive a killed agent, but their exit status goes to nobody, so the job
  // cannot be followed to its end: its leftover process group (recorded in <job dir>/pid) is
  // killed instead and this fails, so that the job, reported lost, resumes from its checkpoint
  // exactly once rather than running twice.
  Status Adopt(const JobLaunch& launch) override;

  // The process id (== process group id) of a running job, or -1.
  pid_t PidOf(const std::string& job_id) const;

 private:
  struct Job {
    JobLaunch launch;
    pid_t pid = -1;
    TimePoint started_at;
    bool stop_requested = false;
    bool checkpoint_requested = false;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
  };
  void OnExit(const std::string& job_id, ChildExit exit);
  double ProgressOf(const Job& job, TimePoint now) const;
  void Emit(ExecutorEvent event);

  boost::asio::io_context& io_;
  const Clock& clock_;
  ProcessExecutorOptions options_;
  EventSink sink_;
  ChildReaper reaper_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // guards posted events
};

}  // namespace apsis::agents
