// SchedulerConfig: everything apsis-scheduler reads from scheduler.yaml.
//
// Loading is strict (unknown keys, wrong types, missing required keys and out-of-range values are
// errors with file:line:col). configs/scheduler.yaml documents every option. Plain value type.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "scheduler/core/engine_config.h"

namespace apsis::daemon {

struct SecurityConfig {
  bool insecure = false;             // plaintext, no authentication: local development only
  std::string server_key;            // scheduler's .key file (secret, mode 0600)
  std::string agents_allowlist;      // directory of agents' .pub files
  std::string operators_allowlist;   // directory of operators' .pub files (all client requests)
  std::string submitters_allowlist;  // directory of submitters' .pub files (own jobs only)
};

struct ClockConfig {
  std::string mode = "system";          // system | scaled
  TimePoint epoch;                      // scaled: what the clock reads at real_start
  double factor = 1.0;                  // scaled: clock seconds per real second
  std::optional<TimePoint> real_start;  // scaled: wall time of epoch (default: process start)
};

struct AgentsConfig {
  Duration heartbeat_interval = Seconds(5);
  int down_after_missed_heartbeats = 3;
  Duration restart_grace = Seconds(30);  // after a restart, wait this long for agents to re-hello
};

struct JobsConfig {
  int max_attempts = 3;  // starts per job before it fails for good
  Duration retry_backoff = Seconds(30);
  Duration start_ack_timeout = Seconds(60);  // a StartJob not acknowledged by then is re-sent
  int max_jobs_per_submit = 10'000;
};

struct EventsConfig {
  int retention_days = 30;
  int64_t retention_events = 1'000'000;
};

struct SchedulerConfig {
  std::string cluster_id;
  std::string state_dir = "./var/scheduler";
  std::string agent_endpoint = "tcp://*:7700";
  std::string client_endpoint = "tcp://*:7701";
  std::string metrics_listen = "0.0.0.0:9464";
  std::string log_level = "info";
  size_t max_message_bytes = 4 * 1024 * 1024;
  // Answers queued for one client that does not read them; beyond it they are dropped, so a slow
  // reader costs at most this many answers of memory.
  int client_send_queue = 100;
  Duration plan_interval = Seconds(10);  // re-plan at least this often (clock time)
  SecurityConfig security;
  ClockConfig clock;
  AgentsConfig agents;
  JobsConfig jobs;
  EventsConfig events;
  core::EngineConfig engine;
};

// Reads and validates `path`. Relative paths inside the file are resolved against its directory.
Result<SchedulerConfig> LoadSchedulerConfig(const std::string& path);
Result<SchedulerConfig> ParseSchedulerConfig(const std::string& yaml_text, const std::string& name,
                                             const std::string& base_dir);

}  // namespace apsis::daemon
