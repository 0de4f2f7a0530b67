#include "agents/agent.h"

#include <boost/asio/post.hpp>
#include <cmath>
#include <filesystem>

#include "agents/ground_power_model.h"
#include "agents/orbital_power_model.h"
#include "agents/process_executor.h"
#include "agents/sim_executor.h"
#include "agents/slurm_executor.h"
#include "common/log.h"
#include "transport/curve_keys.h"

namespace apsis::agents {

struct Agent::Instruments {
  explicit Instruments(metrics::MetricRegistry& r)
      : draw(r.GetGauge("apsis_agent_power_draw_watts", "Electrical draw of running jobs")),
        available(r.GetGauge("apsis_agent_power_available_watts",
                             "Power available to jobs now (grid/PUE or array minus bus)")),
        battery(r.GetGauge("apsis_agent_battery_soc_watt_hours", "Measured battery charge")),
        battery_predicted(r.GetGauge("apsis_agent_battery_predicted_soc_watt_hours",
                                     "Battery charge the last forecast predicted for now")),
        jobs(r.GetGauge("apsis_agent_jobs_running", "Jobs the executor is running")),
        gpus(r.GetGauge("apsis_agent_gpus_busy", "GPUs assigned to running jobs")),
        queued(r.GetGauge("apsis_agent_event_queue_length",
                          "Job events not yet acknowledged by the scheduler")),
        registered(r.GetGauge("apsis_agent_registered", "1 after the scheduler's Welcome")),
        in_contact(r.GetGauge("apsis_agent_in_contact",
                              "1 inside a ground-station contact window (orbital)")),
        next_contact(r.GetGauge("apsis_agent_next_contact_seconds",
                                "Seconds until the next contact window opens (orbital)")),
        events(r.GetCounter("apsis_agent_job_events_total", "Job events recorded")),
        forecasts(r.GetCounter("apsis_agent_forecasts_sent_total", "Forecasts sent")),
        heartbeats(r.GetCounter("apsis_agent_heartbeats_sent_total", "Heartbeats sent")),
        hellos(r.GetCounter("apsis_agent_hellos_sent_total", "Hello messages sent")) {}
  metrics::Gauge& draw;
  metrics::Gauge& available;
  metrics::Gauge& battery;
  metrics::Gauge& battery_predicted;
  metrics::Gauge& jobs;
  metrics::Gauge& gpus;
  metrics::Gauge& queued;
  metrics::Gauge& registered;
  metrics::Gauge& in_contact;
  metrics::Gauge& next_contact;
  metrics::Counter& events;
  metrics::Counter& forecasts;
  metrics::Counter& heartbeats;
  metrics::Counter& hellos;
};

Agent::Agent(boost::asio::io_context& io, const Clock& clock, AgentConfig config,
             metrics::MetricRegistry& metrics)
    : io_(io),
      clock_(clock),
      config_(std::move(config)),
      instruments_(std::make_unique<Instruments>(metrics)),
      hello_timer_(io, clock),
      heartbeat_timer_(io, clock),
      forecast_timer_(io, clock),
      resend_timer_(io, clock),
      shutdown_timer_(io),
      heartbeat_interval_(config_.heartbeat_interval),
      hello_backoff_(config_.hello_retry) {}

Agent::~Agent() = default;

Result<std::unique_ptr<Agent>> Agent::Create(boost::asio::io_context& io, zmq::context_t& zmq,
                                             const Clock& clock, AgentConfig config,
                                             metrics::MetricRegistry& metrics, bool insecure) {
  std::unique_ptr<Agent> agent(new Agent(io, clock, std::move(config), metrics));
  AgentConfig& c = agent->config_;
  const TimePoint now = clock.Now();

  // Keys first: a misconfigured agent fails before it touches the disk.
  transport::DealerClientOptions options;
  options.endpoint = c.scheduler_endpoint;
  if (insecure) {
    LogWarn(
        "*** INSECURE: CURVE is off; traffic to the scheduler is neither encrypted nor "
        "authenticated. Use --insecure for local development only. ***",
        {{"node", c.spec.id()}});
  } else {
    if (c.client_key.empty() || c.server_public_key.empty()) {
      return InvalidArgumentError(
          c.source +
          ": scheduler.client_key and scheduler.server_public_key are required "
          "(CURVE is on by default); create keys with 'apsisctl keygen' or run with "
          "--insecure for local development");
    }
    Result<transport::CurveKeyPair> keys = transport::LoadCurveKeyPair(c.client_key);
    if (!keys.ok()) return keys.status().WithContext("scheduler.client_key");
    Result<std::string> server = transport::LoadCurvePublicKey(c.server_public_key);
    if (!server.ok()) return server.status().WithContext("scheduler.server_public_key");
    options.curve = *keys;
    options.server_public_key = *server;
  }
  if (c.orbital) {
    ASSIGN_OR_RETURN(std::unique_ptr<OrbitalPowerModel> model,
                     OrbitalPowerModel::Create(*c.orbital, c.spec.id(), now));
    agent->contacts_ = std::make_unique<ContactPlan>(model->sgp4(), c.stations);
    agent->power_model_ = std::move(model);
  } else if (c.ground) {
    agent->power_model_ = std::make_unique<GroundPowerModel>(*c.ground);
  } else {
    return InvalidArgumentError(c.source + ": the node needs a 'ground' or 'orbital' section");
  }
  agent->forecasts_ = std::make_unique<ForecastBuilder>(
      c.spec.id(), c.forecast, *agent->power_model_, agent->contacts_.get(), c.latencies);

  std::error_code ec;
  std::filesystem::create_directories(c.state_dir, ec);
  if (ec) {
    return UnavailableError("cannot create state_dir '" + c.state_dir + "': " + ec.message());
  }
  ASSIGN_OR_RETURN(agent->journal_, EventJournal::Open(c.state_dir + "/events.journal"));
  ASSIGN_OR_RETURN(agent->running_, RunningJobRecords::Open(c.state_dir + "/running"));

  Agent* self = agent.get();
  auto sink = [self](ExecutorEvent event) { self->OnExecutorEvent(std::move(event)); };
  switch (c.executor) {
    case ExecutorKind::kSim:
      agent->executor_ = std::make_unique<SimExecutor>(io, clock, c.sim, sink);
      break;
    case ExecutorKind::kProcess:
      agent->executor_ = std::make_unique<ProcessExecutor>(io, clock, c.process, sink);
      break;
    case ExecutorKind::kSlurm:
      agent->executor_ = std::make_unique<SlurmExecutor>(io, clock, c.slurm, sink);
      break;
  }

  ASSIGN_OR_RETURN(agent->client_, transport::DealerClient::Create(
                                       io, zmq, options, [self](v1::Envelope&& envelope) {
                                         self->OnEnvelope(std::move(envelope));
                                       }));
  return agent;
}

void Agent::Start() {
  started_ = true;
  LogInfo("agent starting", {{"node", config_.spec.id()},
                             {"executor", std::string(executor_->name())},
                             {"scheduler", config_.scheduler_endpoint},
                             {"queued_events", Kv(journal_->pending().size())}});
  TakeOverRunningJobs();
  UpdatePower();
  RefreshContacts();
  SendHello();
  ArmHelloRetry();
  ArmResend();
  UpdateMetrics();
}

void Agent::RefreshContacts() {
  if (!contacts_) return;
  const TimePoint now = clock_.Now();
  Result<std::vector<ContactWindow>> windows =
      contacts_->Windows(now, now + config_.forecast.horizon);
  if (!windows.ok()) {
    LogError("cannot compute contact windows", {{"error", windows.status().message()}});
    return;
  }
  windows_.clear();
  for (const ContactWindow& w : *windows) windows_.emplace_back(w.aos, w.los);
  UpdateContactMetrics();
}

void Agent::UpdateContactMetrics() {
  if (!contacts_) return;
  const TimePoint now = clock_.Now();
  bool in_contact = false;
  double next = -1;
  for (const auto& [aos, los] : windows_) {
    if (aos <= now && now < los) in_contact = true;
    if (aos > now && next < 0) next = ToSeconds(aos - now);
  }
  instruments_->in_contact.Set(in_contact ? 1 : 0);
  instruments_->next_contact.Set(next);
}

void Agent::Send(v1::Envelope envelope) {
  if (stopping_) return;
  envelope.set_sender(config_.spec.id());
  envelope.set_sent_at_us(clock_.Now().micros());
  client_->Send(std::move(envelope));
}

void Agent::SendHello() {
  v1::Envelope envelope;
  v1::Hello* hello = envelope.mutable_hello();
  *hello->mutable_spec() = config_.spec;
  for (const RunningJobInfo& job : executor_->Running()) {
    v1::RunningJob* running = hello->add_running();
    running->set_job_id(job.job_id);
    running->set_state(job.state);
    running->set_progress_gpu_hours(job.progress_gpu_hours);
  }
  hello->set_agent_version(kAgentVersion);
  hello->set_agent_time_us(clock_.Now().micros());
  instruments_->hellos.Increment();
  Send(std::move(envelope));
}

void Agent::ArmHelloRetry() {
  // Back off while the scheduler stays silent (down, or a closed space link) so that Hellos do not
  // pile up in the socket's queue; start over after every Welcome.
  hello_timer_.WaitFor(hello_backoff_, [this]() {
    if (registered_ || stopping_) return;
    hello_backoff_ = std::min(hello_backoff_ * 2, config_.hello_retry * 16);
    SendHello();
    ArmHelloRetry();
  });
}

void Agent::OnEnvelope(v1::Envelope&& envelope) {
  if (stopping_) return;
  switch (envelope.body_case()) {
    case v1::Envelope::kWelcome:
      OnWelcome(envelope.welcome());
      break;
    case v1::Envelope::kStartJob:
      OnStartJob(envelope.start_job());
      break;
    case v1::Envelope::kStopJob:
      OnStopJob(envelope.stop_job());
      break;
    case v1::Envelope::kAck:
      OnAck(envelope.ack());
      break;
    case v1::Envelope::kError: {
      const v1::Error& error = envelope.error();
      LogWarn("scheduler reported an error",
              {{"code", v1::ErrorCode_Name(error.code())}, {"message", error.message()}});
      // The scheduler no longer knows us (restarted, or our Hello was lost): introduce ourselves.
      if (error.code() == v1::ERROR_CODE_NOT_FOUND ||
          error.code() == v1::ERROR_CODE_FAILED_PRECONDITION) {
        registered_ = false;
        SendHello();
        ArmHelloRetry();
      }
      break;
    }
    default:
      LogWarn("ignoring unexpected message from the scheduler",
              {{"body", transport::BodyName(envelope)}});
  }
  UpdateMetrics();
}

void Agent::OnWelcome(const v1::Welcome& welcome) {
  const bool first = !registered_;
  registered_ = true;
  hello_timer_.Cancel();
  hello_backoff_ = config_.hello_retry;
  if (welcome.heartbeat_interval_us() > 0) {
    heartbeat_interval_ = Duration(welcome.heartbeat_interval_us());
  }
  // Events the scheduler already recorded need not be sent again, and new events must be
  // numbered above them even if this agent's journal was lost.
  if (Status s = journal_->Acknowledge(welcome.last_event_sequence()); !s.ok()) {
    LogError("cannot record acknowledgement", {{"error", s.message()}});
  }
  if (Status s = journal_->EnsureSequenceAbove(welcome.last_event_sequence()); !s.ok()) {
    LogError("cannot record sequence floor", {{"error", s.message()}});
  }
  LogInfo("registered with the scheduler",
          {{"node", config_.spec.id()},
           {"heartbeat_interval", FormatDuration(heartbeat_interval_)},
           {"pending_events", Kv(journal_->pending().size())}});
  // Every Welcome gets a forecast: the one sent after the previous Welcome may have been lost
  // with a cut link or a restarted scheduler, and the next is due only after forecast.interval.
  SendForecast("welcome");
  if (first) {
    ArmForecast();
    ArmHeartbeat();
  }
  ResendPendingEvents();
}

void Agent::OnAck(const v1::Ack& ack) {
  if (Status s = journal_->Acknowledge(ack.sequence()); !s.ok()) {
    LogError("cannot record acknowledgement", {{"error", s.message()}});
  }
}

void Agent::OnStartJob(const v1::StartJob& start) {
  const std::string& id = start.job().id();
  if (pending_starts_.count(id) != 0 || energy_marks_.count(id) != 0) {
    LogInfo("ignoring repeated StartJob", {{"job", id}});
    return;
  }
  // A StartJob re-sent before our report of this job's run reached the scheduler (e.g. across a
  // closed space link) must not run the job a second time.
  for (const v1::JobEvent& event : journal_->pending()) {
    if (event.job_id() == id) {
      LogInfo("ignoring StartJob for a job whose events await acknowledgement", {{"job", id}});
      return;
    }
  }
  PendingStart pending;
  pending.start = start;
  pending.timer = std::make_unique<ClockTimer>(io_, clock_);
  const TimePoint at = TimePoint::FromMicros(start.start_at_us());
  pending.timer->WaitUntil(at, [this, id]() { RunStart(id); });
  pending_starts_[id] = std::move(pending);
  LogInfo("job start scheduled", {{"job", id}, {"at", FormatRfc3339(at)}});
}

void Agent::TakeOverRunningJobs() {
  // Jobs this node ran when the agent last stopped: the executor takes them over where it can, and
  // the Hello reports them; a job it cannot take over is reported lost, so the scheduler re-queues
  // it from its last checkpoint.
  std::vector<v1::StartJob> records;
  for (const auto& [id, start] : running_->records()) records.push_back(start);
  for (const v1::StartJob& start : records) {
    const std::string& id = start.job().id();
    Result<JobLaunch> launch = JobLaunchFromStartJob(start, config_.spec.gpus().count());
    Status adopted = launch.status();
    if (launch.ok()) {
      job_watts_[id] = launch->spec.gpus() * launch->spec.watts_per_gpu();
      adopted = executor_->Adopt(*launch);
    }
    if (adopted.ok()) {
      energy_marks_[id] = {clock_.Now(), job_watts_[id]};
      LogInfo("job taken over after an agent restart",
              {{"job", id}, {"from_gpu_hours", Kv(start.resume_from_gpu_hours())}});
      continue;
    }
    LogWarn("job not taken over after an agent restart; reporting it lost",
            {{"job", id}, {"error", adopted.message()}});
    ExecutorEvent lost;
    lost.job_id = id;
    lost.kind = v1::JOB_EVENT_LOST;
    lost.at = clock_.Now();
    lost.progress_gpu_hours = std::max(0.0, start.resume_from_gpu_hours());
    lost.message = "the agent restarted: " + adopted.message();
    OnExecutorEvent(std::move(lost));
  }
}

void Agent::RunStart(const std::string& job_id) {
  auto it = pending_starts_.find(job_id);
  if (it == pending_starts_.end()) return;
  const v1::StartJob start = std::move(it->second.start);
  pending_starts_.erase(it);
  Result<JobLaunch> launch = JobLaunchFromStartJob(start, config_.spec.gpus().count());
  Status status = launch.status();
  if (launch.ok()) {
    UpdatePower();
    job_watts_[job_id] = launch->spec.gpus() * launch->spec.watts_per_gpu();
    status = executor_->Start(*launch);
  }
  if (status.ok()) {
    v1::StartJob record = start;
    record.clear_gpu_indices();
    for (uint32_t i : launch->gpu_indices) record.add_gpu_indices(i);
    if (Status saved = running_->Save(record); !saved.ok()) {
      LogError("cannot record the running job; an agent restart will not take it over",
               {{"job", job_id}, {"error", saved.message()}});
    }
  }
  if (!status.ok()) {
    LogWarn("job could not be started", {{"job", job_id}, {"error", status.message()}});
    ExecutorEvent failed;
    failed.job_id = job_id;
    failed.kind = v1::JOB_EVENT_FAILED;
    failed.at = clock_.Now();
    // Work done so far stays credited unless the StartJob's own figure was unusable.
    const double resume = start.resume_from_gpu_hours();
    failed.progress_gpu_hours = std::isfinite(resume) && resume > 0 ? resume : 0;
    failed.exit_code = -1;
    failed.message = status.message();
    OnExecutorEvent(std::move(failed));
  }
}

void Agent::OnStopJob(const v1::StopJob& stop) {
  const std::string& id = stop.job_id();
  auto pending = pending_starts_.find(id);
  if (pending != pending_starts_.end() &&
      TimePoint::FromMicros(stop.stop_at_us()) <=
          TimePoint::FromMicros(pending->second.start.start_at_us())) {
    // Stopped before it ever started.
    const double resume = pending->second.start.resume_from_gpu_hours();
    pending_starts_.erase(pending);
    ExecutorEvent stopped;
    stopped.job_id = id;
    stopped.kind = v1::JOB_EVENT_STOPPED;
    stopped.at = clock_.Now();
    stopped.progress_gpu_hours = resume;
    stopped.message = "stopped before its start time: " + stop.reason();
    OnExecutorEvent(std::move(stopped));
    return;
  }
  PendingStop entry;
  entry.stop = stop;
  entry.timer = std::make_unique<ClockTimer>(io_, clock_);
  entry.timer->WaitUntil(TimePoint::FromMicros(stop.stop_at_us()), [this, id]() { RunStop(id); });
  pending_stops_[id] = std::move(entry);
}

void Agent::RunStop(const std::string& job_id) {
  auto it = pending_stops_.find(job_id);
  if (it == pending_stops_.end()) return;
  const v1::StopJob stop = std::move(it->second.stop);
  pending_stops_.erase(it);
  Status status = executor_->Stop(job_id, stop.checkpoint());
  if (!status.ok()) {
    LogWarn("cannot stop job", {{"job", job_id}, {"error", status.message()}});
  }
}

void Agent::OnExecutorEvent(ExecutorEvent event) {
  UpdatePower();
  v1::JobEvent job_event;
  job_event.set_node_id(config_.spec.id());
  job_event.set_job_id(event.job_id);
  job_event.set_kind(event.kind);
  job_event.set_at_us(event.at.micros());
  job_event.set_progress_gpu_hours(event.progress_gpu_hours);
  job_event.set_exit_code(event.exit_code);
  job_event.set_message(event.message);
  // Energy since the job's previous event, at the draw it had then.
  auto mark = energy_marks_.find(event.job_id);
  if (mark != energy_marks_.end()) {
    const double hours = std::max(0.0, ToSeconds(event.at - mark->second.at) / 3600.0);
    job_event.set_energy_kwh(mark->second.watts * hours / 1000.0);
  }
  const bool ended = event.kind == v1::JOB_EVENT_FINISHED || event.kind == v1::JOB_EVENT_FAILED ||
                     event.kind == v1::JOB_EVENT_STOPPED || event.kind == v1::JOB_EVENT_LOST;
  if (ended) {
    energy_marks_.erase(event.job_id);
  } else {
    // The job's nominal draw: events may arrive after the executor has moved on (several
    // checkpoints and the finish can fall due in one clock step).
    auto nominal = job_watts_.find(event.job_id);
    energy_marks_[event.job_id] = {event.at, nominal == job_watts_.end() ? 0.0 : nominal->second};
  }
  if (ended) job_watts_.erase(event.job_id);
  Status recorded_running = ended ? running_->Forget(event.job_id)
                            : event.kind == v1::JOB_EVENT_CHECKPOINTED
                                ? running_->Checkpointed(event.job_id, event.progress_gpu_hours)
                                : Status::Ok();
  if (!recorded_running.ok()) {
    LogWarn("cannot update the running-job record",
            {{"job", event.job_id}, {"error", recorded_running.message()}});
  }
  Result<v1::JobEvent> recorded = journal_->Append(std::move(job_event));
  if (!recorded.ok()) {
    LogError("cannot persist job event; it will be lost if the agent restarts",
             {{"job", event.job_id}, {"error", recorded.status().message()}});
    return;
  }
  instruments_->events.Increment();
  LogInfo("job event", {{"job", event.job_id},
                        {"kind", v1::JobEventKind_Name(event.kind)},
                        {"sequence", Kv(recorded->sequence())}});
  if (registered_) {
    v1::Envelope envelope;
    *envelope.mutable_job_event() = *recorded;
    Send(std::move(envelope));
  }
  if (event.kind == v1::JOB_EVENT_STARTED || ended) {
    // A material change: the scheduler should plan on the new draw at once (once per burst).
    if (!forecast_posted_ && registered_) {
      forecast_posted_ = true;
      boost::asio::post(io_, [this]() {
        forecast_posted_ = false;
        SendForecast("job started or stopped");
      });
    }
  }
  if (stopping_ && shutdown_done_ && executor_->Running().empty()) {
    shutdown_timer_.cancel();
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done();
  }
  UpdateMetrics();
}

void Agent::ResendPendingEvents() {
  if (!registered_ || stopping_) return;
  for (const v1::JobEvent& event : journal_->pending()) {
    v1::Envelope envelope;
    *envelope.mutable_job_event() = event;
    Send(std::move(envelope));
  }
  acked_at_last_resend_ = journal_->acknowledged();
}

void Agent::ArmResend() {
  resend_timer_.WaitFor(config_.event_resend_interval, [this]() {
    if (stopping_) return;
    // Resend only when nothing was acknowledged in a whole interval: the scheduler deduplicates,
    // but there is no point flooding a link that is working.
    // Out of contact, resending would only pile copies up in front of the closed link.
    if (!journal_->pending().empty() && journal_->acknowledged() == acked_at_last_resend_ &&
        InContact(clock_.Now())) {
      ResendPendingEvents();
    }
    acked_at_last_resend_ = journal_->acknowledged();
    ArmResend();
  });
}

bool Agent::InContact(TimePoint t) const {
  if (!contacts_ || config_.relay.mode == link::RelayMode::kAlways) return true;
  if (windows_.empty()) return true;  // no forecast yet: we cannot tell, so assume contact
  for (const auto& [aos, los] : windows_) {
    if (aos <= t && t < los) return true;
  }
  return false;
}

void Agent::UpdatePower() {
  const TimePoint now = clock_.Now();
  power_model_->Integrate(now, job_draw_w_);
  job_draw_w_ = executor_->PowerDrawW();
}

void Agent::SendHeartbeat() {
  UpdatePower();
  v1::Envelope envelope;
  v1::Heartbeat* heartbeat = envelope.mutable_heartbeat();
  heartbeat->set_node_id(config_.spec.id());
  heartbeat->set_agent_time_us(clock_.Now().micros());
  heartbeat->set_battery_soc_wh(power_model_->BatterySocWh());
  heartbeat->set_power_draw_w(job_draw_w_);
  heartbeat->set_gpus_busy(executor_->GpusBusy());
  heartbeat->set_queued_events(static_cast<uint32_t>(journal_->pending().size()));
  instruments_->heartbeats.Increment();
  Send(std::move(envelope));
}

void Agent::ArmHeartbeat() {
  heartbeat_timer_.WaitFor(heartbeat_interval_, [this]() {
    if (stopping_) return;
    SendHeartbeat();
    // The battery drifting from what the last forecast promised is a material change.
    const std::optional<double> predicted = power_model_->PredictedSocWh(clock_.Now());
    double threshold = config_.soc_deviation_wh;
    if (threshold <= 0 && config_.orbital) threshold = 0.05 * config_.orbital->battery.capacity_wh;
    if (predicted && threshold > 0 &&
        std::abs(*predicted - power_model_->BatterySocWh()) > threshold) {
      SendForecast("battery charge deviates from the forecast");
    }
    UpdateMetrics();
    ArmHeartbeat();
  });
}

void Agent::SendForecast(const std::string& why) {
  if (stopping_) return;
  UpdatePower();
  Result<v1::Forecast> forecast = forecasts_->Build(clock_.Now(), job_draw_w_);
  if (!forecast.ok()) {
    LogError("cannot build forecast", {{"error", forecast.status().message()}});
    return;
  }
  if (contacts_) {
    windows_.clear();
    for (const v1::ContactWindow& w : forecast->windows()) {
      windows_.emplace_back(TimePoint::FromMicros(w.aos_us()), TimePoint::FromMicros(w.los_us()));
    }
  }
  LogDebug("forecast", {{"why", why}, {"revision", Kv(forecast->revision())}});
  v1::Envelope envelope;
  *envelope.mutable_forecast() = std::move(*forecast);
  forecasts_sent_++;
  instruments_->forecasts.Increment();
  Send(std::move(envelope));
}

void Agent::ArmForecast() {
  forecast_timer_.WaitFor(config_.forecast_interval, [this]() {
    if (stopping_) return;
    SendForecast("periodic");
    ArmForecast();
  });
}

void Agent::UpdateMetrics() {
  const TimePoint now = clock_.Now();
  instruments_->draw.Set(job_draw_w_);
  instruments_->available.Set(power_model_->AvailableW(now));
  instruments_->battery.Set(power_model_->BatterySocWh());
  instruments_->battery_predicted.Set(power_model_->PredictedSocWh(now).value_or(0));
  const std::vector<RunningJobInfo> running = executor_->Running();
  instruments_->jobs.Set(static_cast<double>(running.size()));
  instruments_->gpus.Set(executor_->GpusBusy());
  instruments_->queued.Set(static_cast<double>(journal_->pending().size()));
  instruments_->registered.Set(registered_ ? 1 : 0);
  UpdateContactMetrics();
}

void Agent::Shutdown(std::function<void()> done) {
  LogInfo("agent shutting down",
          {{"node", config_.spec.id()},
           {"on_shutdown",
            config_.on_shutdown == ShutdownPolicy::kCheckpoint ? "checkpoint" : "leave-running"},
           {"queued_events", Kv(journal_->pending().size())}});
  stopping_ = true;
  hello_timer_.Cancel();
  heartbeat_timer_.Cancel();
  forecast_timer_.Cancel();
  resend_timer_.Cancel();
  pending_starts_.clear();
  pending_stops_.clear();
  const std::vector<RunningJobInfo> running = executor_->Running();
  if (config_.on_shutdown == ShutdownPolicy::kLeaveRunning || running.empty()) {
    boost::asio::post(io_, std::move(done));
    return;
  }
  shutdown_done_ = std::move(done);
  for (const RunningJobInfo& job : running) {
    if (Status s = executor_->Stop(job.job_id, /*checkpoint=*/true); !s.ok()) {
      LogWarn("cannot stop job at shutdown", {{"job", job.job_id}, {"error", s.message()}});
    }
  }
  shutdown_timer_.expires_after(
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.shutdown_timeout));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !shutdown_done_) return;
    LogWarn("jobs did not stop within shutdown_timeout; exiting anyway");
    auto finish = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    finish();
  });
}

}  // namespace apsis::agents
