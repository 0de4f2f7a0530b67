#include "scheduler/daemon/scheduler_config.h"

#include <filesystem>

#include "common/yaml_config.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::daemon {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ReadWeights(ConfigMap map, core::ObjectiveWeights& w) {
  const Range non_negative{0, 1e9};
  w.energy_weight = map.Optional<double>("energy_weight", w.energy_weight, non_negative);
  w.orbital_energy_usd_per_kwh = map.Optional<double>("orbital_energy_usd_per_kwh",
                                                      w.orbital_energy_usd_per_kwh, non_negative);
  w.carbon_usd_per_kg =
      map.Optional<double>("carbon_usd_per_kg", w.carbon_usd_per_kg, non_negative);
  w.battery_wear_usd_per_kwh =
      map.Optional<double>("battery_wear_usd_per_kwh", w.battery_wear_usd_per_kwh, non_negative);
  w.ground_transfer_usd_per_gb = map.Optional<double>("ground_transfer_usd_per_gb",
                                                      w.ground_transfer_usd_per_gb, non_negative);
  w.space_transfer_usd_per_gb =
      map.Optional<double>("space_transfer_usd_per_gb", w.space_transfer_usd_per_gb, non_negative);
  w.latency_usd_per_ms_hour =
      map.Optional<double>("latency_usd_per_ms_hour", w.latency_usd_per_ms_hour, non_negative);
  w.delay_usd_per_hour =
      map.Optional<double>("delay_usd_per_hour", w.delay_usd_per_hour, non_negative);
  w.deferrable_delay_factor =
      map.Optional<double>("deferrable_delay_factor", w.deferrable_delay_factor, Range{0, 1});
  w.gpu_hour_value_usd =
      map.Optional<double>("gpu_hour_value_usd", w.gpu_hour_value_usd, non_negative);
  map.Finish();
}

Result<SchedulerConfig> ReadSchedulerConfig(const YamlDocument& doc, const std::string& base_dir) {
  const std::string& name = doc.file();
  ConfigReader reader(doc);
  ConfigMap root = reader.Root();
  SchedulerConfig c;
  c.cluster_id = root.Required<std::string>("cluster_id");
  c.state_dir = Resolve(base_dir, root.Optional<std::string>("state_dir", c.state_dir));
  c.agent_endpoint = root.Optional<std::string>("agent_endpoint", c.agent_endpoint);
  c.client_endpoint = root.Optional<std::string>("client_endpoint", c.client_endpoint);
  c.metrics_listen = root.Optional<std::string>("metrics_listen", c.metrics_listen);
  c.log_level = root.Enum("log_level", {"trace", "debug", "info", "warn", "error", "off"}, "info");
  c.max_message_bytes = static_cast<size_t>(root.Optional<int64_t>(
      "max_message_bytes", static_cast<int64_t>(c.max_message_bytes), Range{1024, 256e6}));
  c.client_send_queue = static_cast<int>(
      root.Optional<int64_t>("client_send_queue", c.client_send_queue, Range{1, 1e6}));
  c.plan_interval = root.Optional<Duration>("plan_interval", c.plan_interval);

  ConfigMap security = root.Map("security");
  c.security.insecure = security.Optional<bool>("insecure", false);
  c.security.server_key = Resolve(base_dir, security.Optional<std::string>("server_key", ""));
  c.security.agents_allowlist =
      Resolve(base_dir, security.Optional<std::string>("agents_allowlist", ""));
  c.security.operators_allowlist =
      Resolve(base_dir, security.Optional<std::string>("operators_allowlist", ""));
  c.security.submitters_allowlist =
      Resolve(base_dir, security.Optional<std::string>("submitters_allowlist", ""));
  if (security.valid() && !c.security.insecure) {
    if (c.security.server_key.empty())
      reader.Error(security.node(),
                   "'security.server_key' is required unless security.insecure "
                   "is true (generate one with 'apsisctl keygen scheduler')");
    if (c.security.agents_allowlist.empty())
      reader.Error(security.node(),
                   "'security.agents_allowlist' is required unless "
                   "security.insecure is true");
  }
  security.Finish();
  if (!security.valid() && !root.Has("security")) {
    reader.Error(root.node(),
                 "missing 'security' section: set server_key and agents_allowlist, "
                 "or 'insecure: true' for local development");
  }

  ConfigMap clock = root.Map("clock");
  c.clock.mode = clock.Enum("mode", {"system", "scaled"}, "system");
  c.clock.epoch = clock.Optional<TimePoint>("epoch", TimePoint());
  c.clock.factor = clock.Optional<double>("factor", 1.0, Range{0.001, 1e6});
  c.clock.real_start = clock.Maybe<TimePoint>("real_start");
  if (c.clock.mode == "scaled" && !clock.Has("epoch"))
    reader.Error(clock.node(), "'clock.epoch' is required with mode: scaled");
  clock.Finish();

  ConfigMap agents = root.Map("agents");
  c.agents.heartbeat_interval =
      agents.Optional<Duration>("heartbeat_interval", c.agents.heartbeat_interval);
  c.agents.down_after_missed_heartbeats = agents.Optional<int>(
      "down_after_missed_heartbeats", c.agents.down_after_missed_heartbeats, Range{1, 1000});
  c.agents.restart_grace = agents.Optional<Duration>("restart_grace", c.agents.restart_grace);
  agents.Finish();

  ConfigMap jobs = root.Map("jobs");
  c.jobs.max_attempts = jobs.Optional<int>("max_attempts", c.jobs.max_attempts, Range{1, 1000});
  c.jobs.retry_backoff = jobs.Optional<Duration>("retry_backoff", c.jobs.retry_backoff);
  c.jobs.start_ack_timeout = jobs.Optional<Duration>("start_ack_timeout", c.jobs.start_ack_timeout);
  c.jobs.max_jobs_per_submit =
      jobs.Optional<int>("max_jobs_per_submit", c.jobs.max_jobs_per_submit, Range{1, 1e7});
  jobs.Finish();

  ConfigMap events = root.Map("events");
  c.events.retention_days =
      events.Optional<int>("retention_days", c.events.retention_days, Range{1, 36500});
  c.events.retention_events =
      events.Optional<int64_t>("retention_events", c.events.retention_events, Range{1000, 1e12});
  events.Finish();

  ConfigMap planning = root.Map("planning");
  std::vector<std::string> policies = core::PlacementPolicyNames();
  c.engine.policy = planning.Enum("policy", policies, "cost");
  c.engine.start_search_step =
      planning.Optional<Duration>("start_search_step", c.engine.start_search_step);
  c.engine.max_backfill_attempts_per_node = planning.Optional<int>(
      "max_backfill_attempts_per_node", c.engine.max_backfill_attempts_per_node, Range{1, 10000});
  c.engine.checkpoint_write_gbps = planning.Optional<double>(
      "checkpoint_write_gbps", c.engine.checkpoint_write_gbps, Range{1e-3, 1e4});
  c.engine.enable_preemption =
      planning.Optional<bool>("enable_preemption", c.engine.enable_preemption);
  c.engine.enable_migration =
      planning.Optional<bool>("enable_migration", c.engine.enable_migration);
  ReadWeights(planning.Map("weights"), c.engine.weights);
  planning.Finish();

  root.Finish();
  RETURN_IF_ERROR(reader.status());
  Status engine_ok = core::ValidateEngineConfig(c.engine);
  if (!engine_ok.ok()) return engine_ok.WithContext(name + ": planning");
  return c;
}

}  // namespace

Result<SchedulerConfig> ParseSchedulerConfig(const std::string& yaml_text, const std::string& name,
                                             const std::string& base_dir) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(yaml_text, name));
  return ReadSchedulerConfig(doc, base_dir);
}

Result<SchedulerConfig> LoadSchedulerConfig(const std::string& path) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::LoadFile(path));
  return ReadSchedulerConfig(doc, std::filesystem::path(path).parent_path().string());
}

}  // namespace apsis::daemon
