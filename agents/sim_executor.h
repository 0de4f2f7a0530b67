// SimExecutor: emulated jobs for demos, emulations and the simulator.
//
// A job makes progress at its GPU count in GPU-hours per hour of the agent's Clock (so a scaled
// clock speeds it up), checkpoints every checkpoint interval (the job's own, or the configured
// default), and finishes when its training work is done or its serving period ends. Stopping with
// checkpoint saves the progress so far; stopping without keeps only the last checkpoint. A job
// started again resumes from the later of the scheduler's resume point and the last checkpoint
// this executor saved for it. Power draw is GPUs × watts per GPU while running.
//
// Not thread-safe: use on the io_context thread (see executor.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>

#include "agents/executor.h"
#include "common/clock.h"
#include "common/clock_timer.h"

namespace apsis::agents {

struct SimExecutorOptions {
  Duration default_checkpoint_interval = Minutes(30);  // for jobs that do not set their own
};

class SimExecutor final : public Executor {
 public:
  SimExecutor(boost::asio::io_context& io, const Clock& clock, SimExecutorOptions options,
              EventSink sink);
  ~SimExecutor() override;

  std::string_view name() const override { return "sim"; }
  Status Start(const JobLaunch& launch) override;
  Status Stop(const std::string& job_id, bool checkpoint) override;
  std::vector<RunningJobInfo> Running() const override;
  // Resumes the job from `launch.resume_from_gpu_hours` (its last checkpoint), like a restart
  // from a checkpoint, without a new STARTED event.
  Status Adopt(const JobLaunch& launch) override { return Launch(launch, false); }

  // The progress saved by the last checkpoint of a job (0 if none).
  double LastCheckpoint(const std::string& job_id) const;

 private:
  struct Job {
    JobLaunch launch;
    TimePoint started_at;
    double progress_at_start = 0;
    double required_gpu_hours = 0;  // 0: serving job, runs until serve_until or Stop
    Duration checkpoint_interval{};
    int checkpoints_done = 0;
    std::unique_ptr<ClockTimer> timer;
  };
  Status Launch(const JobLaunch& launch, bool announce);
  double ProgressAt(const Job& job, TimePoint t) const;
  TimePoint FinishTime(const Job& job) const;
  void ScheduleNext(const std::string& job_id);
  void OnTimer(const std::string& job_id);
  void Emit(ExecutorEvent event);

  boost::asio::io_context& io_;
  const Clock& clock_;
  SimExecutorOptions options_;
  EventSink sink_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::map<std::string, double> checkpoints_;  // job id -> GPU-hours at its last checkpoint
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace apsis::agents
