// SchedulerService: loading and persisting its state.
//
// Layout in the store: nodes/<node id> = v1.StoredNode, jobs/<job id> = v1.JobStatus,
// placements/<job id> = v1.Placement, events = v1.EventRecord (appended), meta is the store's.
#include <chrono>
#include <cstdlib>

#include "common/log.h"
#include "scheduler/daemon/proto_conversion.h"
#include "scheduler/daemon/scheduler_service.h"

namespace apsis::daemon {

Status SchedulerService::LoadState() {
  Status scan_nodes = deps_.store.Scan(
      storage::Column::kNodes, storage::ScanRange::All(),
      [&](std::string_view key, std::string_view value) {
        NodeSession node;
        if (!node.stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          LogError("unreadable node record skipped", {{"node", std::string(key)}});
          return true;
        }
        node.kind = node.stored.spec().kind() == v1::NODE_KIND_ORBITAL ? core::NodeKind::kOrbital
                                                                       : core::NodeKind::kGround;
        node.applied_event_sequence = node.durable_event_sequence =
            node.stored.last_event_sequence();
        nodes_.emplace(std::string(key), std::move(node));
        return true;
      });
  RETURN_IF_ERROR(scan_nodes);
  for (auto& [id, node] : nodes_) {
    if (!node.stored.public_key().empty()) node_by_key_[node.stored.public_key()] = id;
    RETURN_IF_ERROR(engine_->AddNode(NodeSpecFromProto(node.stored.spec())));
    if (node.stored.has_forecast()) {
      auto forecast = NodeForecastFromProto(node.kind, node.stored.forecast());
      if (forecast.ok() && engine_->UpdateForecast(id, *forecast).ok()) {
        node.has_forecast = true;
        node.windows = forecast->windows;
      }
    }
    RETURN_IF_ERROR(engine_->SetNodeState(id, EngineStateOf(node)));
  }

  std::vector<std::string> to_engine;
  Status scan_jobs = deps_.store.Scan(
      storage::Column::kJobs, storage::ScanRange::All(),
      [&](std::string_view key, std::string_view value) {
        JobRecord job;
        if (!job.status.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          LogError("unreadable job record skipped", {{"job", std::string(key)}});
          return true;
        }
        const std::string id(key);
        if (id.rfind("job-", 0) == 0) {
          const uint64_t n = std::strtoull(id.c_str() + 4, nullptr, 10);
          next_job_number_ = std::max(next_job_number_, n + 1);
        }
        switch (job.status.state()) {
          case v1::JOB_STATE_PENDING:
          case v1::JOB_STATE_LOST:
          case v1::JOB_STATE_SUSPENDED:
            to_engine.push_back(id);
            break;
          case v1::JOB_STATE_PLACED:
          case v1::JOB_STATE_STARTING:
          case v1::JOB_STATE_RUNNING:
          case v1::JOB_STATE_CHECKPOINTING:
            unreported_running_.insert(id);
            break;
          default:
            break;
        }
        jobs_.emplace(id, std::move(job));
        return true;
      });
  RETURN_IF_ERROR(scan_jobs);
  for (const std::string& id : to_engine) {
    JobRecord& job = jobs_.at(id);
    job.status.set_state(v1::JOB_STATE_PENDING);
    Status added = AddJobToEngine(job);
    if (!added.ok())
      LogError("stored job not re-queued", {{"job", id}, {"error", added.message()}});
  }
  // Silence before this process could answer is not held against a node: agents reach the
  // scheduler only once the state is loaded, which takes seconds on a large store.
  const TimePoint loaded = deps_.clock.Now();
  for (auto& [id, node] : nodes_) node.last_heard = loaded;
  reconciling_ = !unreported_running_.empty();
  if (!nodes_.empty() || !jobs_.empty()) {
    LogInfo("state loaded", {{"nodes", Kv(nodes_.size())},
                             {"jobs", Kv(jobs_.size())},
                             {"to_reconcile", Kv(unreported_running_.size())},
                             {"store", deps_.store.Describe()}});
  }
  return Status::Ok();
}

void SchedulerService::PersistJob(storage::WriteBatch& batch, const JobRecord& job) {
  batch.Put(storage::Column::kJobs, job.status.spec().id(), job.status.SerializeAsString());
}

void SchedulerService::PersistNode(storage::WriteBatch& batch, const NodeSession& node) {
  batch.Put(storage::Column::kNodes, node.stored.spec().id(), node.stored.SerializeAsString());
}

void SchedulerService::AppendEvent(storage::WriteBatch& batch, const std::string& job_id,
                                   const std::string& node_id, const std::string& kind,
                                   const std::string& message) {
  v1::EventRecord record;
  const TimePoint now = deps_.clock.Now();
  record.set_at_us(now.micros());
  record.set_job_id(job_id);
  record.set_node_id(node_id);
  record.set_kind(kind);
  record.set_message(message);
  batch.AppendEvent(storage::NewEvent{now, job_id, record.SerializeAsString()});
}

void SchedulerService::Commit(storage::WriteBatch batch, std::function<void(const Status&)> done) {
  SchedulerMetrics* metrics = metrics_.get();
  committer_->Submit(std::move(batch),
                     [metrics, done = std::move(done)](const Result<storage::CommitInfo>& result) {
                       if (!result.ok()) {
                         metrics->store_errors.Increment();
                         LogError("durable write failed", {{"error", result.status().ToString()}});
                       }
                       if (done) done(result.ok() ? Status::Ok() : result.status());
                     });
}

}  // namespace apsis::daemon
