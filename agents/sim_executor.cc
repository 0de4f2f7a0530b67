#include "agents/sim_executor.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <limits>

namespace apsis::agents {
namespace {
constexpr TimePoint kNever = TimePoint::FromMicros(std::numeric_limits<int64_t>::max());
}  // namespace

SimExecutor::SimExecutor(boost::asio::io_context& io, const Clock& clock,
                         SimExecutorOptions options, EventSink sink)
    : io_(io), clock_(clock), options_(options), sink_(std::move(sink)) {}

SimExecutor::~SimExecutor() = default;

Status SimExecutor::Start(const JobLaunch& launch) { return Launch(launch, true); }

Status SimExecutor::Launch(const JobLaunch& launch, bool announce) {
  const std::string& id = launch.spec.id();
  if (id.empty()) return InvalidArgumentError("job has no id");
  if (jobs_.count(id) != 0) return AlreadyExistsError("job '" + id + "' is already running");
  if (launch.spec.gpus() == 0) {
    return InvalidArgumentError("job '" + id + "' asks for 0 GPUs; the sim executor needs >= 1");
  }
  auto job = std::make_unique<Job>();
  job->launch = launch;
  job->started_at = clock_.Now();
  auto saved = checkpoints_.find(id);
  job->progress_at_start =
      std::max(launch.resume_from_gpu_hours, saved == checkpoints_.end() ? 0.0 : saved->second);
  job->required_gpu_hours = RequiredGpuHours(launch.spec);
  const int64_t own = launch.spec.training().checkpoint_interval_us();
  job->checkpoint_interval = own > 0 ? Duration(own) : options_.default_checkpoint_interval;
  job->timer = std::make_unique<ClockTimer>(io_, clock_);
  const double resumed = job->progress_at_start;
  jobs_[id] = std::move(job);
  if (!announce) {
    ScheduleNext(id);
    return Status::Ok();
  }

  ExecutorEvent started;
  started.job_id = id;
  started.kind = v1::JOB_EVENT_STARTED;
  started.at = clock_.Now();
  started.progress_gpu_hours = resumed;
  started.message = resumed > 0 ? "resumed from " + std::to_string(resumed) + " GPU-hours" : "";
  Emit(std::move(started));
  ScheduleNext(id);
  return Status::Ok();
}

double SimExecutor::ProgressAt(const Job& job, TimePoint t) const {
  const double hours = std::max(0.0, ToSeconds(t - job.started_at) / 3600.0);
  double progress = job.progress_at_start + hours * job.launch.spec.gpus();
  if (job.required_gpu_hours > 0) progress = std::min(progress, job.required_gpu_hours);
  return progress;
}

TimePoint SimExecutor::FinishTime(const Job& job) const {
  if (job.required_gpu_hours > 0) {
    const double remaining = std::max(0.0, job.required_gpu_hours - job.progress_at_start);
    return job.started_at + Seconds(remaining / job.launch.spec.gpus() * 3600.0);
  }
  const int64_t until = job.launch.spec.inference().serve_until_us();
  return until > 0 ? TimePoint::FromMicros(until) : kNever;
}

void SimExecutor::ScheduleNext(const std::string& job_id) {
  Job& job = *jobs_.at(job_id);
  const TimePoint next_checkpoint =
      job.required_gpu_hours > 0
          ? job.started_at + job.checkpoint_interval * (job.checkpoints_done + 1)
          : kNever;
  const TimePoint next = std::min(next_checkpoint, FinishTime(job));
  if (next == kNever) return;
  job.timer->WaitUntil(next, [this, job_id]() { OnTimer(job_id); });
}

void SimExecutor::OnTimer(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  Job& job = *it->second;
  const TimePoint finish = FinishTime(job);
  const TimePoint now = clock_.Now();
  // Checkpoints that fall due before the finish are reported in order, each at its own time.
  while (job.required_gpu_hours > 0) {
    const TimePoint due = job.started_at + job.checkpoint_interval * (job.checkpoints_done + 1);
    if (due > now || due >= finish) break;
    job.checkpoints_done++;
    const double progress = ProgressAt(job, due);
    checkpoints_[job_id] = progress;
    ExecutorEvent event;
    event.job_id = job_id;
    event.kind = v1::JOB_EVENT_CHECKPOINTED;
    event.at = due;
    event.progress_gpu_hours = progress;
    Emit(std::move(event));
  }
  if (finish <= now) {
    ExecutorEvent event;
    event.job_id = job_id;
    event.kind = v1::JOB_EVENT_FINISHED;
    event.at = finish;
    event.progress_gpu_hours = ProgressAt(job, finish);
    checkpoints_.erase(job_id);
    jobs_.erase(it);
    Emit(std::move(event));
    return;
  }
  ScheduleNext(job_id);
}

Status SimExecutor::Stop(const std::string& job_id, bool checkpoint) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("job '" + job_id + "' is not running here");
  Job& job = *it->second;
  const TimePoint now = clock_.Now();
  double progress = job.progress_at_start;
  auto saved = checkpoints_.find(job_id);
  if (saved != checkpoints_.end()) progress = std::max(progress, saved->second);
  if (checkpoint) {
    progress = ProgressAt(job, now);
    checkpoints_[job_id] = progress;
  }
  ExecutorEvent event;
  event.job_id = job_id;
  event.kind = v1::JOB_EVENT_STOPPED;
  event.at = now;
  event.progress_gpu_hours = progress;
  event.message = checkpoint ? "stopped after a checkpoint" : "stopped without checkpoint";
  jobs_.erase(it);
  Emit(std::move(event));
  return Status::Ok();
}

std::vector<RunningJobInfo> SimExecutor::Running() const {
  std::vector<RunningJobInfo> out;
  const TimePoint now = clock_.Now();
  for (const auto& [id, job] : jobs_) {
    RunningJobInfo info;
    info.job_id = id;
    info.state = v1::JOB_STATE_RUNNING;
    info.progress_gpu_hours = ProgressAt(*job, now);
    info.gpus = job->launch.spec.gpus();
    info.power_w = job->launch.spec.gpus() * job->launch.spec.watts_per_gpu();
    out.push_back(std::move(info));
  }
  return out;
}

double SimExecutor::LastCheckpoint(const std::string& job_id) const {
  auto it = checkpoints_.find(job_id);
  return it == checkpoints_.end() ? 0.0 : it->second;
}

void SimExecutor::Emit(ExecutorEvent event) {
  std::weak_ptr<int> alive = alive_;
  boost::asio::post(io_, [this, alive, event = std::move(event)]() mutable {
    if (alive.lock()) sink_(std::move(event));
  });
}

}  // namespace apsis::agents
