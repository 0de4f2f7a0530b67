// Agent: the apsis-agent daemon of one node (a ground site or an orbital cluster).
//
// It announces the node to the scheduler (Hello with its NodeSpec and running jobs, repeated until
// a Welcome arrives and again whenever the scheduler answers with an error, e.g. after a scheduler
// restart that forgot the node), sends heartbeats, and sends forecasts at start, every
// `forecast.interval`, and at once when something changes materially (a job starts or stops, or
// the measured battery charge drifts from the forecast by more than `soc_deviation_wh`). It runs
// time-tagged StartJob/StopJob at their time on its own clock, with or without contact. Job events
// go through the durable EventJournal before they are sent, are resent in order until the
// scheduler's Ack covers them, and survive agent restarts. SIGTERM (Shutdown) stops all reporting
// and either leaves jobs running or stops them with a checkpoint, as configured.
//
// Owns its executor, power model, journal and connection. Not thread-safe: everything runs on the
// io_context thread given at creation (signal handlers must post to it).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "agents/agent_config.h"
#include "agents/contact_plan.h"
#include "agents/event_journal.h"
#include "agents/executor.h"
#include "agents/forecast_builder.h"
#include "agents/power_model.h"
#include "agents/running_job_records.h"
#include "apsis/v1/envelope.pb.h"
#include "common/clock.h"
#include "common/clock_timer.h"
#include "metrics/metrics.h"
#include "transport/dealer_client.h"

namespace apsis::agents {

inline constexpr const char* kAgentVersion = "0.1.0";

class Agent {
 public:
  // Builds every part from `config`; fails on unreadable keys, an unusable state_dir or journal,
  // or a power model that cannot be built (e.g. a bad TLE). `insecure` disables CURVE.
  static Result<std::unique_ptr<Agent>> Create(boost::asio::io_context& io, zmq::context_t& zmq,
                                               const Clock& clock, AgentConfig config,
                                               metrics::MetricRegistry& metrics, bool insecure);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Says hello and starts the timers.
  void Start();

  // Stops reporting at once; with on_shutdown: checkpoint also stops every job with a checkpoint
  // (bounded by shutdown_timeout). Calls `done` when the process may exit.
  void Shutdown(std::function<void()> done);

  bool registered() const { return registered_; }
  size_t queued_events() const { return journal_->pending().size(); }
  const EventJournal& journal() const { return *journal_; }
  Executor& executor() { return *executor_; }
  PowerModel& power_model() { return *power_model_; }
  uint64_t forecasts_sent() const { return forecasts_sent_; }

 private:
  Agent(boost::asio::io_context& io, const Clock& clock, AgentConfig config,
        metrics::MetricRegistry& metrics);

  struct Instruments;
  void OnEnvelope(v1::Envelope&& envelope);
  void OnWelcome(const v1::Welcome& welcome);
  void OnStartJob(const v1::StartJob& start);
  void OnStopJob(const v1::StopJob& stop);
  void OnAck(const v1::Ack& ack);
  void OnExecutorEvent(ExecutorEvent event);
  void RunStart(const std::string& job_id);
  void RunStop(const std::string& job_id);
  void TakeOverRunningJobs();

  void Send(v1::Envelope envelope);
  void SendHello();
  void SendHeartbeat();
  void SendForecast(const std::string& why);
  void ResendPendingEvents();
  void ArmHelloRetry();
  void ArmHeartbeat();
  void ArmForecast();
  void ArmResend();
  void UpdatePower();
  void UpdateMetrics();
  // Whether the node can reach the ground at `t` (always for ground nodes and relay mode).
  bool InContact(TimePoint t) const;
  void RefreshContacts();
  void UpdateContactMetrics();

  boost::asio::io_context& io_;
  const Clock& clock_;
  AgentConfig config_;
  std::unique_ptr<Instruments> instruments_;
  std::unique_ptr<PowerModel> power_model_;
  std::unique_ptr<ContactPlan> contacts_;
  std::unique_ptr<ForecastBuilder> forecasts_;
  std::unique_ptr<EventJournal> journal_;
  std::unique_ptr<RunningJobRecords> running_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<transport::DealerClient> client_;

  ClockTimer hello_timer_;
  ClockTimer heartbeat_timer_;
  ClockTimer forecast_timer_;
  ClockTimer resend_timer_;
  boost::asio::steady_timer shutdown_timer_;

  // Time-tagged actions waiting for their time.
  struct PendingStart {
    v1::StartJob start;
    std::unique_ptr<ClockTimer> timer;
  };
  struct PendingStop {
    v1::StopJob stop;
    std::unique_ptr<ClockTimer> timer;
  };
  std::map<std::string, PendingStart> pending_starts_;
  std::map<std::string, PendingStop> pending_stops_;
  // Per running job: when its energy was last accounted and at what draw.
  struct EnergyMark {
    TimePoint at;
    double watts = 0;
  };
  std::map<std::string, EnergyMark> energy_marks_;
  std::map<std::string, double> job_watts_;
  std::vector<std::pair<TimePoint, TimePoint>>
      windows_;  // AOS/LOS of the last forecast  // nominal draw of each started job

  bool started_ = false;
  bool registered_ = false;
  bool stopping_ = false;
  bool forecast_posted_ = false;
  Duration heartbeat_interval_;
  Duration hello_backoff_;
  double job_draw_w_ = 0;
  uint64_t acked_at_last_resend_ = 0;
  uint64_t forecasts_sent_ = 0;
  std::function<void()> shutdown_done_;
};

}  // namespace apsis::agents
