#include "scheduler/daemon/scheduler_service.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.h"
#include "scheduler/daemon/proto_conversion.h"
#include "transport/curve_keys.h"

namespace apsis::daemon {

SchedulerService::SchedulerService(Dependencies deps, SchedulerConfig config)
    : deps_(deps), config_(std::move(config)) {}

SchedulerService::~SchedulerService() { *alive_ = false; }

Result<std::unique_ptr<SchedulerService>> SchedulerService::Create(Dependencies deps,
                                                                   SchedulerConfig config) {
  std::unique_ptr<SchedulerService> s(new SchedulerService(deps, std::move(config)));
  ASSIGN_OR_RETURN(s->engine_, core::Engine::Create(s->config_.engine));
  s->metrics_ = std::make_unique<SchedulerMetrics>(deps.metrics);
  SchedulerService* self = s.get();
  std::weak_ptr<bool> alive = s->alive_;
  storage::GroupCommitter::Options options;
  // Every change made during one loop turn is written by one Flush at the end of the turn.
  options.schedule_flush = [self, alive, &io = deps.io] {
    boost::asio::post(io, [self, alive] {
      if (auto a = alive.lock(); a && *a) self->committer_->Flush();
    });
  };
  s->committer_ = std::make_unique<storage::GroupCommitter>(deps.store, options);
  return s;
}

Status SchedulerService::Start() {
  RETURN_IF_ERROR(LoadState());

  std::optional<transport::CurveKeyPair> server_keys;
  if (config_.security.insecure) {
    LogWarn(
        "INSECURE MODE: no encryption and no authentication on the agent and client "
        "endpoints; anyone who can reach them controls the scheduler. Use only for local "
        "development.");
  } else {
    ASSIGN_OR_RETURN(transport::CurveKeyPair keys,
                     transport::LoadCurveKeyPair(config_.security.server_key));
    server_keys = keys;
    ASSIGN_OR_RETURN(zap_, transport::ZapAuthenticator::Create(deps_.io, deps_.zmq));
  }
  RETURN_IF_ERROR(Reload(config_));

  transport::RouterServerOptions agent_options;
  agent_options.endpoint = config_.agent_endpoint;
  agent_options.curve = server_keys;
  agent_options.zap_domain = "agents";
  agent_options.max_message_bytes = config_.max_message_bytes;
  ASSIGN_OR_RETURN(agent_server_,
                   transport::RouterServer::Create(deps_.io, deps_.zmq, agent_options,
                                                   [this](transport::IncomingEnvelope&& in) {
                                                     OnAgentMessage(std::move(in));
                                                   }));
  transport::RouterServerOptions client_options = agent_options;
  client_options.endpoint = config_.client_endpoint;
  client_options.zap_domain = "clients";
  client_options.send_high_water_mark = config_.client_send_queue;
  ASSIGN_OR_RETURN(client_server_,
                   transport::RouterServer::Create(deps_.io, deps_.zmq, client_options,
                                                   [this](transport::IncomingEnvelope&& in) {
                                                     OnClientMessage(std::move(in));
                                                   }));
  LogInfo("scheduler listening", {{"agents", agent_server_->bound_endpoint()},
                                  {"clients", client_server_->bound_endpoint()},
                                  {"cluster", config_.cluster_id},
                                  {"policy", config_.engine.policy}});
  plan_timer_ = std::make_unique<ClockTimer>(deps_.io, deps_.clock);
  liveness_timer_ = std::make_unique<ClockTimer>(deps_.io, deps_.clock);
  grace_timer_ = std::make_unique<ClockTimer>(deps_.io, deps_.clock);
  if (reconciling_) {
    LogInfo("waiting for agents to re-register before planning",
            {{"grace", FormatDuration(config_.agents.restart_grace)},
             {"running_jobs", Kv(unreported_running_.size())}});
    metrics_->reconciling.Set(1);
    grace_timer_->WaitFor(config_.agents.restart_grace, [this] { FinishReconciliation(); });
  }
  ArmTimers();
  SchedulePlan();
  return Status::Ok();
}

Status SchedulerService::Reload(const SchedulerConfig& config) {
  std::map<std::string, std::string> agents, operators, submitters;
  if (!config.security.insecure) {
    ASSIGN_OR_RETURN(agents, transport::LoadAllowlistDir(config.security.agents_allowlist));
    if (!config.security.operators_allowlist.empty()) {
      ASSIGN_OR_RETURN(operators, transport::LoadAllowlistDir(config.security.operators_allowlist));
    }
    if (!config.security.submitters_allowlist.empty()) {
      ASSIGN_OR_RETURN(submitters,
                       transport::LoadAllowlistDir(config.security.submitters_allowlist));
    }
  }
  if (zap_) {
    std::map<std::string, std::string> clients = submitters;
    for (const auto& [key, name] : operators) clients[key] = name;
    zap_->SetAllowlist("agents", std::move(agents));
    zap_->SetAllowlist("clients", std::move(clients));
  }
  operator_keys_ = std::move(operators);
  submitter_keys_ = std::move(submitters);
  if (engine_) RETURN_IF_ERROR(engine_->Reconfigure(config.engine));
  LogInfo("planning settings applied", {{"policy", config.engine.policy}});
  config_.engine = config.engine;
  config_.security = config.security;
  return Status::Ok();
}

void SchedulerService::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  LogInfo("scheduler shutting down: closing endpoints and writing queued changes");
  if (plan_timer_) plan_timer_->Cancel();
  if (liveness_timer_) liveness_timer_->Cancel();
  if (grace_timer_) grace_timer_->Cancel();
  agent_server_.reset();
  client_server_.reset();
  zap_.reset();
  committer_->Flush();
}

void SchedulerService::ArmTimers() {
  ArmPlanTimer();
  ArmLivenessTimer();
}

void SchedulerService::ArmPlanTimer() {
  plan_timer_->WaitFor(config_.plan_interval, [this] {
    SchedulePlan();
    ArmPlanTimer();
  });
}

void SchedulerService::ArmLivenessTimer() {
  liveness_timer_->WaitFor(config_.agents.heartbeat_interval, [this] {
    CheckLiveness();
    UpdateGauges(/*with_nodes=*/true);
    jobs_.PackFinished();
    ArmLivenessTimer();
  });
}

void SchedulerService::SchedulePlan() {
  if (plan_scheduled_ || shutting_down_) return;
  plan_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(deps_.io, [this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    plan_scheduled_ = false;
    RunPlan();
  });
}

core::NodeState SchedulerService::EngineStateOf(const NodeSession& node) const {
  if (node.liveness == Liveness::kDown) return core::NodeState::kDown;
  switch (node.stored.admin_state()) {
    case v1::NODE_STATE_CORDONED:
      return core::NodeState::kCordoned;
    case v1::NODE_STATE_DRAINING:
      return core::NodeState::kDraining;
    default:
      break;
  }
  if (node.liveness == Liveness::kOutOfContact) return core::NodeState::kOutOfContact;
  return core::NodeState::kReady;
}

Status SchedulerService::AddJobToEngine(JobRecord& job) {
  core::JobSpec spec =
      JobSpecFromProto(job.status().spec(), TimePoint::FromMicros(job.status().submitted_us()));
  // Resume from the last checkpoint: only the remaining work is planned.
  if (spec.kind == core::JobKind::kTraining && job.status().progress_gpu_hours() > 0) {
    spec.training.gpu_hours =
        std::max(1e-6, spec.training.gpu_hours - job.status().progress_gpu_hours());
  }
  spec.earliest_start = std::max(spec.earliest_start, deps_.clock.Now());
  const v1::JobStatus& st = job.status();
  if (spec.kind == core::JobKind::kTraining && !st.resume_node_id().empty()) {
    RETURN_IF_ERROR(engine_->Submit(
        spec, {st.resume_node_id(), TimePoint::FromMicros(st.checkpoint_written_us()),
               st.progress_gpu_hours()}));
  } else {
    RETURN_IF_ERROR(engine_->Submit(spec));
  }
  job.in_engine = true;
  return Status::Ok();
}

void SchedulerService::AdmitQueuedJobs(storage::WriteBatch& batch) {
  for (size_t admitted = 0; admitted < admit_per_pass_ && !admission_queue_.empty(); ++admitted) {
    auto it = jobs_.find(admission_queue_.front());
    admission_queue_.pop_front();
    if (it == jobs_.end() || it->second.state() != v1::JOB_STATE_PENDING) continue;
    Status added = AddJobToEngine(it->second);
    // Persisted like a rejection: otherwise a restart would try (and fail) the job again.
    if (!added.ok()) FailJob(it->second, "not schedulable: " + added.message(), batch);
  }
}

void SchedulerService::FailJob(JobRecord& job, const std::string& message,
                               storage::WriteBatch& batch) {
  job.mutable_status().set_state(v1::JOB_STATE_FAILED);
  job.mutable_status().set_message(message);
  job.mutable_status().set_updated_us(deps_.clock.Now().micros());
  job.in_engine = false;
  PersistJob(batch, job.status());
  AppendEvent(batch, job.status().spec().id(), "", "rejected", message);
  LogInfo("job rejected", {{"job", job.status().spec().id()}, {"reason", message}});
}

void SchedulerService::RunPlan() {
  if (reconciling_ || shutting_down_) return;
  const auto started = std::chrono::steady_clock::now();
  storage::WriteBatch batch;
  AdmitQueuedJobs(batch);
  auto plan = engine_->Plan(deps_.clock.Now());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_->plan_seconds.Observe(seconds);
  // Aim each pass at ~20 ms: admit fewer jobs after a slow pass, more after a fast one.
  constexpr double kPassBudgetSeconds = 0.020;
  const double scale = std::clamp(kPassBudgetSeconds / std::max(seconds, 1e-6), 0.5, 2.0);
  admit_per_pass_ = std::clamp<size_t>(static_cast<size_t>(admit_per_pass_ * scale), 1, 4096);
  if (!admission_queue_.empty()) SchedulePlan();  // after the I/O that queued up meanwhile
  if (!plan.ok()) {
    LogError("planning failed", {{"error", plan.status().ToString()}});
    if (!batch.empty()) Commit(std::move(batch));
    return;
  }
  // Costs of this pass's placements, looked up once rather than per action.
  std::map<std::string, core::CostBreakdown> costs;
  bool any_start = false;
  for (const core::Action& action : plan->actions)
    any_start |= std::holds_alternative<core::StartJob>(action);
  if (any_start) {
    for (const core::Reservation& r : engine_->Reservations()) {
      // A stopping tail or a checkpoint on its way down is not the job's placement.
      if (!r.stopping && !r.checkpoint_downlink) costs[r.job_id] = r.cost;
    }
  }
  for (const core::Action& action : plan->actions) ApplyAction(action, costs, batch);
  for (const core::JobOutcome& outcome : plan->outcomes) {
    auto it = jobs_.find(outcome.job_id);
    if (it == jobs_.end()) continue;
    if (outcome.kind == core::OutcomeKind::kRetryLater &&
        it->second.status().message() != outcome.reason) {
      it->second.mutable_status().set_message(outcome.reason);
      PersistJob(batch, it->second.status());
    }
  }
  if (!batch.empty()) Commit(std::move(batch));
  UpdateGauges(/*with_nodes=*/false);
}

void SchedulerService::ApplyAction(const core::Action& action,
                                   const std::map<std::string, core::CostBreakdown>& costs,
                                   storage::WriteBatch& batch) {
  const TimePoint now = deps_.clock.Now();
  if (const auto* start = std::get_if<core::StartJob>(&action)) {
    auto job_it = jobs_.find(start->job_id);
    auto node_it = nodes_.find(start->node_id);
    if (job_it == jobs_.end() || node_it == nodes_.end()) return;
    JobRecord& job = job_it->second;
    if (job.state() == v1::JOB_STATE_PENDING) {
      job.mutable_status().set_state(v1::JOB_STATE_PLACED);
      if (job.status().attempts() == 0) {
        metrics_->placement_wait_seconds.Observe(
            ToSeconds(now - TimePoint::FromMicros(job.status().submitted_us())));
      }
    }
    v1::Placement* placement = job.mutable_status().mutable_placement();
    placement->set_job_id(start->job_id);
    placement->set_node_id(start->node_id);
    placement->set_start_us(start->at.micros());
    placement->set_end_us(start->expected_end.micros());
    if (auto cost = costs.find(start->job_id); cost != costs.end())
      *placement->mutable_cost() = CostToProto(cost->second);
    // Planned facility energy (IT load × PUE on the ground), so reported energy can be priced.
    const v1::JobSpec& spec = job.status().spec();
    const double pue = node_it->second.kind == core::NodeKind::kGround &&
                               node_it->second.stored.spec().ground().pue() > 0
                           ? node_it->second.stored.spec().ground().pue()
                           : 1.0;
    placement->mutable_cost()->set_energy_kwh(spec.gpus() * spec.watts_per_gpu() * pue *
                                              ToSeconds(start->expected_end - start->at) / 3.6e6);
    job.mutable_status().set_updated_us(now.micros());
    job.mutable_status().set_message("placed on " + start->node_id + " at " +
                                     FormatRfc3339(start->at));
    PersistJob(batch, job.status());
    batch.Put(storage::Column::kPlacements, start->job_id, placement->SerializeAsString());
    AppendEvent(batch, start->job_id, start->node_id, "placed", job.status().message());
    metrics_->placements.Increment();
    v1::Envelope envelope;
    v1::StartJob* msg = envelope.mutable_start_job();
    *msg->mutable_job() = job.status().spec();
    msg->set_start_at_us(start->at.micros());
    msg->set_resume_from_gpu_hours(job.status().progress_gpu_hours());
    SendToNode(node_it->second, std::move(envelope));
  } else if (const auto* stop = std::get_if<core::StopJob>(&action)) {
    auto node_it = nodes_.find(stop->node_id);
    auto job_it = jobs_.find(stop->job_id);
    if (job_it != jobs_.end() && job_it->second.state() == v1::JOB_STATE_RUNNING) {
      metrics_->preemptions.Increment();
    }
    // The job may already be placed elsewhere, so the node's STOPPED report will not count:
    // record now where its checkpoint will be, for a restart before it runs again.
    if (job_it != jobs_.end() && stop->checkpoint) {
      if (auto resume = engine_->ResumePointOf(stop->job_id);
          resume && resume->node_id == stop->node_id) {
        v1::JobStatus& st = job_it->second.mutable_status();
        st.set_resume_node_id(resume->node_id);
        st.set_checkpoint_written_us(resume->checkpoint_written_at.micros());
        PersistJob(batch, st);
      }
    }
    AppendEvent(batch, stop->job_id, stop->node_id, "stop", stop->reason);
    if (node_it == nodes_.end()) return;
    v1::Envelope envelope;
    v1::StopJob* msg = envelope.mutable_stop_job();
    msg->set_job_id(stop->job_id);
    msg->set_stop_at_us(stop->at.micros());
    msg->set_checkpoint(stop->checkpoint);
    msg->set_reason(stop->reason);
    SendToNode(node_it->second, std::move(envelope));
  } else if (const auto* reject = std::get_if<core::Reject>(&action)) {
    auto job_it = jobs_.find(reject->job_id);
    if (job_it == jobs_.end()) return;
    FailJob(job_it->second, "rejected: " + reject->reason, batch);
    metrics_->CountRejection(std::string(core::ConstraintName(reject->constraint)));
  }
}

void SchedulerService::UpdateGauges(bool with_nodes) {
  std::map<std::pair<std::string, std::string>, double> by_state;
  for (int s = v1::JOB_STATE_PENDING; s <= v1::JOB_STATE_LOST; ++s) {
    for (const char* kind : {"training", "inference"})
      by_state[{v1::JobState_Name(static_cast<v1::JobState>(s)), kind}] = 0;
  }
  double pending = 0;
  for (const auto& [state, by_kind] : jobs_.Counts()) {
    const std::string name = v1::JobState_Name(static_cast<v1::JobState>(state));
    by_state[{name, "training"}] += by_kind[0];
    by_state[{name, "inference"}] += by_kind[1];
    if (state == v1::JOB_STATE_PENDING) pending += by_kind[0] + by_kind[1];
  }
  metrics_->SetJobsByStateAndKind(by_state);
  // Inference SLO attainment now: of the inference jobs due to serve at this moment, the share
  // that is running (placements only ever go where the latency SLO holds).
  const TimePoint now_for_slo = deps_.clock.Now();
  double due = 0, serving = 0;
  for (const auto& [id, serve_until_us] : jobs_.InferenceDue(now_for_slo.micros())) {
    const JobRecord& job = jobs_.find(id)->second;
    const v1::JobSpec& spec = job.status().spec();
    const TimePoint from = TimePoint::FromMicros(spec.inference().serve_from_us());
    const TimePoint until = TimePoint::FromMicros(spec.inference().serve_until_us());
    if (now_for_slo < from || now_for_slo >= until) continue;
    due += 1;
    if (job.state() == v1::JOB_STATE_RUNNING) serving += 1;
  }
  metrics_->SetSloAttainment(due > 0 ? serving / due : 1.0);
  metrics_->queue_length.Set(pending);
  if (agent_server_) {
    const auto& a = agent_server_->stats();
    metrics_->SetTransportTotals("agents", a.dropped_malformed, a.dropped_undecodable,
                                 a.dropped_oversized, a.version_mismatch);
  }
  if (client_server_) {
    const auto& c = client_server_->stats();
    metrics_->SetTransportTotals("clients", c.dropped_malformed, c.dropped_undecodable,
                                 c.dropped_oversized, c.version_mismatch);
  }
  if (zap_) metrics_->SetAuthRefusedTotal(zap_->refused());
  const TimePoint now = deps_.clock.Now();
  // Node gauges follow heartbeats, forecasts and the clock, not planning: refreshed on the liveness
  // timer and at most once a second by planning passes, which come every few milliseconds while
  // a queue is admitted (and setting them is ~10 gauges per node).
  if (!with_nodes && now - nodes_gauged_at_ < Seconds(1)) return;
  nodes_gauged_at_ = now;
  for (const auto& [id, node] : nodes_) {
    NodeGaugeValues v;
    v.node_id = id;
    v.kind = node.kind == core::NodeKind::kOrbital ? "orbital" : "ground";
    v.state = std::string(core::NodeStateName(EngineStateOf(node)));
    const ForecastGaugeSeries& f = node.gauge_series;
    v.sunlit = node.kind == core::NodeKind::kGround;
    if (f.step_us > 0 && !f.available_w.empty()) {
      int64_t i = (now.micros() - f.start_us) / f.step_us;
      i = std::clamp<int64_t>(i, 0, static_cast<int64_t>(f.available_w.size()) - 1);
      v.power_available_w = f.available_w[i];
      if (node.kind == core::NodeKind::kOrbital && size_t(i) < f.sunlit.size())
        v.sunlit = f.sunlit[i];
    }
    v.power_used_w = node.draw_w;
    if (f.battery_capacity_wh > 0) v.battery_soc_ratio = node.soc_wh / f.battery_capacity_wh;
    v.contact_open = InContact(LivenessOf(node), now);
    v.gpus_busy = node.gpus_busy;
    v.gpus_total = node.stored.spec().gpus().count();
    v.last_heard_seconds = node.last_heard.seconds();
    metrics_->SetNode(v);
  }
}

}  // namespace apsis::daemon
