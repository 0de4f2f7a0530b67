// SchedulerService: loading and persisting its state.
//
// Layout in the store: nodes/<node id> = v1.StoredNode, jobs/<job id> = v1.JobStatus,
// placements/<job id> = v1.Placement, events = v1.EventRecord (appended), meta is the store's.
#include <google/protobuf/arena.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "common/log.h"
#include "scheduler/daemon/proto_conversion.h"
#include "scheduler/daemon/scheduler_service.h"
#include "scheduler/daemon/stored_node.h"

namespace apsis::daemon {

Status SchedulerService::LoadState() {
  // The jobs are read on a second thread while the nodes go into the planner: the two touch
  // disjoint state (jobs_, the queues and job numbers there; nodes_ and the engine here) until
  // both are done, and the event loop runs only after.
  size_t requeued = 0;
  Status scan_jobs;
  std::thread jobs_reader([&] {
    scan_jobs = deps_.store.Scan(
        storage::Column::kJobs, storage::ScanRange::All(),
        [&](std::string_view key, std::string_view value) {
          auto inserted = jobs_.InsertStored(key, value);
          if (!inserted.ok()) {
            LogError("unreadable job record skipped",
                     {{"job", std::string(key)}, {"error", inserted.status().message()}});
            return true;
          }
          JobRecord& job = **inserted;
          if (key.substr(0, 4) == "job-") {
            const uint64_t n = std::strtoull(std::string(key.substr(4)).c_str(), nullptr, 10);
            next_job_number_ = std::max(next_job_number_, n + 1);
          }
          switch (job.state()) {
            case v1::JOB_STATE_PENDING:
            case v1::JOB_STATE_LOST:
            case v1::JOB_STATE_SUSPENDED:
              // Planned like a new submission, a time-bounded share per pass, so a large queue
              // does not hold the event loop in the first pass.
              job.mutable_status().set_state(v1::JOB_STATE_PENDING);
              admission_queue_.emplace_back(key);
              ++requeued;
              break;
            case v1::JOB_STATE_PLACED:
            case v1::JOB_STATE_STARTING:
            case v1::JOB_STATE_RUNNING:
            case v1::JOB_STATE_CHECKPOINTING:
              unreported_running_.emplace(key);
              break;
            default:
              break;
          }
          return true;
        });
    jobs_.Sync();
  });
  // One arena block serves every node's forecast in turn: decoding ~1,500 steps then allocates
  // nothing, and the decoded forecast lives only until the planner has its own copy.
  std::vector<char> arena_block(1 << 20);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block.data();
  arena_options.initial_block_size = arena_block.size();
  Status node_error;
  Status scan_nodes = deps_.store.Scan(
      storage::Column::kNodes, storage::ScanRange::All(),
      [&](std::string_view key, std::string_view value) {
        auto split = SplitStoredNode(value);
        if (!split.ok()) {
          LogError("unreadable node record skipped",
                   {{"node", std::string(key)}, {"error", split.status().message()}});
          return true;
        }
        const std::string id(key);
        NodeSession& node = nodes_.emplace_hint(nodes_.end(), id, NodeSession())->second;
        node.stored = std::move(split->rest);
        node.forecast_bytes = std::move(split->forecast);
        node.kind = node.stored.spec().kind() == v1::NODE_KIND_ORBITAL ? core::NodeKind::kOrbital
                                                                       : core::NodeKind::kGround;
        node.applied_event_sequence = node.durable_event_sequence =
            node.stored.last_event_sequence();
        if (!node.stored.public_key().empty()) node_by_key_[node.stored.public_key()] = id;
        node_error = engine_->AddNode(NodeSpecFromProto(node.stored.spec()));
        if (!node_error.ok()) return false;
        if (node.forecast_bytes) {
          google::protobuf::Arena arena(arena_options);
          auto* stored_forecast = google::protobuf::Arena::CreateMessage<v1::Forecast>(&arena);
          if (stored_forecast->ParseFromString(*node.forecast_bytes)) {
            node.gauge_series =
                ForecastGaugeSeries::From(*stored_forecast, node.kind == core::NodeKind::kOrbital);
            auto forecast = NodeForecastFromProto(node.kind, *stored_forecast);
            if (forecast.ok()) {
              std::vector<ContactWindow> windows = forecast->windows;
              if (engine_->UpdateForecast(id, std::move(*forecast)).ok()) {
                node.has_forecast = true;
                node.windows = std::move(windows);
              }
            }
          }
        }
        node_error = engine_->SetNodeState(id, EngineStateOf(node));
        return node_error.ok();
      });
  jobs_reader.join();
  RETURN_IF_ERROR(scan_nodes);
  RETURN_IF_ERROR(node_error);
  RETURN_IF_ERROR(scan_jobs);
  // Silence before this process could answer is not held against a node: agents reach the
  // scheduler only once the state is loaded, which takes seconds on a large store.
  const TimePoint loaded = deps_.clock.Now();
  for (auto& [id, node] : nodes_) node.last_heard = loaded;
  reconciling_ = !unreported_running_.empty();
  if (!nodes_.empty() || !jobs_.empty()) {
    LogInfo("state loaded", {{"nodes", Kv(nodes_.size())},
                             {"jobs", Kv(jobs_.size())},
                             {"to_reconcile", Kv(unreported_running_.size())},
                             {"to_plan", Kv(requeued)},
                             {"store", deps_.store.Describe()}});
  }
  return Status::Ok();
}

void SchedulerService::PersistJob(storage::WriteBatch& batch, const v1::JobStatus& job) {
  batch.Put(storage::Column::kJobs, job.spec().id(), job.SerializeAsString());
}

void SchedulerService::PersistNode(storage::WriteBatch& batch, const NodeSession& node) {
  batch.Put(storage::Column::kNodes, node.stored.spec().id(),
            JoinStoredNode(node.stored, node.forecast_bytes));
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
