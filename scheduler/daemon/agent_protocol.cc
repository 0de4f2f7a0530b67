// SchedulerService: the agent side of the protocol (Hello, Heartbeat, Forecast, JobEvent) and
// node liveness.
#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "scheduler/daemon/proto_conversion.h"
#include "scheduler/daemon/scheduler_service.h"
#include "transport/envelope_codec.h"

namespace apsis::daemon {
void SchedulerService::OnAgentMessage(transport::IncomingEnvelope&& in) {
  if (shutting_down_) return;
  const auto started = std::chrono::steady_clock::now();
  metrics_->agent_messages.Increment();
  const v1::Envelope& e = in.envelope;
  if (e.has_hello()) {
    OnHello(in);
  } else {
    // Every other message must come from the key that registered the node it names.
    std::string node_id = e.has_heartbeat()   ? e.heartbeat().node_id()
                          : e.has_forecast()  ? e.forecast().node_id()
                          : e.has_job_event() ? e.job_event().node_id()
                                              : e.sender();
    auto it = nodes_.find(node_id);
    const bool key_ok = it != nodes_.end() && (config_.security.insecure ||
                                               it->second.stored.public_key() == in.public_key);
    if (it != nodes_.end() && !key_ok) {
      metrics_->requests_denied.Increment();
      LogWarn("message for a node from another key refused", {{"node", node_id}});
      agent_server_->Send(in.routing_id,
                          transport::MakeErrorReply(e, v1::ERROR_CODE_PERMISSION_DENIED,
                                                    "node '" + node_id +
                                                        "' is registered to another key; an "
                                                        "agent speaks only for its own node"));
      return;
    }
    if (!key_ok || it->second.routing_id.empty()) {
      agent_server_->Send(in.routing_id, transport::MakeErrorReply(
                                             e, v1::ERROR_CODE_FAILED_PRECONDITION,
                                             "node '" + node_id +
                                                 "' has not said Hello on this connection with "
                                                 "its registered key; send Hello first"));
      return;
    }
    NodeSession& node = it->second;
    node.routing_id = in.routing_id;
    node.last_heard = deps_.clock.Now();
    if (node.liveness != Liveness::kReachable) {
      node.liveness = Liveness::kReachable;
      (void)engine_->SetNodeState(node_id, EngineStateOf(node));
      SchedulePlan();
    }
    if (e.has_heartbeat()) {
      OnHeartbeat(node, e.heartbeat());
    } else if (e.has_forecast()) {
      OnForecast(node, e.forecast());
    } else if (e.has_job_event()) {
      OnJobEvent(node, e.job_event());
    }
    FlushOutbox(node);
  }
  metrics_->request_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void SchedulerService::OnHello(transport::IncomingEnvelope& in) {
  const v1::Hello& hello = in.envelope.hello();
  const std::string& node_id = hello.spec().id();
  auto refuse = [&](v1::ErrorCode code, const std::string& why) {
    LogWarn("agent refused", {{"node", node_id}, {"reason", why}});
    agent_server_->Send(in.routing_id, transport::MakeErrorReply(in.envelope, code, why));
  };
  const TimePoint now = deps_.clock.Now();
  Duration behind;
  if (Status valid = ValidateHello(hello, now, &behind); !valid.ok()) {
    return refuse(valid.code() == StatusCode::kInvalidArgument ? v1::ERROR_CODE_INVALID_ARGUMENT
                                                               : v1::ERROR_CODE_FAILED_PRECONDITION,
                  valid.message());
  }
  if (behind > kMaxAgentClockSkew) {
    LogWarn("orbital Hello is old: delayed by the link or a slow clock",
            {{"node", node_id}, {"behind", FormatDuration(behind)}});
  }
  if (!config_.security.insecure) {
    auto bound = node_by_key_.find(in.public_key);
    if (bound != node_by_key_.end() && bound->second != node_id) {
      return refuse(
          v1::ERROR_CODE_PERMISSION_DENIED,
          "this key is registered to node '" + bound->second + "', not '" + node_id + "'");
    }
  }
  auto [it, created] = nodes_.try_emplace(node_id);
  NodeSession& node = it->second;
  if (!created && !config_.security.insecure && !node.stored.public_key().empty() &&
      node.stored.public_key() != in.public_key) {
    return refuse(v1::ERROR_CODE_PERMISSION_DENIED,
                  "node '" + node_id +
                      "' is registered to another key; remove the node or use "
                      "its original key");
  }
  *node.stored.mutable_spec() = hello.spec();
  node.stored.set_public_key(in.public_key);
  if (node.stored.admin_state() == v1::NODE_STATE_UNSPECIFIED)
    node.stored.set_admin_state(v1::NODE_STATE_READY);
  node.kind = hello.spec().kind() == v1::NODE_KIND_ORBITAL ? core::NodeKind::kOrbital
                                                           : core::NodeKind::kGround;
  node.routing_id = in.routing_id;
  node.last_heard = now;
  node.liveness = Liveness::kReachable;
  node.stored.set_last_heard_us(now.micros());
  if (!in.public_key.empty()) node_by_key_[in.public_key] = node_id;
  Status added = engine_->AddNode(NodeSpecFromProto(hello.spec()));
  if (!added.ok()) return refuse(v1::ERROR_CODE_INVALID_ARGUMENT, added.message());
  (void)engine_->SetNodeState(node_id, EngineStateOf(node));

  storage::WriteBatch batch;
  PersistNode(batch, node);
  AppendEvent(batch, "", node_id, "hello", created ? "node registered" : "agent reconnected");
  // Reconcile what the agent says it runs with what the scheduler believes.
  for (const v1::RunningJob& running : hello.running()) {
    auto job_it = jobs_.find(running.job_id());
    const bool ours = job_it != jobs_.end() && !IsTerminal(job_it->second.state()) &&
                      job_it->second.status().placement().node_id() == node_id;
    if (!ours) {
      v1::Envelope stop;
      stop.mutable_stop_job()->set_job_id(running.job_id());
      stop.mutable_stop_job()->set_checkpoint(false);
      stop.mutable_stop_job()->set_stop_at_us(now.micros());
      stop.mutable_stop_job()->set_reason("the scheduler has no running job " + running.job_id() +
                                          " on this node");
      node.outbox.push_back(std::move(stop));
      AppendEvent(batch, running.job_id(), node_id, "reconcile-stop",
                  "agent runs a job the scheduler does not consider running here");
      continue;
    }
    unreported_running_.erase(running.job_id());
    JobRecord& job = job_it->second;
    job.mutable_status().set_state(
        running.state() == v1::JOB_STATE_UNSPECIFIED ? v1::JOB_STATE_RUNNING : running.state());
    job.mutable_status().set_progress_gpu_hours(
        std::max(job.status().progress_gpu_hours(), running.progress_gpu_hours()));
    PersistJob(batch, job.status());
    if (!job.in_engine) node.awaiting_adoption.push_back(running.job_id());
  }
  // Jobs held for this node since a restart during which it was out of contact: those it no
  // longer runs are re-queued now.
  std::set<std::string> reported;
  for (const v1::RunningJob& running : hello.running()) reported.insert(running.job_id());
  for (const std::string& job_id : node.awaiting_contact) {
    auto job_it = jobs_.find(job_id);
    if (!reported.count(job_id) && job_it != jobs_.end() &&
        job_it->second.status().placement().node_id() == node_id)
      RequeueUnreported(batch, job_id);
  }
  node.awaiting_contact.clear();
  Commit(std::move(batch));
  AdoptRunningJobs(node);

  SendWelcome(node, in.routing_id, in.envelope.correlation_id());
  LogInfo("agent registered",
          {{"node", node_id},
           {"kind", node.kind == core::NodeKind::kOrbital ? "orbital" : "ground"},
           {"gpus", Kv(hello.spec().gpus().count())},
           {"running", Kv(hello.running_size())}});
  FlushOutbox(node);
  if (reconciling_ && unreported_running_.empty()) FinishReconciliation();
  SchedulePlan();
}

void SchedulerService::OnHeartbeat(NodeSession& node, const v1::Heartbeat& hb) {
  node.soc_wh = hb.battery_soc_wh();
  node.draw_w = hb.power_draw_w();
  node.gpus_busy = hb.gpus_busy();
  // An agent sends a forecast after each Welcome. If that forecast was lost (a link cut just
  // then), the node would get nothing until the agent's next periodic forecast; another Welcome
  // asks for it again, at most once per two heartbeat intervals.
  if (!node.has_forecast && !node.routing_id.empty() &&
      deps_.clock.Now() - node.welcomed_at >= config_.agents.heartbeat_interval * 2) {
    LogInfo("no forecast yet; welcoming the agent again", {{"node", node.stored.spec().id()}});
    SendWelcome(node, node.routing_id, 0);
  }
}

void SchedulerService::SendWelcome(NodeSession& node, const std::string& routing_id,
                                   uint64_t correlation_id) {
  const TimePoint now = deps_.clock.Now();
  v1::Envelope welcome;
  welcome.set_correlation_id(correlation_id);
  welcome.mutable_welcome()->set_node_id(node.stored.spec().id());
  welcome.mutable_welcome()->set_scheduler_time_us(now.micros());
  welcome.mutable_welcome()->set_heartbeat_interval_us(config_.agents.heartbeat_interval.count());
  welcome.mutable_welcome()->set_last_event_sequence(node.durable_event_sequence);
  agent_server_->Send(routing_id, welcome);
  node.welcomed_at = now;
}

void SchedulerService::OnForecast(NodeSession& node, const v1::Forecast& forecast) {
  auto converted = NodeForecastFromProto(node.kind, forecast);
  if (!converted.ok()) {
    LogWarn("forecast refused",
            {{"node", node.stored.spec().id()}, {"error", converted.status().message()}});
    agent_server_->Send(node.routing_id,
                        transport::MakeErrorReply(v1::Envelope(), v1::ERROR_CODE_INVALID_ARGUMENT,
                                                  converted.status().message()));
    return;
  }
  node.windows = converted->windows;
  Status updated = engine_->UpdateForecast(node.stored.spec().id(), std::move(*converted));
  if (!updated.ok()) {
    LogWarn("forecast refused", {{"node", node.stored.spec().id()}, {"error", updated.message()}});
    return;
  }
  node.has_forecast = true;
  node.forecast_bytes = forecast.SerializeAsString();
  node.gauge_series = ForecastGaugeSeries::From(forecast, node.kind == core::NodeKind::kOrbital);
  AdoptRunningJobs(node);
  storage::WriteBatch batch;
  PersistNode(batch, node);
  Commit(std::move(batch));
  SchedulePlan();
}

void SchedulerService::OnJobEvent(NodeSession& node, const v1::JobEvent& event) {
  const std::string node_id = node.stored.spec().id();
  if (event.sequence() <= node.applied_event_sequence) {
    metrics_->job_events_duplicate.Increment();
    if (event.sequence() <= node.durable_event_sequence) {
      AckJobEvents(node_id, node.durable_event_sequence);
    } else if (node.event_write_failed) {
      // Applied, but its write failed: write the state it led to again; ack once durable.
      node.event_write_failed = false;
      storage::WriteBatch batch;
      if (auto job_it = jobs_.find(event.job_id()); job_it != jobs_.end())
        PersistJob(batch, job_it->second.status());
      node.stored.set_last_event_sequence(node.applied_event_sequence);
      PersistNode(batch, node);
      AppendEvent(batch, event.job_id(), node_id, v1::JobEventKind_Name(event.kind()),
                  event.message());
      CommitJobEvent(node, std::move(batch));
    }  // else its write is under way, and acknowledged when it is done
    return;
  }
  if (event.sequence() != node.applied_event_sequence + 1) {
    // A gap means an earlier event is still on its way; the agent re-sends in order.
    LogWarn("job event out of order ignored", {{"node", node_id},
                                               {"expected", Kv(node.applied_event_sequence + 1)},
                                               {"got", Kv(event.sequence())}});
    return;
  }
  node.applied_event_sequence = event.sequence();
  node.stored.set_last_event_sequence(event.sequence());
  auto placed = jobs_.find(event.job_id());
  if (placed != jobs_.end() && placed->second.status().placement().node_id() != node_id) {
    // Only the node a job is placed on reports on it: a stale report from a node the job has left
    // or another node's claim is recorded and acknowledged, never applied.
    metrics_->requests_denied.Increment();
    LogWarn("job event from a node the job is not placed on ignored",
            {{"node", node_id},
             {"job", event.job_id()},
             {"placed_on", placed->second.status().placement().node_id()}});
    storage::WriteBatch batch;
    PersistNode(batch, node);
    AppendEvent(batch, event.job_id(), node_id, "ignored",
                v1::JobEventKind_Name(event.kind()) + " from a node the job is not placed on");
    CommitJobEvent(node, std::move(batch));
    return;
  }
  storage::WriteBatch batch;
  auto job_it = jobs_.find(event.job_id());
  const std::string kind = v1::JobEventKind_Name(event.kind());
  if (job_it != jobs_.end()) {
    JobRecord& job = job_it->second;
    v1::JobStatus& st = job.mutable_status();
    std::optional<TimePoint> retry_at;
    st.set_updated_us(event.at_us());
    switch (event.kind()) {
      case v1::JOB_EVENT_STARTED:
        st.set_state(v1::JOB_STATE_RUNNING);
        st.set_attempts(st.attempts() + 1);
        ForgetResumeNode(st);
        break;
      case v1::JOB_EVENT_PROGRESS:
        break;
      case v1::JOB_EVENT_CHECKPOINTED:
        st.set_progress_gpu_hours(std::max(st.progress_gpu_hours(), event.progress_gpu_hours()));
        break;
      case v1::JOB_EVENT_STOPPED:
        st.set_progress_gpu_hours(std::max(st.progress_gpu_hours(), event.progress_gpu_hours()));
        if (!IsTerminal(st.state())) st.set_state(v1::JOB_STATE_PENDING);
        st.set_resume_node_id(node_id);
        st.set_checkpoint_written_us(event.at_us());
        break;
      case v1::JOB_EVENT_FINISHED:
        st.set_state(v1::JOB_STATE_SUCCEEDED);
        st.set_progress_gpu_hours(std::max(st.progress_gpu_hours(), event.progress_gpu_hours()));
        job.in_engine = false;
        break;
      case v1::JOB_EVENT_FAILED: {
        const std::string why = "failed on " + node_id + ": exit code " +
                                std::to_string(event.exit_code()) +
                                (event.message().empty() ? "" : ": " + event.message());
        if (static_cast<int>(st.attempts()) < config_.jobs.max_attempts) {
          // Retry from the last checkpoint after an exponentially growing pause.
          const Duration backoff = config_.jobs.retry_backoff *
                                   (int64_t{1} << std::min<uint32_t>(st.attempts(), 16) >> 1);
          retry_at = TimePoint::FromMicros(event.at_us()) + backoff;
          st.set_state(v1::JOB_STATE_PENDING);
          ForgetResumeNode(st);  // retried like a lost job (below)
          st.set_message(why + "; attempt " + std::to_string(st.attempts()) + " of " +
                         std::to_string(config_.jobs.max_attempts) + ", retrying at " +
                         FormatRfc3339(*retry_at));
        } else {
          st.set_state(v1::JOB_STATE_FAILED);
          st.set_message(why + " (after " + std::to_string(st.attempts()) + " attempts)");
          job.in_engine = false;
        }
        break;
      }
      case v1::JOB_EVENT_LOST:
        st.set_state(v1::JOB_STATE_PENDING);
        ForgetResumeNode(st);
        break;
      default:
        break;
    }
    if (event.energy_kwh() > 0) {
      const double price =
          st.placement().cost().energy_usd() > 0 && st.placement().cost().energy_kwh() > 0
              ? st.placement().cost().energy_usd() / st.placement().cost().energy_kwh()
              : 0;
      metrics_->AddEnergy(node_id, node.kind == core::NodeKind::kOrbital ? "orbital" : "ground",
                          event.energy_kwh(), event.energy_kwh() * price);
    }
    PersistJob(batch, job.status());
    if (retry_at) {
      // To the planner a retried job is like a lost one: pending again from its last checkpoint,
      // not before `retry_at`.
      core::JobEvent retry{event.job_id(), core::JobEventType::kLost, *retry_at,
                           st.progress_gpu_hours()};
      Status applied = engine_->OnJobEvent(retry);
      if (!applied.ok())
        LogDebug("planner ignored job retry",
                 {{"job", event.job_id()}, {"why", applied.message()}});
    } else if (auto core_event = JobEventFromProto(event);
               core_event && job.status().spec().id().size()) {
      Status applied = engine_->OnJobEvent(*core_event);
      if (!applied.ok())
        LogDebug("planner ignored job event",
                 {{"job", event.job_id()}, {"why", applied.message()}});
    }
    if (event.kind() == v1::JOB_EVENT_STOPPED && !IsTerminal(st.state()) && !job.in_engine) {
      (void)AddJobToEngine(job);
    }
  }
  PersistNode(batch, node);
  AppendEvent(batch, event.job_id(), node_id, kind, event.message());
  metrics_->job_events.Increment();
  CommitJobEvent(node, std::move(batch));
  SchedulePlan();
}

void SchedulerService::AckJobEvents(const std::string& node_id, uint64_t sequence) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.routing_id.empty() || !agent_server_) return;
  v1::Envelope envelope;
  envelope.mutable_ack()->set_sequence(sequence);
  agent_server_->Send(it->second.routing_id, envelope);
}

void SchedulerService::CommitJobEvent(NodeSession& node, storage::WriteBatch batch) {
  // Acknowledge only once the event is durable: the agent keeps it queued until then.
  const std::string node_id = node.stored.spec().id();
  const uint64_t sequence = node.applied_event_sequence;
  Commit(std::move(batch), [this, node_id, sequence](const Status& s) {
    auto it = nodes_.find(node_id);
    if (it == nodes_.end()) return;
    NodeSession& n = it->second;
    if (!s.ok()) {
      n.event_write_failed = true;
      n.stored.set_last_event_sequence(n.durable_event_sequence);
      return;
    }
    n.durable_event_sequence = std::max(n.durable_event_sequence, sequence);
    AckJobEvents(node_id, sequence);
  });
}

void SchedulerService::AdoptRunningJobs(NodeSession& node) {
  // Jobs an agent still runs after a scheduler restart: the planner reserves their GPUs and power
  // where they are, so nothing else is placed on top of them and they are not placed again.
  std::vector<std::string> waiting;
  for (const std::string& job_id : node.awaiting_adoption) {
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second.in_engine || IsTerminal(it->second.state())) continue;
    JobRecord& job = it->second;
    core::JobSpec spec =
        JobSpecFromProto(job.status().spec(), TimePoint::FromMicros(job.status().submitted_us()));
    Status adopted = engine_->AdoptRunningJob(
        spec, node.stored.spec().id(), TimePoint::FromMicros(job.status().placement().start_us()),
        job.status().progress_gpu_hours());
    if (adopted.ok()) {
      job.in_engine = true;
    } else if (adopted.code() == StatusCode::kFailedPrecondition) {
      waiting.push_back(job_id);  // no forecast yet: retried when one arrives
    } else {
      LogWarn("running job not adopted by the planner",
              {{"job", job_id}, {"error", adopted.message()}});
    }
  }
  node.awaiting_adoption = std::move(waiting);
}

void SchedulerService::SendToNode(NodeSession& node, v1::Envelope envelope) {
  node.outbox.push_back(std::move(envelope));
  FlushOutbox(node);
}

void SchedulerService::FlushOutbox(NodeSession& node) {
  if (node.outbox.empty() || node.routing_id.empty() || !agent_server_) return;
  // Orbital nodes without relay are reached only inside contact windows (the link emulator and
  // real links hold nothing outside them); time-tagged messages wait here for the next pass.
  if (node.liveness == Liveness::kDown) return;
  if (!InContact(LivenessOf(node), deps_.clock.Now()) &&
      deps_.clock.Now() - node.last_heard > config_.agents.heartbeat_interval * 2) {
    return;
  }
  for (v1::Envelope& e : node.outbox) agent_server_->Send(node.routing_id, e);
  node.outbox.clear();
}

LivenessInput SchedulerService::LivenessOf(const NodeSession& node) const {
  LivenessInput in;
  in.last_heard = node.last_heard;
  in.always_reachable = node.kind == core::NodeKind::kGround ||
                        node.stored.spec().relay() == v1::RELAY_MODE_ALWAYS || !node.has_forecast;
  in.windows = &node.windows;
  in.heartbeat_interval = config_.agents.heartbeat_interval;
  in.missed_heartbeats = config_.agents.down_after_missed_heartbeats;
  return in;
}

void SchedulerService::ResendUnacknowledgedStarts() {
  const TimePoint now = deps_.clock.Now();
  // Placed jobs hold a placement on a node: only those jobs are visited, in id order.
  std::vector<std::string> placed;
  for (const std::string& node_id : jobs_.NodesWithJobs()) {
    for (const std::string& job_id : jobs_.OnNode(node_id)) {
      if (jobs_.find(job_id)->second.state() == v1::JOB_STATE_PLACED) placed.push_back(job_id);
    }
  }
  std::sort(placed.begin(), placed.end());
  for (const std::string& job_id : placed) {
    JobRecord& job = jobs_.find(job_id)->second;
    const TimePoint due = TimePoint::FromMicros(job.status().placement().start_us());
    if (now < due + config_.jobs.start_ack_timeout) continue;
    auto last = start_resent_at_.find(job_id);
    if (last != start_resent_at_.end() && now < last->second + config_.jobs.start_ack_timeout)
      continue;
    auto node = nodes_.find(job.status().placement().node_id());
    if (node == nodes_.end() || node->second.liveness == Liveness::kDown) continue;
    // The agent ignores a StartJob for a job it already runs, so re-sending is safe.
    v1::Envelope envelope;
    v1::StartJob* msg = envelope.mutable_start_job();
    *msg->mutable_job() = job.status().spec();
    msg->set_start_at_us(job.status().placement().start_us());
    msg->set_resume_from_gpu_hours(job.status().progress_gpu_hours());
    SendToNode(node->second, std::move(envelope));
    start_resent_at_[job_id] = now;
    LogInfo("StartJob re-sent: no start reported", {{"job", job_id}, {"node", node->first}});
  }
}

void SchedulerService::CheckLiveness() {
  ResendUnacknowledgedStarts();
  const TimePoint now = deps_.clock.Now();
  for (auto& [id, node] : nodes_) {
    if (node.liveness == Liveness::kDown) continue;
    const Liveness assessed = AssessLiveness(LivenessOf(node), now);
    if (assessed == node.liveness) continue;
    if (assessed == Liveness::kDown) {
      MarkNodeDown(node);
    } else {
      node.liveness = assessed;
      (void)engine_->SetNodeState(id, EngineStateOf(node));
      LogInfo("node out of contact", {{"node", id}});
    }
  }
}

void SchedulerService::MarkNodeDown(NodeSession& node) {
  const std::string id = node.stored.spec().id();
  node.liveness = Liveness::kDown;
  node.routing_id.clear();
  node.awaiting_contact.clear();  // its jobs are re-queued below
  LogWarn("node down: missed heartbeats while it should have been reachable", {{"node", id}});
  (void)engine_->SetNodeState(id, core::NodeState::kDown);
  storage::WriteBatch batch;
  AppendEvent(batch, "", id, "node-down", "missed heartbeats while reachable");
  const TimePoint now = deps_.clock.Now();
  // Copied: the loop changes the jobs, and so the index at its next read.
  const std::set<std::string> on_node = jobs_.OnNode(id);
  for (const std::string& job_id : on_node) {
    JobRecord& job = jobs_.find(job_id)->second;
    const v1::JobState st = job.state();
    if (job.status().placement().node_id() != id || IsTerminal(st) || st == v1::JOB_STATE_PENDING)
      continue;
    // Lost: re-queued from the last checkpoint the scheduler knows of.
    core::JobEvent lost{job_id, core::JobEventType::kLost, now, job.status().progress_gpu_hours()};
    (void)engine_->OnJobEvent(lost);
    job.mutable_status().set_state(v1::JOB_STATE_PENDING);
    ForgetResumeNode(job.mutable_status());
    job.mutable_status().set_message("node " + id + " went down; re-queued from " +
                                     std::to_string(job.status().progress_gpu_hours()) +
                                     " GPU-hours");
    PersistJob(batch, job.status());
    AppendEvent(batch, job_id, id, "lost", job.status().message());
  }
  node.outbox.clear();
  Commit(std::move(batch));
  SchedulePlan();
}

void SchedulerService::RequeueUnreported(storage::WriteBatch& batch, const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  JobRecord& job = it->second;
  // A job that ended meanwhile (its last events arrived after the restart) stays ended.
  if (IsTerminal(job.state()) || job.state() == v1::JOB_STATE_PENDING) return;
  const bool was_running = job.state() != v1::JOB_STATE_PLACED;
  job.mutable_status().set_state(v1::JOB_STATE_PENDING);
  job.mutable_status().set_message(was_running
                                       ? "no agent reported it after the restart; re-queued from "
                                         "the last checkpoint"
                                       : "placement dropped by the restart; re-queued");
  PersistJob(batch, job.status());
  AppendEvent(batch, job_id, job.status().placement().node_id(), was_running ? "lost" : "requeued",
              job.status().message());
  // Cancel a time-tagged start the node may still hold, so the job cannot run twice.
  auto node_it = nodes_.find(job.status().placement().node_id());
  if (node_it != nodes_.end()) {
    v1::Envelope stop;
    stop.mutable_stop_job()->set_job_id(job_id);
    stop.mutable_stop_job()->set_checkpoint(false);
    stop.mutable_stop_job()->set_reason("re-queued after a scheduler restart");
    node_it->second.outbox.push_back(std::move(stop));
  }
  if (job.in_engine) (void)engine_->Cancel(job_id);
  job.in_engine = false;
  (void)AddJobToEngine(job);
}

void SchedulerService::FinishReconciliation() {
  if (!reconciling_) return;
  reconciling_ = false;
  metrics_->reconciling.Set(0);
  storage::WriteBatch batch;
  const TimePoint now = deps_.clock.Now();
  for (const std::string& job_id : unreported_running_) {
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) continue;
    auto node_it = nodes_.find(it->second.status().placement().node_id());
    if (it->second.state() != v1::JOB_STATE_PLACED && node_it != nodes_.end() &&
        AssessLiveness(LivenessOf(node_it->second), now) == Liveness::kOutOfContact) {
      // An orbital node between passes cannot have re-reported yet. Its jobs stay where they are,
      // held in the plan, until its next pass: its Hello then reconciles them, or, if it stays
      // silent while reachable, it is marked down and they are re-queued.
      NodeSession& node = node_it->second;
      node.awaiting_contact.insert(job_id);
      node.awaiting_adoption.push_back(job_id);
      AdoptRunningJobs(node);
      AppendEvent(batch, job_id, node_it->first, "awaiting-contact",
                  "node out of contact at the restart; reconciled at its next pass");
      continue;
    }
    RequeueUnreported(batch, job_id);
  }
  unreported_running_.clear();
  // Jobs the agents reported keep running where they are, adopted by the planner (see
  // AdoptRunningJobs), so they are never placed a second time.
  Commit(std::move(batch));
  LogInfo("reconciliation finished");
  SchedulePlan();
}

}  // namespace apsis::daemon
