// SchedulerService: the client side of the protocol (apsisctl and other tools).
//
// Roles: operators may do everything; submitters may submit, inspect and cancel their own jobs
// and read the fleet. In insecure mode everyone is an operator.
#include <chrono>

#include "common/log.h"
#include "scheduler/daemon/job_spec_validation.h"
#include "scheduler/daemon/proto_conversion.h"
#include "scheduler/daemon/scheduler_service.h"
#include "storage/event_log.h"
#include "transport/envelope_codec.h"

namespace apsis::daemon {

ClientRole SchedulerService::RoleOf(const std::string& public_key) const {
  if (config_.security.insecure) return ClientRole::kOperator;
  if (operator_keys_.count(public_key)) return ClientRole::kOperator;
  if (submitter_keys_.count(public_key)) return ClientRole::kSubmitter;
  return ClientRole::kNone;
}

bool SchedulerService::OwnsJob(const std::string& job_id, const std::string& owner) const {
  auto it = jobs_.find(job_id);
  return it != jobs_.end() && it->second.status().spec().owner() == owner;
}

void SchedulerService::Reply(const transport::IncomingEnvelope& in, v1::ClientResponse response) {
  if (!client_server_) return;
  v1::Envelope envelope;
  envelope.set_correlation_id(in.envelope.correlation_id());
  *envelope.mutable_client_response() = std::move(response);
  client_server_->Send(in.routing_id, envelope);
}

void SchedulerService::ReplyError(const transport::IncomingEnvelope& in, v1::ErrorCode code,
                                  std::string message, std::vector<std::string> details) {
  if (!client_server_) return;
  v1::Envelope reply = transport::MakeErrorReply(in.envelope, code, std::move(message));
  for (auto& d : details) reply.mutable_error()->add_details(std::move(d));
  client_server_->Send(in.routing_id, reply);
}

void SchedulerService::CommitThenReplyDone(const transport::IncomingEnvelope& in,
                                           storage::WriteBatch batch) {
  // Answer only once the change is durable, or say that it was not stored.
  transport::IncomingEnvelope reply_to{in.routing_id, in.public_key, in.envelope};
  Commit(std::move(batch), [this, reply_to](const Status& s) {
    if (!s.ok()) return ReplyError(reply_to, v1::ERROR_CODE_UNAVAILABLE, s.message());
    v1::ClientResponse done;
    done.set_done(true);
    Reply(reply_to, std::move(done));
  });
}

void SchedulerService::OnClientMessage(transport::IncomingEnvelope&& in) {
  if (shutting_down_) return;
  const auto started = std::chrono::steady_clock::now();
  metrics_->client_requests.Increment();
  if (!in.envelope.has_client_request()) {
    return ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT,
                      "the client endpoint takes ClientRequest messages only");
  }
  const ClientRole role = RoleOf(in.public_key);
  const std::string owner =
      config_.security.insecure
          ? (in.envelope.sender().empty() ? "anonymous" : in.envelope.sender())
          : (operator_keys_.count(in.public_key)    ? operator_keys_.at(in.public_key)
             : submitter_keys_.count(in.public_key) ? submitter_keys_.at(in.public_key)
                                                    : "");
  if (role == ClientRole::kNone) {
    metrics_->requests_denied.Increment();
    return ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED,
                      "this key is in neither the operators' nor the submitters' allowlist");
  }
  const v1::ClientRequest& req = in.envelope.client_request();
  const TimePoint now = deps_.clock.Now();
  v1::ClientResponse response;
  switch (req.request_case()) {
    case v1::ClientRequest::kSubmit:
      HandleSubmit(in, req.submit(), owner);
      break;
    case v1::ClientRequest::kCancel:
      HandleCancel(in, req.cancel().job_id(), role, owner);
      break;
    case v1::ClientRequest::kGetJob: {
      auto it = jobs_.find(req.get_job().job_id());
      if (it == jobs_.end()) {
        ReplyError(in, v1::ERROR_CODE_NOT_FOUND, "no job '" + req.get_job().job_id() + "'");
        break;
      }
      if (role == ClientRole::kSubmitter && it->second.status().spec().owner() != owner) {
        metrics_->requests_denied.Increment();
        ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED, "job '" + it->first + "' is not yours");
        break;
      }
      *response.mutable_job() = it->second.status();
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kListJobs: {
      const v1::ListJobsRequest& list = req.list_jobs();
      std::set<int> states(list.states().begin(), list.states().end());
      const uint32_t limit = list.limit() == 0 ? 10'000 : list.limit();
      v1::JobList* out = response.mutable_jobs();
      v1::JobStatus scratch;
      for (const auto& [id, job] : jobs_) {
        if (!states.empty() && !states.count(job.state())) continue;
        const v1::JobStatus& status = jobs_.Peek(job, scratch);
        if (role == ClientRole::kSubmitter && status.spec().owner() != owner) continue;
        if (!list.owner().empty() && status.spec().owner() != list.owner()) continue;
        *out->add_jobs() = status;
        if (static_cast<uint32_t>(out->jobs_size()) >= limit) break;
      }
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kListNodes:
      for (const auto& [id, node] : nodes_)
        *response.mutable_nodes()->add_nodes() = DescribeNode(node, false);
      Reply(in, std::move(response));
      break;
    case v1::ClientRequest::kGetNode: {
      auto it = nodes_.find(req.get_node().node_id());
      if (it == nodes_.end()) {
        ReplyError(in, v1::ERROR_CODE_NOT_FOUND, "no node '" + req.get_node().node_id() + "'");
        break;
      }
      *response.mutable_node() = DescribeNode(it->second, true);
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kExplain: {
      if (role == ClientRole::kSubmitter && !OwnsJob(req.explain().job_id(), owner)) {
        metrics_->requests_denied.Increment();
        ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED,
                   "job '" + req.explain().job_id() + "' is not yours");
        break;
      }
      auto explanation = engine_->Explain(req.explain().job_id(), now);
      if (!explanation.ok()) {
        // Jobs the planner no longer holds (finished, rejected) are explained by their record.
        auto it = jobs_.find(req.explain().job_id());
        if (it == jobs_.end()) {
          ReplyError(in, v1::ERROR_CODE_NOT_FOUND, explanation.status().message());
          break;
        }
        v1::Explanation* e = response.mutable_explanation();
        e->set_job_id(it->first);
        e->set_decision(v1::JobState_Name(it->second.state()) + ": " +
                        it->second.status().message());
        Reply(in, std::move(response));
        break;
      }
      v1::Explanation* e = response.mutable_explanation();
      e->set_job_id(explanation->job_id);
      e->set_decision(explanation->summary);
      for (const core::CandidateExplanation& c : explanation->candidates) {
        v1::CandidateExplanation* out = e->add_candidates();
        out->set_node_id(c.node_id);
        out->set_feasible(c.feasible);
        out->set_rejected_because(c.reason);
        *out->mutable_cost() = CostToProto(c.cost);
        out->set_start_us(c.start.micros());
      }
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kSetNodeState: {
      if (role != ClientRole::kOperator) {
        metrics_->requests_denied.Increment();
        ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED,
                   "cordon, uncordon and drain are for operators; ask one to add your key to the "
                   "operators' allowlist");
        break;
      }
      auto it = nodes_.find(req.set_node_state().node_id());
      if (it == nodes_.end()) {
        ReplyError(in, v1::ERROR_CODE_NOT_FOUND,
                   "no node '" + req.set_node_state().node_id() + "'");
        break;
      }
      NodeSession& node = it->second;
      switch (req.set_node_state().action()) {
        case v1::NODE_ACTION_CORDON:
          node.stored.set_admin_state(v1::NODE_STATE_CORDONED);
          break;
        case v1::NODE_ACTION_UNCORDON:
          node.stored.set_admin_state(v1::NODE_STATE_READY);
          break;
        case v1::NODE_ACTION_DRAIN:
          node.stored.set_admin_state(v1::NODE_STATE_DRAINING);
          break;
        default:
          ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT,
                     "action must be cordon, uncordon or drain");
          return;
      }
      (void)engine_->SetNodeState(it->first, EngineStateOf(node));
      storage::WriteBatch batch;
      PersistNode(batch, node);
      AppendEvent(batch, "", it->first, v1::NodeAction_Name(req.set_node_state().action()),
                  "by " + owner);
      CommitThenReplyDone(in, std::move(batch));
      SchedulePlan();
      break;
    }
    case v1::ClientRequest::kEvents: {
      const v1::ListEventsRequest& q = req.events();
      if (role == ClientRole::kSubmitter && !q.job_id().empty() && !OwnsJob(q.job_id(), owner)) {
        metrics_->requests_denied.Increment();
        ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED, "job '" + q.job_id() + "' is not yours");
        break;
      }
      const size_t limit = q.limit() == 0 ? 1000 : q.limit();
      auto events = q.job_id().empty() ? storage::ReadEventsByTime(
                                             deps_.store, TimePoint::FromMicros(q.from_us()),
                                             q.to_us() == 0 ? TimePoint::FromMicros(INT64_MAX)
                                                            : TimePoint::FromMicros(q.to_us()),
                                             limit)
                                       : storage::ReadEventsForJob(deps_.store, q.job_id(), limit);
      if (!events.ok()) {
        ReplyError(in, v1::ERROR_CODE_UNAVAILABLE, events.status().message());
        break;
      }
      for (const storage::Event& ev : *events) {
        v1::EventRecord record;
        record.ParseFromString(ev.payload);
        // Submitters see node events and their own jobs' events, not other people's jobs.
        if (role == ClientRole::kSubmitter && !record.job_id().empty() &&
            !OwnsJob(record.job_id(), owner))
          continue;
        record.set_sequence(ev.sequence);
        *response.mutable_events()->add_events() = std::move(record);
      }
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kBackup: {
      if (role != ClientRole::kOperator) {
        metrics_->requests_denied.Increment();
        ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED, "backups are for operators");
        break;
      }
      if (req.backup().dir().empty() || req.backup().dir()[0] != '/') {
        ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT,
                   "backup needs an absolute directory on the scheduler's host, e.g. "
                   "/var/backups/apsis/2026-12-01");
        break;
      }
      // A checkpoint of RocksDB hard-links its files: fast, and consistent with every change
      // acknowledged so far.
      committer_->Flush();
      Status written = deps_.store.BackupTo(req.backup().dir());
      if (!written.ok()) {
        ReplyError(in, v1::ERROR_CODE_FAILED_PRECONDITION, written.message());
        break;
      }
      LogInfo("backup written", {{"dir", req.backup().dir()}, {"by", owner}});
      response.set_done(true);
      Reply(in, std::move(response));
      break;
    }
    case v1::ClientRequest::kStatus:
      *response.mutable_status() = DescribeScheduler();
      Reply(in, std::move(response));
      break;
    default:
      ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT, "empty or unknown client request");
  }
  metrics_->request_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void SchedulerService::HandleSubmit(const transport::IncomingEnvelope& in,
                                    const v1::SubmitJobsRequest& req, const std::string& owner) {
  const TimePoint now = deps_.clock.Now();
  if (req.jobs_size() == 0) {
    return ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT, "submit carries no jobs");
  }
  if (req.jobs_size() > config_.jobs.max_jobs_per_submit) {
    metrics_->submissions_refused.Increment();
    return ReplyError(in, v1::ERROR_CODE_RESOURCE_EXHAUSTED,
                      "submit carries " + std::to_string(req.jobs_size()) + " jobs; the limit is " +
                          std::to_string(config_.jobs.max_jobs_per_submit) +
                          " (jobs.max_jobs_per_submit): split it into smaller submissions");
  }
  std::vector<std::string> problems;
  std::set<std::string> ids_in_request;
  for (int i = 0; i < req.jobs_size(); ++i) {
    const std::string path = "jobs[" + std::to_string(i) + "]";
    auto p = ValidateJobSpecProto(req.jobs(i), path, now);
    problems.insert(problems.end(), p.begin(), p.end());
    const std::string& id = req.jobs(i).id();
    if (!id.empty() && (jobs_.count(id) || !ids_in_request.insert(id).second))
      problems.push_back(path + ".id: '" + id +
                         "' is already used; choose another or leave it empty");
  }
  if (!problems.empty()) {
    metrics_->submissions_refused.Increment();
    return ReplyError(in, v1::ERROR_CODE_INVALID_ARGUMENT,
                      std::to_string(problems.size()) + " problem(s) in the submitted job spec(s)",
                      std::move(problems));
  }
  // All or nothing: the records are written in one batch and acknowledged once durable.
  std::vector<v1::JobStatus> records;
  storage::WriteBatch batch;
  v1::ClientResponse response;
  uint64_t number = next_job_number_;
  for (const v1::JobSpec& spec : req.jobs()) {
    v1::JobStatus job;
    *job.mutable_spec() = spec;
    if (spec.id().empty()) {
      char id[32];
      std::snprintf(id, sizeof id, "job-%06llu", static_cast<unsigned long long>(number++));
      job.mutable_spec()->set_id(id);
    }
    job.mutable_spec()->set_owner(owner);
    job.set_state(v1::JOB_STATE_PENDING);
    job.set_submitted_us(now.micros());
    job.set_updated_us(now.micros());
    job.set_message("waiting for placement");
    PersistJob(batch, job);
    AppendEvent(batch, job.spec().id(), "", "submitted", "by " + owner);
    response.mutable_submitted()->add_job_ids(job.spec().id());
    records.push_back(std::move(job));
  }
  next_job_number_ = number;
  auto shared_records = std::make_shared<std::vector<v1::JobStatus>>(std::move(records));
  transport::IncomingEnvelope reply_to{in.routing_id, in.public_key, in.envelope};
  reply_to.envelope.clear_client_request();  // the reply needs only the correlation id
  Commit(std::move(batch),
         [this, reply_to, shared_records, response = std::move(response)](const Status& s) mutable {
           if (!s.ok()) {
             metrics_->submissions_refused.Increment();
             return ReplyError(reply_to, v1::ERROR_CODE_UNAVAILABLE,
                               "not stored, nothing was submitted: " + s.message() +
                                   " (the scheduler's disk may be full; retry later)");
           }
           for (v1::JobStatus& job : *shared_records) {
             const std::string id = job.spec().id();
             if (!jobs_.Insert(std::move(job)).ok()) continue;  // ids were checked before
             admission_queue_.push_back(id);
             metrics_->jobs_submitted.Increment();
           }
           Reply(reply_to, std::move(response));
           SchedulePlan();
         });
}

void SchedulerService::HandleCancel(const transport::IncomingEnvelope& in,
                                    const std::string& job_id, ClientRole role,
                                    const std::string& owner) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return ReplyError(in, v1::ERROR_CODE_NOT_FOUND, "no job '" + job_id + "'");
  JobRecord& job = it->second;
  if (role == ClientRole::kSubmitter && job.status().spec().owner() != owner) {
    metrics_->requests_denied.Increment();
    return ReplyError(in, v1::ERROR_CODE_PERMISSION_DENIED,
                      "job '" + job_id + "' belongs to " + job.status().spec().owner());
  }
  if (IsTerminal(job.state())) {
    return ReplyError(
        in, v1::ERROR_CODE_FAILED_PRECONDITION,
        "job '" + job_id + "' already ended (" + v1::JobState_Name(job.state()) + ")");
  }
  const std::string node_id = job.status().placement().node_id();
  const bool was_out = job.state() != v1::JOB_STATE_PENDING;
  if (job.in_engine) (void)engine_->Cancel(job_id);
  job.in_engine = false;
  job.mutable_status().set_state(v1::JOB_STATE_CANCELLED);
  job.mutable_status().set_message("cancelled by " + owner);
  job.mutable_status().set_updated_us(deps_.clock.Now().micros());
  storage::WriteBatch batch;
  PersistJob(batch, job.status());
  AppendEvent(batch, job_id, node_id, "cancelled", job.status().message());
  if (was_out && !node_id.empty()) {
    auto node_it = nodes_.find(node_id);
    if (node_it != nodes_.end()) {
      v1::Envelope stop;
      stop.mutable_stop_job()->set_job_id(job_id);
      stop.mutable_stop_job()->set_checkpoint(false);
      stop.mutable_stop_job()->set_stop_at_us(deps_.clock.Now().micros());
      stop.mutable_stop_job()->set_reason("cancelled");
      SendToNode(node_it->second, std::move(stop));
    }
  }
  CommitThenReplyDone(in, std::move(batch));
  SchedulePlan();
}

v1::NodeStatus SchedulerService::DescribeNode(const NodeSession& node, bool with_forecast) {
  v1::NodeStatus out;
  *out.mutable_spec() = node.stored.spec();
  out.set_state(NodeStateToProto(EngineStateOf(node)));
  out.set_last_heartbeat_us(node.last_heard.micros());
  out.set_battery_soc_wh(node.soc_wh);
  out.set_power_draw_w(node.draw_w);
  out.set_gpus_busy(node.gpus_busy);
  if (with_forecast && node.forecast_bytes &&
      !out.mutable_forecast()->ParseFromString(*node.forecast_bytes)) {
    LogError("stored forecast unreadable", {{"node", node.stored.spec().id()}});
  }
  for (const std::string& id : jobs_.OnNode(node.stored.spec().id())) {
    const v1::JobState state = jobs_.find(id)->second.state();
    if (state == v1::JOB_STATE_RUNNING || state == v1::JOB_STATE_PLACED) out.add_running_jobs(id);
  }
  return out;
}

v1::SchedulerStatus SchedulerService::DescribeScheduler() {
  v1::SchedulerStatus out;
  out.set_version(APSIS_VERSION);
  out.set_cluster_id(config_.cluster_id);
  out.set_now_us(deps_.clock.Now().micros());
  out.set_nodes(static_cast<uint32_t>(nodes_.size()));
  uint32_t ready = 0;
  for (const auto& [id, node] : nodes_)
    if (EngineStateOf(node) == core::NodeState::kReady) ++ready;
  out.set_nodes_ready(ready);
  for (const auto& [state, by_kind] : jobs_.Counts()) {
    if (by_kind[0] + by_kind[1] == 0) continue;
    (*out.mutable_jobs_by_state())[v1::JobState_Name(static_cast<v1::JobState>(state))] +=
        by_kind[0] + by_kind[1];
  }
  return out;
}

}  // namespace apsis::daemon
