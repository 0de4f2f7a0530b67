#include "agents/slurm_executor.h"

#include <boost/asio/post.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/log.h"

namespace apsis::agents {
namespace {

// Single-quotes `text` for /bin/sh.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return text.substr(i);
}

// Value of `key=` in a `scontrol -o` line (space-separated key=value pairs), or nullopt.
std::optional<std::string> Field(std::string_view line, std::string_view key) {
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = std::min(line.find(' ', pos), line.size());
    const std::string_view token = line.substr(pos, end - pos);
    if (token.size() > key.size() && token.substr(0, key.size()) == key &&
        token[key.size()] == '=') {
      return std::string(token.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

SlurmStateClass ClassifySlurmState(std::string_view state) {
  // scontrol may append '+' (e.g. "CANCELLED+") or " by <uid>".
  const std::string_view name = state.substr(0, state.find_first_of("+ "));
  if (name == "RUNNING" || name == "COMPLETING" || name == "STAGE_OUT" || name == "SIGNALING") {
    return SlurmStateClass::kRunning;
  }
  if (name == "SUSPENDED" || name == "PREEMPTED" || name == "STOPPED") {
    return SlurmStateClass::kSuspended;
  }
  if (name == "COMPLETED") return SlurmStateClass::kCompleted;
  if (name == "CANCELLED" || name == "REVOKED") return SlurmStateClass::kCancelled;
  if (name == "FAILED" || name == "TIMEOUT" || name == "NODE_FAIL" || name == "OUT_OF_MEMORY" ||
      name == "BOOT_FAIL" || name == "DEADLINE" || name == "SPECIAL_EXIT") {
    return SlurmStateClass::kFailed;
  }
  return SlurmStateClass::kPending;  // PENDING, CONFIGURING, REQUEUED, RESIZING, ...
}

v1::JobState ToJobState(SlurmStateClass state_class) {
  switch (state_class) {
    case SlurmStateClass::kPending:
      return v1::JOB_STATE_STARTING;
    case SlurmStateClass::kRunning:
      return v1::JOB_STATE_RUNNING;
    case SlurmStateClass::kSuspended:
      return v1::JOB_STATE_SUSPENDED;
    case SlurmStateClass::kCompleted:
      return v1::JOB_STATE_SUCCEEDED;
    case SlurmStateClass::kCancelled:
      return v1::JOB_STATE_CANCELLED;
    case SlurmStateClass::kFailed:
      return v1::JOB_STATE_FAILED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

Result<SlurmJobRecord> ParseScontrolJobLine(std::string_view line) {
  SlurmJobRecord record;
  std::optional<std::string> state = Field(line, "JobState");
  if (!state) {
    return InvalidArgumentError("scontrol output has no JobState field: '" +
                                std::string(line.substr(0, 200)) + "'");
  }
  record.job_state = *state;
  record.reason = Field(line, "Reason").value_or("");
  const std::string exit = Field(line, "ExitCode").value_or("0:0");
  const size_t colon = exit.find(':');
  try {
    record.exit_code = std::stoi(exit.substr(0, colon));
    if (colon != std::string::npos) record.exit_signal = std::stoi(exit.substr(colon + 1));
  } catch (const std::exception&) {
    return InvalidArgumentError("scontrol ExitCode '" + exit + "' is not 'code:signal'");
  }
  return record;
}

SlurmExecutor::SlurmExecutor(boost::asio::io_context& io, const Clock& clock,
                             SlurmExecutorOptions options, EventSink sink)
    : io_(io),
      clock_(clock),
      options_(std::move(options)),
      sink_(std::move(sink)),
      commands_(io, options_.work_root, options_.env),
      poll_timer_(io) {}

SlurmExecutor::~SlurmExecutor() { poll_timer_.cancel(); }

std::string SlurmExecutor::Program(const std::string& name) const {
  return options_.bin_dir.empty() ? name : options_.bin_dir + "/" + name;
}

Duration SlurmExecutor::TimeLimit(const JobLaunch& launch) const {
  const v1::JobSpec& spec = launch.spec;
  Duration expected = options_.default_time_limit;
  const double remaining = RequiredGpuHours(spec) - launch.resume_from_gpu_hours;
  if (spec.kind() == v1::JOB_KIND_TRAINING && remaining > 0 && spec.gpus() > 0) {
    expected = Seconds(remaining / spec.gpus() * 3600.0 * options_.time_limit_factor);
  } else if (spec.kind() == v1::JOB_KIND_INFERENCE && spec.inference().serve_until_us() > 0) {
    expected = TimePoint::FromMicros(spec.inference().serve_until_us()) - clock_.Now();
  }
  return std::max(expected, Minutes(1));
}

Status SlurmExecutor::Start(const JobLaunch& launch) {
  const std::string& id = launch.spec.id();
  if (jobs_.count(id) != 0) return AlreadyExistsError("job '" + id + "' is already running");
  ASSIGN_OR_RETURN(const std::filesystem::path dir,
                   PrepareCommandJobDirectory(launch.spec, options_.work_root, name()));
  const std::filesystem::path checkpoint_dir = dir / "checkpoint";
  const std::string script_path = (dir / "job.sh").string();
  {
    std::ofstream script(script_path, std::ios::trunc);
    script << "#!/bin/sh\n# Written by apsis-agent for job " << id << ".\n";
    script << "export APSIS_JOB_ID=" << ShellQuote(id) << "\n";
    script << "export APSIS_CHECKPOINT_DIR=" << ShellQuote(checkpoint_dir.string()) << "\n";
    script << "export APSIS_RESUME_GPU_HOURS=" << launch.resume_from_gpu_hours << "\n";
    script << "exec";
    for (const std::string& arg : launch.spec.command()) script << " " << ShellQuote(arg);
    script << "\n";
    if (!script) return UnavailableError("cannot write job script '" + script_path + "'");
  }
  // sbatch reads the script itself; the mode only helps someone running it by hand.
  std::error_code ignored;
  std::filesystem::permissions(script_path, std::filesystem::perms::owner_all, ignored);

  const int64_t minutes = static_cast<int64_t>(std::ceil(ToSeconds(TimeLimit(launch)) / 60.0));
  std::vector<std::string> argv = {Program("sbatch"),
                                   "--parsable",
                                   "--job-name=apsis-" + id,
                                   "--time=" + std::to_string(minutes),
                                   "--chdir=" + dir.string(),
                                   "--output=" + (dir / "stdout.log").string(),
                                   "--error=" + (dir / "stderr.log").string()};
  if (launch.spec.gpus() > 0) argv.push_back("--gres=gpu:" + std::to_string(launch.spec.gpus()));
  if (!options_.partition.empty()) argv.push_back("--partition=" + options_.partition);
  argv.push_back(script_path);

  auto job = std::make_unique<Job>();
  job->launch = launch;
  jobs_[id] = std::move(job);
  commands_.Run(std::move(argv), [this, id](Result<CommandRunner::Output> output) {
    OnSubmitted(id, std::move(output));
  });
  return Status::Ok();
}

void SlurmExecutor::OnSubmitted(const std::string& job_id, Result<CommandRunner::Output> output) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  if (!output.ok() || output->exit.exit_code != 0) {
    const std::string why =
        output.ok() ? Trim(output->stderr_text) + " (sbatch " + output->exit.Describe() + ")"
                    : output.status().message();
    LogWarn("sbatch failed", {{"job", job_id}, {"error", why}});
    Finish(job_id, v1::JOB_EVENT_FAILED, output.ok() ? output->exit.exit_code : -1,
           "sbatch failed: " + why);
    return;
  }
  // --parsable prints "jobid" or "jobid;cluster".
  std::string slurm_id = Trim(output->stdout_text);
  slurm_id = slurm_id.substr(0, slurm_id.find(';'));
  if (slurm_id.empty()) {
    Finish(job_id, v1::JOB_EVENT_FAILED, -1, "sbatch printed no job id");
    return;
  }
  Job& job = *it->second;
  job.slurm_id = slurm_id;
  LogInfo("job submitted to slurm", {{"job", job_id}, {"slurm_job", slurm_id}});
  if (job.stop_requested) Cancel(job_id, job.checkpoint_requested);
  ArmPoll();
}

Status SlurmExecutor::Stop(const std::string& job_id, bool checkpoint) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("job '" + job_id + "' is not running here");
  Job& job = *it->second;
  if (job.stop_requested && (job.checkpoint_requested == checkpoint || !checkpoint)) {
    if (!checkpoint && job.checkpoint_requested) {
      job.checkpoint_requested = false;
      if (!job.slurm_id.empty()) Cancel(job_id, false);
    }
    return Status::Ok();
  }
  job.stop_requested = true;
  job.checkpoint_requested = checkpoint;
  if (!job.slurm_id.empty()) Cancel(job_id, checkpoint);
  return Status::Ok();
}

void SlurmExecutor::Cancel(const std::string& job_id, bool signal_first) {
  Job& job = *jobs_.at(job_id);
  const std::string slurm_id = job.slurm_id;
  auto report = [job_id](Result<CommandRunner::Output> output) {
    if (!output.ok() || output->exit.exit_code != 0) {
      LogWarn("scancel failed",
              {{"job", job_id},
               {"error", output.ok() ? Trim(output->stderr_text) : output.status().message()}});
    }
  };
  if (!signal_first || job.state == SlurmStateClass::kPending) {
    commands_.Run({Program("scancel"), slurm_id}, report);
    return;
  }
  // SIGTERM to the batch script and every step so the job can checkpoint, then cancel for real.
  commands_.Run({Program("scancel"), "--signal=TERM", "--full", slurm_id}, report);
  job.kill_timer = std::make_unique<boost::asio::steady_timer>(io_, options_.grace);
  job.kill_timer->async_wait([this, job_id, slurm_id, report](const boost::system::error_code& ec) {
    if (ec || jobs_.count(job_id) == 0) return;
    commands_.Run({Program("scancel"), slurm_id}, report);
  });
}

void SlurmExecutor::ArmPoll() {
  if (poll_armed_ || jobs_.empty()) return;
  poll_armed_ = true;
  poll_timer_.expires_after(options_.poll_interval);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    poll_armed_ = false;
    if (ec) return;
    PollAll();
    ArmPoll();
  });
}

void SlurmExecutor::PollAll() {
  for (auto& [id, job] : jobs_) {
    if (job->slurm_id.empty() || job->poll_in_flight) continue;
    job->poll_in_flight = true;
    commands_.Run({Program("scontrol"), "show", "job", "-o", job->slurm_id},
                  [this, id = id](Result<CommandRunner::Output> output) {
                    OnJobRecord(id, std::move(output));
                  });
  }
}

void SlurmExecutor::OnJobRecord(const std::string& job_id, Result<CommandRunner::Output> output) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  Job& job = *it->second;
  job.poll_in_flight = false;
  if (!output.ok()) {
    LogWarn("cannot run scontrol", {{"error", output.status().message()}});
    return;
  }
  if (output->exit.exit_code != 0) {
    // The job left Slurm's memory (MinJobAge passed, or slurmctld lost it).
    if (output->stderr_text.find("Invalid job id") != std::string::npos) {
      Finish(job_id, job.stop_requested ? v1::JOB_EVENT_STOPPED : v1::JOB_EVENT_LOST, -1,
             "slurm no longer knows job " + job.slurm_id);
    } else {
      LogWarn("scontrol failed", {{"job", job_id}, {"error", Trim(output->stderr_text)}});
    }
    return;
  }
  Result<SlurmJobRecord> record = ParseScontrolJobLine(Trim(output->stdout_text));
  if (!record.ok()) {
    LogWarn("unexpected scontrol output", {{"error", record.status().message()}});
    return;
  }
  const SlurmStateClass state = ClassifySlurmState(record->job_state);
  const TimePoint now = clock_.Now();
  if (state != SlurmStateClass::kPending && !job.started_reported) {
    job.started_reported = true;
    job.running_since = now;
    ExecutorEvent started;
    started.job_id = job_id;
    started.kind = v1::JOB_EVENT_STARTED;
    started.at = now;
    started.progress_gpu_hours = job.launch.resume_from_gpu_hours;
    started.message = "slurm job " + job.slurm_id;
    Emit(std::move(started));
  }
  job.state = state;
  const std::string detail =
      "slurm job " + job.slurm_id + " " + record->job_state +
      (record->reason.empty() || record->reason == "None" ? "" : " (" + record->reason + ")");
  const int exit_code = record->exit_signal != 0 ? 128 + record->exit_signal : record->exit_code;
  switch (state) {
    case SlurmStateClass::kCompleted:
      Finish(job_id, job.stop_requested ? v1::JOB_EVENT_STOPPED : v1::JOB_EVENT_FINISHED, exit_code,
             detail);
      break;
    case SlurmStateClass::kCancelled:
      Finish(job_id, job.stop_requested ? v1::JOB_EVENT_STOPPED : v1::JOB_EVENT_FAILED, exit_code,
             job.stop_requested ? detail : detail + ", cancelled outside Apsis");
      break;
    case SlurmStateClass::kFailed:
      Finish(job_id, job.stop_requested ? v1::JOB_EVENT_STOPPED : v1::JOB_EVENT_FAILED, exit_code,
             detail);
      break;
    default:
      break;
  }
}

void SlurmExecutor::Finish(const std::string& job_id, v1::JobEventKind kind, int exit_code,
                           std::string message) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  std::unique_ptr<Job> job = std::move(it->second);
  jobs_.erase(it);
  if (job->kill_timer) job->kill_timer->cancel();
  ExecutorEvent event;
  event.job_id = job_id;
  event.kind = kind;
  event.at = clock_.Now();
  event.exit_code = exit_code;
  event.message = std::move(message);
  const bool keeps_work = kind == v1::JOB_EVENT_FINISHED ||
                          (kind == v1::JOB_EVENT_STOPPED && job->checkpoint_requested);
  event.progress_gpu_hours =
      keeps_work ? ProgressOf(*job, event.at) : job->launch.resume_from_gpu_hours;
  LogInfo("slurm job ended", {{"job", job_id}, {"how", event.message}});
  Emit(std::move(event));
}

double SlurmExecutor::ProgressOf(const Job& job, TimePoint now) const {
  if (!job.started_reported) return job.launch.resume_from_gpu_hours;
  const double hours = ToSeconds(now - job.running_since) / 3600.0;
  return job.launch.resume_from_gpu_hours + hours * job.launch.spec.gpus();
}

std::vector<RunningJobInfo> SlurmExecutor::Running() const {
  std::vector<RunningJobInfo> out;
  const TimePoint now = clock_.Now();
  for (const auto& [id, job] : jobs_) {
    RunningJobInfo info;
    info.job_id = id;
    info.state = job->checkpoint_requested ? v1::JOB_STATE_CHECKPOINTING : ToJobState(job->state);
    info.progress_gpu_hours = ProgressOf(*job, now);
    info.gpus = job->launch.spec.gpus();
    // Only jobs Slurm is actually running draw power.
    info.power_w = job->state == SlurmStateClass::kRunning
                       ? job->launch.spec.gpus() * job->launch.spec.watts_per_gpu()
                       : 0.0;
    out.push_back(std::move(info));
  }
  return out;
}

std::string SlurmExecutor::SlurmIdOf(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? "" : it->second->slurm_id;
}

void SlurmExecutor::Emit(ExecutorEvent event) {
  std::weak_ptr<int> alive = alive_;
  boost::asio::post(io_, [this, alive, event = std::move(event)]() mutable {
    if (alive.lock()) sink_(std::move(event));
  });
}

}  // namespace apsis::agents
