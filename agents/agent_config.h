// AgentConfig: everything in an apsis-agent node file (node.yaml), read strictly.
//
// One file describes one node: identity and GPUs, how to reach the scheduler (endpoint, CURVE key
// files), the clock, the executor, forecasts, and either the ground site (grid, PUE, price/carbon
// series, solar, region) or the orbit (TLE or mean elements, array, battery, bus, radiator, ground
// stations, relay). apsis-link reads the same file (orbit, stations, clock) plus its `link_proxy`
// section. Every problem is reported at once as "file:line:col: what; how to fix". Relative paths
// are resolved against the file's directory. See configs/agent-ground.yaml and agent-orbital.yaml.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/forecast_builder.h"
#include "agents/ground_power_model.h"
#include "agents/orbital_power_model.h"
#include "agents/process_executor.h"
#include "agents/sim_executor.h"
#include "agents/slurm_executor.h"
#include "apsis/v1/common.pb.h"
#include "common/clock.h"
#include "common/status.h"
#include "link/contact_windows.h"
#include "link/link_model.h"

namespace apsis::agents {

enum class ExecutorKind { kSim, kProcess, kSlurm };
enum class ShutdownPolicy { kLeaveRunning, kCheckpoint };

struct ClockConfig {
  bool scaled = false;  // false: the system clock
  TimePoint epoch;      // scaled: what the clock reads at real_start
  double factor = 1.0;  // scaled: speed-up over real time
  std::optional<TimePoint>
      real_start;  // scaled: wall time at which it reads `epoch` (default: now)
};

// Settings of apsis-link, the space-link emulator that sits between an orbital agent and the
// scheduler.
struct LinkProxyConfig {
  std::string listen = "tcp://127.0.0.1:7710";  // where the agent connects
  std::string scheduler_endpoint;               // where the link forwards to
  std::string server_key;            // CURVE key pair the link presents to the agent (.key file)
  std::string scheduler_public_key;  // the real scheduler's .pub (the agent's points at the link)
  double ground_latency_ms = 0;      // terrestrial network behind the ground station, one way
  double default_rate_bps = 1e6;     // when a window (or the relay) does not state its rate
  size_t queue_limit = 10'000;       // messages waiting for a window, per direction
  std::string metrics_listen = "127.0.0.1:0";
};

struct AgentConfig {
  std::string source;  // the config file
  v1::NodeSpec spec;   // what Hello announces
  // Scheduler connection.
  std::string scheduler_endpoint = "tcp://127.0.0.1:7700";
  std::string server_public_key;  // path of the scheduler's .pub file
  std::string client_key;         // path of this agent's .key file
  Duration hello_retry = Seconds(5);
  Duration heartbeat_interval = Seconds(10);  // until the scheduler's Welcome says otherwise
  Duration event_resend_interval = Seconds(30);
  ClockConfig clock;
  std::string metrics_listen = "127.0.0.1:0";
  std::string state_dir = "/var/lib/apsis/agent";
  ShutdownPolicy on_shutdown = ShutdownPolicy::kLeaveRunning;
  Duration shutdown_timeout = Seconds(60);
  // Executor.
  ExecutorKind executor = ExecutorKind::kSim;
  SimExecutorOptions sim;
  ProcessExecutorOptions process;
  SlurmExecutorOptions slurm;
  // Forecasts.
  ForecastOptions forecast;
  Duration forecast_interval = Minutes(10);
  double soc_deviation_wh = 0;  // 0: 5 % of the battery capacity
  std::vector<v1::RegionLatency> latencies;
  // Kind-specific.
  std::optional<GroundPowerConfig> ground;
  std::optional<OrbitalPowerConfig> orbital;
  std::vector<link::GroundStation> stations;
  link::RelayConfig relay;
  std::optional<LinkProxyConfig> link_proxy;
};

Result<AgentConfig> LoadAgentConfig(const std::string& path);
// `base_dir` resolves relative paths (CSV files, key files, state_dir).
Result<AgentConfig> ParseAgentConfig(const std::string& text, const std::string& source,
                                     const std::string& base_dir);

std::unique_ptr<Clock> MakeClock(const ClockConfig& config);

// Applies the command-line clock overrides shared by apsis-agent and apsis-link (--clock,
// --clock-epoch, --clock-factor; empty or 0 means "keep the file's value"). Errors name the flag.
Status ApplyClockOverrides(const std::string& mode, const std::string& epoch, double factor,
                           ClockConfig& clock);

}  // namespace apsis::agents
