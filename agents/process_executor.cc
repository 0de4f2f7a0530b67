#include "agents/process_executor.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace apsis::agents {
namespace {

std::string JoinIndices(const std::vector<uint32_t>& indices) {
  std::string text;
  for (uint32_t i : indices) {
    if (!text.empty()) text += ",";
    text += std::to_string(i);
  }
  return text;
}

// When `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat), or -1: with the pid
// it names one process, even after the pid is reused.
long long StartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t comm_end = stat.rfind(')');  // the command may hold spaces and parentheses
  if (comm_end == std::string::npos) return -1;
  std::istringstream fields(stat.substr(comm_end + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::atoll(field.c_str());
  }
  return -1;
}

}  // namespace

ProcessExecutor::ProcessExecutor(boost::asio::io_context& io, const Clock& clock,
                                 ProcessExecutorOptions options, EventSink sink)
    : io_(io),
      clock_(clock),
      options_(std::move(options)),
      sink_(std::move(sink)),
      reaper_(io, options_.poll_interval) {}

ProcessExecutor::~ProcessExecutor() {
  if (!options_.kill_on_destroy) return;
  for (auto& [id, job] : jobs_) {
    kill(-job->pid, SIGKILL);
    int status = 0;
    waitpid(job->pid, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
  }
}

Status ProcessExecutor::Start(const JobLaunch& launch) {
  const std::string& id = launch.spec.id();
  if (jobs_.count(id) != 0) return AlreadyExistsError("job '" + id + "' is already running");
  ASSIGN_OR_RETURN(const std::filesystem::path dir,
                   PrepareCommandJobDirectory(launch.spec, options_.work_root, name()));
  const std::filesystem::path checkpoint_dir = dir / "checkpoint";
  SpawnOptions spawn;
  spawn.argv.assign(launch.spec.command().begin(), launch.spec.command().end());
  spawn.env = options_.env;
  spawn.env["APSIS_JOB_ID"] = id;
  spawn.env["APSIS_CHECKPOINT_DIR"] = checkpoint_dir.string();
  spawn.env["APSIS_RESUME_GPU_HOURS"] = std::to_string(launch.resume_from_gpu_hours);
  spawn.env["CUDA_VISIBLE_DEVICES"] = JoinIndices(launch.gpu_indices);
  spawn.working_dir = dir.string();
  spawn.stdout_path = (dir / "stdout.log").string();
  spawn.stderr_path = (dir / "stderr.log").string();
  ASSIGN_OR_RETURN(pid_t pid, SpawnChild(spawn));
  std::ofstream(dir / "pid") << pid << " " << StartTicks(pid) << "\n";

  auto job = std::make_unique<Job>();
  job->launch = launch;
  job->pid = pid;
  job->started_at = clock_.Now();
  jobs_[id] = std::move(job);
  reaper_.Watch(pid, [this, id](ChildExit exit) { OnExit(id, exit); });
  LogInfo("job process started", {{"job", id}, {"pid", Kv(pid)}});
  ExecutorEvent started;
  started.job_id = id;
  started.kind = v1::JOB_EVENT_STARTED;
  started.at = clock_.Now();
  started.progress_gpu_hours = launch.resume_from_gpu_hours;
  Emit(std::move(started));
  return Status::Ok();
}

Status ProcessExecutor::Stop(const std::string& job_id, bool checkpoint) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("job '" + job_id + "' is not running here");
  Job& job = *it->second;
  job.stop_requested = true;
  if (!checkpoint) {
    kill(-job.pid, SIGKILL);
    return Status::Ok();
  }
  if (job.checkpoint_requested) return Status::Ok();  // already in its grace period
  job.checkpoint_requested = true;
  kill(-job.pid, SIGTERM);
  job.kill_timer = std::make_unique<boost::asio::steady_timer>(io_, options_.grace);
  const pid_t pid = job.pid;
  job.kill_timer->async_wait([this, job_id, pid](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second->pid != pid) return;
    LogWarn("job ignored SIGTERM for the grace period; killing it", {{"job", job_id}});
    kill(-pid, SIGKILL);
  });
  return Status::Ok();
}

void ProcessExecutor::OnExit(const std::string& job_id, ChildExit exit) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  std::unique_ptr<Job> job = std::move(it->second);
  jobs_.erase(it);
  // The main process is gone; anything it left in its group goes too (no orphans).
  kill(-job->pid, SIGKILL);
  if (job->kill_timer) job->kill_timer->cancel();
  const TimePoint now = clock_.Now();
  ExecutorEvent event;
  event.job_id = job_id;
  event.at = now;
  event.exit_code = exit.exit_code;
  event.message = exit.Describe();
  event.progress_gpu_hours = ProgressOf(*job, now);
  if (job->stop_requested) {
    event.kind = v1::JOB_EVENT_STOPPED;
    // Without a checkpoint the work since the resume point is lost.
    if (!job->checkpoint_requested) event.progress_gpu_hours = job->launch.resume_from_gpu_hours;
  } else if (exit.exit_code == 0 && exit.signal == 0) {
    event.kind = v1::JOB_EVENT_FINISHED;
  } else {
    event.kind = v1::JOB_EVENT_FAILED;
    event.progress_gpu_hours = job->launch.resume_from_gpu_hours;
  }
  LogInfo("job process ended", {{"job", job_id}, {"how", event.message}});
  Emit(std::move(event));
}

Status ProcessExecutor::Adopt(const JobLaunch& launch) {
  const std::string& id = launch.spec.id();
  if (!IsSafeJobId(id)) return InvalidArgumentError("job id '" + id + "' is not usable");
  std::ifstream in(std::filesystem::path(options_.work_root) / id / "pid");
  pid_t pid = -1;
  long long ticks = -1;
  std::string left = "none of its processes was left";
  if (in >> pid >> ticks && pid > 1 && ticks >= 0 && StartTicks(pid) == ticks) {
    kill(-pid, SIGKILL);
    left = "killed its process group " + std::to_string(pid) + ", left from before the restart";
    LogWarn("job processes left by a previous agent killed", {{"job", id}, {"pid", Kv(pid)}});
  }
  return UnimplementedError("the process executor cannot follow job '" + id +
                            "' to its end after an agent restart; " + left);
}

double ProcessExecutor::ProgressOf(const Job& job, TimePoint now) const {
  const double hours = ToSeconds(now - job.started_at) / 3600.0;
  return job.launch.resume_from_gpu_hours + hours * job.launch.spec.gpus();
}

std::vector<RunningJobInfo> ProcessExecutor::Running() const {
  std::vector<RunningJobInfo> out;
  const TimePoint now = clock_.Now();
  for (const auto& [id, job] : jobs_) {
    RunningJobInfo info;
    info.job_id = id;
    info.state = job->checkpoint_requested ? v1::JOB_STATE_CHECKPOINTING : v1::JOB_STATE_RUNNING;
    info.progress_gpu_hours = ProgressOf(*job, now);
    info.gpus = job->launch.spec.gpus();
    info.power_w = job->launch.spec.gpus() * job->launch.spec.watts_per_gpu();
    out.push_back(std::move(info));
  }
  return out;
}

pid_t ProcessExecutor::PidOf(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? -1 : it->second->pid;
}

void ProcessExecutor::Emit(ExecutorEvent event) {
  std::weak_ptr<int> alive = alive_;
  boost::asio::post(io_, [this, alive, event = std::move(event)]() mutable {
    if (alive.lock()) sink_(std::move(event));
  });
}

}  // namespace apsis::agents
