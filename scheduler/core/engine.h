// Engine: the placement engine of Apsis — the one entry point the daemon and the simulator use.
//
// The engine holds the fleet model (node specs, states, forecasts), the job queue and the
// reservations, and turns them into actions with Plan(now):
//   StartJob{node, at}    reserve and start (time-tagged; supersedes an earlier StartJob of the
//   job) StopJob{checkpoint}   stop at `at` (with a checkpoint when asked); for a job that has not
//                         started yet it cancels the pending StartJob
//   Reject{reason}        the job can never be placed as specified
// It is pure and deterministic: no I/O, no clock reads, no randomness. `now` is passed in, every
// container is iterated in sorted-id order, so the same calls produce a byte-identical plan.
//
// Typical daemon loop (all calls on the daemon's event-loop thread):
//   auto engine = Engine::Create(config).value();
//   engine->AddNode(spec);                  // on agent Hello
//   engine->UpdateForecast(id, forecast);   // on agent Forecast
//   engine->SetNodeState(id, kCordoned);    // on `apsisctl drain/cordon`, heartbeat loss (kDown)
//   engine->Submit(job);                    // on client submit
//   engine->OnJobEvent(event);              // on agent JobEvent
//   PlanResult plan = engine->Plan(clock.Now()).value();  // after any of the above, or on a timer
//   ... send plan.actions to agents; plan.outcomes to clients and metrics
//   engine->Explain(job_id, now)            // `apsisctl explain`
//
// Re-planning: UpdateForecast and SetNodeState mark the node; the next Plan() re-validates every
// reservation on it. Running training that would violate a constraint gets StopJob{checkpoint}
// early enough for the checkpoint to finish before the violation and is re-placed from that
// checkpoint; a running training job migrates only if the saving exceeds the migration cost.
//
// Thread-safety: not thread-safe, including the const methods (they fill internal caches); own
// the engine on one thread, as the daemon's event loop does.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "scheduler/core/engine_config.h"
#include "scheduler/core/model.h"
#include "scheduler/core/node_ledger.h"
#include "scheduler/core/placement_search.h"
#include "scheduler/core/plan_checker.h"
#include "scheduler/core/policy/placement_policy.h"
#include "scheduler/core/window_allocation.h"

namespace apsis::core {

struct PlanResult {
  std::vector<Action> actions;
  std::vector<JobOutcome> outcomes;  // one per job considered in this Plan()
};

// One node as seen by Explain: the best candidate on it with its cost breakdown, or the precise
// constraint that rejected it.
struct CandidateExplanation {
  std::string node_id;
  bool feasible = false;
  bool chosen = false;  // the node the job is (or would be) placed on
  bool pruned = false;  // feasible-or-not unknown: its cost lower bound could not win
  TimePoint start;
  TimePoint end;
  CostBreakdown cost;
  double score = 0;
  Constraint constraint = Constraint::kNone;
  std::string reason;
};

struct PlacementExplanation {
  std::string job_id;
  JobState state = JobState::kPending;
  std::string placed_on;                       // current reservation's node, if any
  OutcomeKind outcome = OutcomeKind::kPlaced;  // what placing it now would give
  std::string summary;
  std::vector<CandidateExplanation> candidates;  // feasible by score, then rejected by node id
  std::string ToString() const;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(EngineConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Registers a node (or replaces its spec). It takes work once it has a forecast.
  Status AddNode(const NodeSpec& spec);
  Status UpdateForecast(std::string_view node_id, NodeForecast forecast);
  Status SetNodeState(std::string_view node_id, NodeState state);

  // Replaces the objective weights, search limits and policy (the daemon's SIGHUP). Existing
  // reservations stay; decisions from the next Plan() on use the new settings, and jobs that
  // could not be placed are tried again.
  Status Reconfigure(EngineConfig config);

  Status Submit(const JobSpec& job);
  // Where a training job stopped earlier left its staged input and last checkpoint (after a
  // scheduler restart, from the job's stored status).
  struct ResumePoint {
    std::string node_id;
    TimePoint checkpoint_written_at;
    double checkpointed_gpu_hours = 0;
  };
  // Submit() of a job that resumes from `resume`: on resume.node_id it needs no staging;
  // elsewhere its checkpoint is staged again and, from an orbital node, must first come down
  // through that node's windows opening after the checkpoint was written. Call after the node
  // was added, so that its kind is known.
  Status Submit(const JobSpec& job, const ResumePoint& resume);
  // Where a stopped training job's input and checkpoint are while it waits to start again (on
  // that node or, after they are moved, elsewhere); nothing for a job running, never run, or
  // whose node lost them. The daemon stores it so that a restart can Submit(job, resume).
  std::optional<ResumePoint> ResumePointOf(std::string_view job_id) const;
  // Cancels a job; if it was placed or running, the next Plan() emits StopJob{checkpoint=false}.
  Status Cancel(std::string_view job_id);
  Status OnJobEvent(const JobEvent& event);

  // Registers a job that an agent reports running on `node_id` but that this engine has no record
  // of (after a scheduler restart). It gets a running reservation from `started_at` (not before the
  // node's forecast start) until its remaining work is done (training: gpu_hours minus
  // `done_gpu_hours`, on all its GPUs; inference: until serve_end), so its GPUs and power are not
  // given to other jobs. FailedPrecondition when the node has no forecast yet.
  Status AdoptRunningJob(const JobSpec& job, std::string_view node_id, TimePoint started_at,
                         double done_gpu_hours);

  // Re-plans changed nodes, then places pending jobs (priority order for most policies).
  Result<PlanResult> Plan(TimePoint now);

  // Every node's best candidate or rejection for `job_id`, as if it were placed at `now`.
  Result<PlacementExplanation> Explain(std::string_view job_id, TimePoint now) const;

  // Current reservations (including the tails of jobs that are stopping), sorted by job id.
  std::vector<Reservation> Reservations() const;
  Result<JobState> GetJobState(std::string_view job_id) const;
  // Everything the independent checker needs to validate the current plan.
  FleetSnapshot Snapshot(TimePoint now) const;
  const PlacementPolicy& policy() const { return *policy_; }
  // Bytes held by node ledgers and by reservations (for the memory benchmark).
  size_t LedgerMemoryBytes() const;
  size_t ReservationMemoryBytes() const;

 private:
  struct NodeRecord;
  struct JobRecord;

  explicit Engine(EngineConfig config, std::unique_ptr<PlacementPolicy> policy);

  // `released`: transfers of a reservation of the job about to be removed (a migration's
  // check), whose window capacity counts as free for its checkpoint's downlink.
  PlacementRequest MakeRequest(const JobRecord& job, TimePoint now,
                               const std::vector<TransferAllocation>* released = nullptr) const;
  CheckpointDownlinkPlan PlanJobCheckpoint(const JobRecord& job, TimePoint now,
                                           const std::vector<TransferAllocation>* released) const;
  // After `placed` is committed: reserves the downlink of a checkpoint left in orbit when the job
  // resumes elsewhere, or drops that downlink when it resumes where the checkpoint is.
  void SettleCheckpointDownlink(JobRecord& job, const Reservation& placed, TimePoint now);
  // Drops a job's checkpoint downlink (window gone or over capacity) and re-queues the job's
  // placement elsewhere that relied on it, if it has not started.
  void ReleaseCheckpointDownlink(JobRecord& job, TimePoint now, const std::string& why,
                                 PlanResult& plan);
  const std::vector<SearchNode>& SearchNodes() const;
  void RebuildLedger(NodeRecord& node);
  const Reservation& CommitReservation(Reservation r, const std::string& key);
  void EraseReservationsOf(const std::string& job_id);
  // Removes reservations by key (those that exist) and rebuilds the ledgers they were on.
  void EraseReservationKeys(std::initializer_list<std::string> keys);
  void RequeueFromStop(JobRecord& job, const Reservation& res, TimePoint stop_at,
                       TimePoint resume_at);
  Duration CheckpointDuration(const JobSpec& job, const NodeLedger& ledger) const;
  void ReplanNode(NodeRecord& node, TimePoint now, PlanResult& plan);
  // After a forecast change: moves output downlinks off vanished or over-full windows onto the
  // remaining ones and re-derives relay-less serving traffic from the new windows; stops or
  // re-places serving that the new windows no longer keep in contact (engine_replan.cc).
  void ReplanWindowUse(NodeRecord& node, TimePoint now, PlanResult& plan);
  // Ends running work `key` at `stop_at` (a checkpoint for training, written until `tail_end`)
  // and re-queues it; the tail keeps the node's resources until `tail_end` if that is after now.
  // Second half of ReplanWindowUse, run again once re-planning freed capacity.
  void ReallocateOutputs(NodeRecord& node, TimePoint now, PlanResult& plan);
  std::string DescribeWaitingOutput(const Reservation& r) const;
  // Outcomes of running work whose output waits on the node for later windows.
  void ReportWaitingOutputs(const NodeRecord& node, PlanResult& plan) const;
  // Removes reservation `key` of work not started (re-queued for placement) or a stopping tail.
  void ReleasePlaced(NodeRecord& node, const std::string& key, TimePoint now,
                     const std::string& why, PlanResult& plan);
  void StopRunning(NodeRecord& node, const std::string& key, TimePoint stop_at, TimePoint tail_end,
                   TimePoint now, const std::string& reason, PlanResult& plan);
  void PlaceJob(JobRecord& job, TimePoint now, PlanResult& plan);
  bool TryPreemption(JobRecord& job, TimePoint now, PlanResult& plan);
  void ConsiderMigration(const std::set<std::string>& nodes, TimePoint now, PlanResult& plan);

  EngineConfig config_;
  std::unique_ptr<PlacementPolicy> policy_;
  std::map<std::string, std::unique_ptr<NodeRecord>, std::less<>> nodes_;
  std::map<std::string, std::unique_ptr<JobRecord>, std::less<>> jobs_;
  // Keyed by job id; a stopping job's tail (running until its checkpoint is written) is keyed
  // "<job id>/stopping" so it can coexist with the job's next reservation.
  std::map<std::string, Reservation, std::less<>> reservations_;
  // Ids of jobs that may be pending (a superset; Plan() drops the others) so that Plan() does not
  // walk every job ever submitted.
  std::set<std::string> maybe_pending_;
  // Nodes whose forecast or state changed since the last Plan().
  std::set<std::string> dirty_nodes_;
  // Keys of stopping tails (a superset; Plan() drops stale ones).
  std::set<std::string> stopping_keys_;
  // SearchNodes() cache, rebuilt after nodes, forecasts or states change.
  mutable std::vector<SearchNode> search_nodes_;
  mutable bool search_nodes_valid_ = false;
  std::vector<Action> queued_actions_;  // from Cancel(), emitted by the next Plan()
  uint64_t next_seq_ = 0;
  // Bumped by every change that may free capacity (forecasts, node states, cancellations, job
  // ends, stops); see JobRecord::tried.
  uint64_t capacity_version_ = 0;
};

}  // namespace apsis::core
