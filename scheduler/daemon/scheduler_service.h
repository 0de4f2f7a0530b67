// SchedulerService: the apsis-scheduler daemon's state and behaviour, on one event loop.
//
// It owns the placement engine, the node sessions and the job records, serves agents and clients
// over two ZeroMQ endpoints, persists every acknowledged change through a GroupCommitter before
// acknowledging it, and records metrics. Agents: Hello binds a node id to the agent's CURVE key;
// heartbeats and forecasts keep the node live and plannable; JobEvents are deduplicated by
// sequence number and acknowledged once stored. Clients: submit, cancel, inspect, explain,
// cordon/drain, events, status, with operator and submitter roles.
//
// After a restart it reloads nodes and jobs, waits `agents.restart_grace` for agents to re-hello
// with what they run, then reconciles: a job an agent runs that the scheduler considers finished
// or unknown is stopped; a job the scheduler considers running that no agent reported is lost and
// re-queued from its last checkpoint. No planning happens before that, so no job runs twice.
//
// Thread-safety: not thread-safe. Every method runs on the io_context's thread; other threads
// only post work to it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>  // before Boost.Asio: Boost 1.74 misses it under C++20
#include <vector>

#include "apsis/v1/envelope.pb.h"
#include "apsis/v1/state.pb.h"
#include "common/clock.h"
#include "common/clock_timer.h"
#include "metrics/metrics.h"
#include "scheduler/core/engine.h"
#include "scheduler/daemon/job_table.h"
#include "scheduler/daemon/node_liveness.h"
#include "scheduler/daemon/scheduler_config.h"
#include "scheduler/daemon/scheduler_metrics.h"
#include "scheduler/daemon/stored_node.h"
#include "storage/group_committer.h"
#include "storage/store.h"
#include "transport/router_server.h"
#include "transport/zap_authenticator.h"

namespace apsis::daemon {

enum class ClientRole { kNone, kSubmitter, kOperator };

class SchedulerService {
 public:
  struct Dependencies {
    boost::asio::io_context& io;
    const Clock& clock;
    zmq::context_t& zmq;
    storage::Store& store;
    metrics::MetricRegistry& metrics;
  };

  static Result<std::unique_ptr<SchedulerService>> Create(Dependencies deps,
                                                          SchedulerConfig config);
  ~SchedulerService();

  // Loads the stored state, binds both endpoints and starts the timers.
  Status Start();
  // Stops taking requests and writes what is queued; `done` runs when everything is durable.
  void Shutdown();
  // SIGHUP: re-reads allowlists; cost weights and policy apply to placements from now on.
  Status Reload(const SchedulerConfig& config);

  const std::string& agent_endpoint() const { return agent_server_->bound_endpoint(); }
  const std::string& client_endpoint() const { return client_server_->bound_endpoint(); }
  bool reconciling() const { return reconciling_; }
  size_t node_count() const { return nodes_.size(); }
  size_t job_count() const { return jobs_.size(); }

 private:
  struct NodeSession {
    v1::StoredNode stored;  // without its forecast, which is kept as bytes (see stored_node.h)
    std::optional<std::string> forecast_bytes;
    ForecastGaugeSeries gauge_series;  // what the gauges read of that forecast
    std::string routing_id;            // empty until the agent says Hello in this process's life
    TimePoint last_heard;
    core::NodeKind kind = core::NodeKind::kGround;
    std::vector<ContactWindow> windows;  // predicted, from the last forecast
    Liveness liveness = Liveness::kReachable;
    bool has_forecast = false;
    TimePoint welcomed_at;  // when the last Welcome was sent: each one asks for a forecast
    std::vector<v1::Envelope> outbox;            // StartJob/StopJob waiting for contact
    std::vector<std::string> awaiting_adoption;  // reported running, not yet in the planner
    std::set<std::string> awaiting_contact;      // running here at a restart, not yet re-reported
    // Job events: applied in memory, and stored. Only stored ones are acknowledged; when storing
    // one failed (e.g. a full disk), the agent's resend writes the applied state again.
    uint64_t applied_event_sequence = 0;
    uint64_t durable_event_sequence = 0;
    bool event_write_failed = false;
    double soc_wh = 0;
    double draw_w = 0;
    uint32_t gpus_busy = 0;
  };

  SchedulerService(Dependencies deps, SchedulerConfig config);

  // Start-up and persistence (scheduler_state.cc).
  Status LoadState();
  void PersistJob(storage::WriteBatch& batch, const v1::JobStatus& job);
  void PersistNode(storage::WriteBatch& batch, const NodeSession& node);
  void AppendEvent(storage::WriteBatch& batch, const std::string& job_id,
                   const std::string& node_id, const std::string& kind, const std::string& message);
  void Commit(storage::WriteBatch batch, std::function<void(const Status&)> done = nullptr);

  // Agents (agent_protocol.cc).
  void OnAgentMessage(transport::IncomingEnvelope&& in);
  void OnHello(transport::IncomingEnvelope& in);
  void OnHeartbeat(NodeSession& node, const v1::Heartbeat& hb);
  void SendWelcome(NodeSession& node, const std::string& routing_id, uint64_t correlation_id);
  void OnForecast(NodeSession& node, const v1::Forecast& forecast);
  void OnJobEvent(NodeSession& node, const v1::JobEvent& event);
  void CommitJobEvent(NodeSession& node, storage::WriteBatch batch);
  void AckJobEvents(const std::string& node_id, uint64_t sequence);
  void SendToNode(NodeSession& node, v1::Envelope envelope);
  void AdoptRunningJobs(NodeSession& node);
  void FlushOutbox(NodeSession& node);
  void CheckLiveness();
  void ResendUnacknowledgedStarts();
  void MarkNodeDown(NodeSession& node);
  void FinishReconciliation();
  void RequeueUnreported(storage::WriteBatch& batch, const std::string& job_id);
  LivenessInput LivenessOf(const NodeSession& node) const;

  // Clients (client_protocol.cc).
  void OnClientMessage(transport::IncomingEnvelope&& in);
  ClientRole RoleOf(const std::string& public_key) const;
  bool OwnsJob(const std::string& job_id, const std::string& owner) const;
  void HandleSubmit(const transport::IncomingEnvelope& in, const v1::SubmitJobsRequest& req,
                    const std::string& owner);
  void HandleCancel(const transport::IncomingEnvelope& in, const std::string& job_id,
                    ClientRole role, const std::string& owner);
  v1::NodeStatus DescribeNode(const NodeSession& node, bool with_forecast);
  v1::SchedulerStatus DescribeScheduler();
  void Reply(const transport::IncomingEnvelope& in, v1::ClientResponse response);
  void CommitThenReplyDone(const transport::IncomingEnvelope& in, storage::WriteBatch batch);
  void ReplyError(const transport::IncomingEnvelope& in, v1::ErrorCode code, std::string message,
                  std::vector<std::string> details = {});

  // Planning (scheduler_service.cc).
  void SchedulePlan();
  void RunPlan();
  void AdmitQueuedJobs(storage::WriteBatch& batch);
  // FAILED, written to `batch` with a "rejected" event.
  void FailJob(JobRecord& job, const std::string& message, storage::WriteBatch& batch);
  void ApplyAction(const core::Action& action,
                   const std::map<std::string, core::CostBreakdown>& costs,
                   storage::WriteBatch& batch);
  void ArmTimers();
  void ArmPlanTimer();
  void ArmLivenessTimer();
  Status AddJobToEngine(JobRecord& job);
  core::NodeState EngineStateOf(const NodeSession& node) const;
  // Job gauges always; node gauges when `with_nodes` or a second after they last were.
  void UpdateGauges(bool with_nodes);

  Dependencies deps_;
  SchedulerConfig config_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<transport::ZapAuthenticator> zap_;
  std::unique_ptr<transport::RouterServer> agent_server_;
  std::unique_ptr<transport::RouterServer> client_server_;
  std::map<std::string, std::string> operator_keys_;
  std::map<std::string, std::string> submitter_keys_;
  std::unique_ptr<SchedulerMetrics> metrics_;

  std::map<std::string, NodeSession, std::less<>> nodes_;
  std::map<std::string, std::string> node_by_key_;
  JobTable jobs_;
  uint64_t next_job_number_ = 1;
  // Submitted jobs waiting to be handed to the planner. Each planning pass admits only as many as
  // fit its time budget, so one large burst cannot hold the event loop (and every heartbeat and
  // request behind it) for seconds.
  std::deque<std::string> admission_queue_;
  size_t admit_per_pass_ = 64;
  std::map<std::string, TimePoint> start_resent_at_;  // last StartJob re-send per job
  TimePoint nodes_gauged_at_;

  bool reconciling_ = false;
  std::set<std::string> unreported_running_;  // running before the restart, not yet re-reported
  bool shutting_down_ = false;
  bool plan_scheduled_ = false;
  std::unique_ptr<ClockTimer> plan_timer_;
  std::unique_ptr<ClockTimer> liveness_timer_;
  std::unique_ptr<ClockTimer> grace_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace apsis::daemon
