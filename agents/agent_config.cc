#include "agents/agent_config.h"

#include <filesystem>

#include "agents/child_process.h"
#include "common/yaml_config.h"
#include "link/station_file.h"

namespace apsis::agents {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// Loads a CSV series named by `csv:` inside `section` (price or carbon); errors go to the reader
// with the place of the `csv:` key, and carry the CSV's own file:line:col.
std::optional<TimeSeries> ReadSeries(ConfigMap& section, const std::string& value_name,
                                     double scale, const std::string& base_dir) {
  YAML::Node at = section.Raw("csv");
  const std::string path = Resolve(base_dir, section.Required<std::string>("csv"));
  CsvColumnSpec spec;
  spec.value_name = value_name;
  spec.scale = scale;
  spec.max_gap = section.Optional<Duration>("max_gap", Hours(1));
  if (path.empty()) return std::nullopt;
  Result<TimeSeries> series = LoadTimeSeriesCsv(path, spec);
  if (!series.ok()) {
    section.reader().Error(at, series.status().message());
    return std::nullopt;
  }
  return *series;
}

void ReadGround(ConfigMap g, const std::string& base_dir, AgentConfig* config) {
  GroundPowerConfig ground;
  ground.grid_kw = g.Required<double>("grid_kw", Range{0, 1e7});
  ground.pue = g.Optional<double>("pue", 1.2, Range{1.0, 5.0});
  ground.utc_offset = Hours(g.Optional<double>("utc_offset_hours", 0.0, Range{-14, 14}));
  config->spec.mutable_ground()->set_grid_kw(ground.grid_kw);
  config->spec.mutable_ground()->set_pue(ground.pue);
  config->spec.mutable_ground()->set_region(g.Required<std::string>("region"));
  if (g.Has("price")) {
    ConfigMap price = g.Map("price");
    const std::string unit = price.Enum("unit", {"usd_per_mwh", "usd_per_kwh"});
    ground.price = ReadSeries(price, "price", unit == "usd_per_mwh" ? 0.001 : 1.0, base_dir);
    price.Finish();
  }
  if (g.Has("carbon")) {
    ConfigMap carbon = g.Map("carbon");
    ground.carbon = ReadSeries(carbon, "carbon", 1.0, base_dir);
    carbon.Finish();
  }
  if (g.Has("solar")) {
    ConfigMap s = g.Map("solar");
    SolarSiteConfig solar;
    solar.kwp = s.Required<double>("kwp", Range{0, 1e6});
    solar.lat_deg = s.Required<double>("lat", Range{-90, 90});
    solar.lon_deg = s.Required<double>("lon", Range{-180, 180});
    solar.alt_km = s.Optional<double>("alt_m", 0.0, Range{-500, 9000}) / 1000.0;
    solar.performance_ratio = s.Optional<double>("performance_ratio", 0.8, Range{0.1, 1.0});
    s.Finish();
    ground.solar = solar;
  }
  g.Finish();
  config->ground = std::move(ground);
}

void ReadStations(ConfigMap& o, const std::string& base_dir, AgentConfig* config) {
  if (o.Has("ground_stations_file")) {
    YAML::Node at = o.Raw("ground_stations_file");
    const std::string path = Resolve(base_dir, o.Required<std::string>("ground_stations_file"));
    Result<std::string> text = ReadWholeFile(path);
    Result<std::vector<link::GroundStation>> stations =
        text.ok() ? link::ParseStationFile(*text, path)
                  : Result<std::vector<link::GroundStation>>(text.status());
    if (!stations.ok()) {
      o.reader().Error(at, stations.status().message());
    } else {
      config->stations = *stations;
    }
  }
  ConfigList list = o.List("ground_stations");
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigMap s = list.MapAt(i);
    link::GroundStation station;
    station.name = s.Required<std::string>("name");
    station.location.lat_deg = s.Required<double>("lat", Range{-90, 90});
    station.location.lon_deg = s.Required<double>("lon", Range{-180, 180});
    station.location.alt_km = s.Optional<double>("alt_m", 0.0, Range{-500, 9000}) / 1000.0;
    station.min_elevation_deg = s.Optional<double>("min_elevation_deg", 10.0, Range{-5, 90});
    station.uplink_bps = s.Optional<double>("uplink_bps", 0.0, Range{0, 1e12});
    station.downlink_bps = s.Optional<double>("downlink_bps", 0.0, Range{0, 1e12});
    s.Finish();
    config->stations.push_back(station);
  }
  for (const link::GroundStation& s : config->stations) config->spec.add_ground_stations(s.name);
}

void ReadOrbital(ConfigMap o, const std::string& base_dir, AgentConfig* config) {
  OrbitalPowerConfig orbital;
  ConfigMap orbit = o.Map("orbit", /*required=*/true);
  v1::OrbitSpec* spec = config->spec.mutable_orbit();
  if (orbit.Has("tle_line1") || orbit.Has("tle_line2")) {
    orbital.orbit.tle_line1 = orbit.Required<std::string>("tle_line1");
    orbital.orbit.tle_line2 = orbit.Required<std::string>("tle_line2");
    spec->set_tle_line1(orbital.orbit.tle_line1);
    spec->set_tle_line2(orbital.orbit.tle_line2);
    spec->set_tle_name(config->spec.id());
  } else {
    orbital.orbit.altitude_km = orbit.Required<double>("altitude_km", Range{150, 50'000});
    orbital.orbit.inclination_deg = orbit.Required<double>("inclination_deg", Range{0, 180});
    orbital.orbit.raan_deg = orbit.Optional<double>("raan_deg", 0.0, Range{0, 360});
    orbital.orbit.eccentricity = orbit.Optional<double>("eccentricity", 0.0, Range{0, 0.99});
    orbital.orbit.arg_perigee_deg = orbit.Optional<double>("arg_perigee_deg", 0.0, Range{0, 360});
    orbital.orbit.mean_anomaly_deg = orbit.Optional<double>("mean_anomaly_deg", 0.0, Range{0, 360});
    orbital.orbit.epoch = orbit.Required<TimePoint>("epoch");
    spec->set_altitude_km(orbital.orbit.altitude_km);
    spec->set_inclination_deg(orbital.orbit.inclination_deg);
    spec->set_raan_deg(orbital.orbit.raan_deg);
    spec->set_eccentricity(orbital.orbit.eccentricity);
    spec->set_arg_perigee_deg(orbital.orbit.arg_perigee_deg);
    spec->set_mean_anomaly_deg(orbital.orbit.mean_anomaly_deg);
    spec->set_epoch_us(orbital.orbit.epoch.micros());
  }
  orbit.Finish();

  ConfigMap array = o.Map("solar_array", true);
  orbital.array_bol_w = array.Required<double>("bol_w", Range{0, 1e8});
  orbital.degradation_pct_per_year =
      array.Optional<double>("degradation_pct_per_year", 2.5, Range{0, 50});
  orbital.array_bol_at = array.Optional<TimePoint>("bol_at", orbital.orbit.epoch);
  array.Finish();

  ConfigMap b = o.Map("battery", true);
  orbital.battery.capacity_wh = b.Required<double>("capacity_wh", Range{0, 1e8});
  orbital.battery.initial_soc_wh =
      b.Optional<double>("initial_soc_wh", orbital.battery.capacity_wh, Range{0, 1e8});
  orbital.battery.floor_wh =
      b.Optional<double>("floor_wh", 0.2 * orbital.battery.capacity_wh, Range{0, 1e8});
  orbital.battery.charge_efficiency = b.Optional<double>("charge_efficiency", 0.95, Range{0.01, 1});
  orbital.battery.discharge_efficiency =
      b.Optional<double>("discharge_efficiency", 0.95, Range{0.01, 1});
  orbital.battery.max_charge_w = b.Optional<double>("max_charge_w", 0.0, Range{0, 1e8});
  if (orbital.battery.initial_soc_wh > orbital.battery.capacity_wh ||
      orbital.battery.floor_wh > orbital.battery.capacity_wh) {
    b.reader().Error(b.node(), "battery: initial_soc_wh and floor_wh must not exceed capacity_wh");
  }
  b.Finish();

  orbital.bus_load_w = o.Optional<double>("bus_load_w", 0.0, Range{0, 1e8});
  orbital.radiator_limit_w = o.Optional<double>("radiator_limit_w", 0.0, Range{0, 1e8});
  config->spec.set_bus_load_w(orbital.bus_load_w);
  ReadStations(o, base_dir, config);

  ConfigMap relay = o.Map("relay");
  const std::string mode = relay.Enum("mode", {"none", "always"}, std::string("none"));
  config->relay.mode = mode == "always" ? link::RelayMode::kAlways : link::RelayMode::kNone;
  const double latency_ms = relay.Optional<double>("latency_ms", 0.0, Range{0, 1e6});
  config->relay.extra_latency = Seconds(latency_ms / 1000.0);
  config->relay.rate_bps = relay.Optional<double>("rate_bps", 1e6, Range{1, 1e12});
  relay.Finish();
  config->spec.set_relay(mode == "always" ? v1::RELAY_MODE_ALWAYS : v1::RELAY_MODE_NONE);
  config->spec.set_relay_latency_ms(latency_ms);
  o.Finish();
  config->orbital = std::move(orbital);
}

void ReadExecutor(ConfigMap e, const std::string& base_dir, AgentConfig* config) {
  const std::string kind = e.Enum("kind", {"sim", "process", "slurm"}, std::string("sim"));
  config->executor = kind == "process" ? ExecutorKind::kProcess
                     : kind == "slurm" ? ExecutorKind::kSlurm
                                       : ExecutorKind::kSim;
  const std::string work_root =
      Resolve(base_dir, e.Optional<std::string>("work_root", config->state_dir + "/jobs"));
  const Duration grace = e.Optional<Duration>("grace", Seconds(30));
  const auto grace_ms = std::chrono::duration_cast<std::chrono::milliseconds>(grace);
  config->sim.default_checkpoint_interval =
      e.Optional<Duration>("checkpoint_interval", Minutes(30));
  config->process.work_root = work_root;
  config->process.grace = grace_ms;
  config->process.kill_on_destroy = config->on_shutdown == ShutdownPolicy::kCheckpoint;
  config->slurm.work_root = work_root;
  config->slurm.grace = grace_ms;
  if (e.Has("slurm")) {
    ConfigMap s = e.Map("slurm");
    config->slurm.partition = s.Optional<std::string>("partition", "");
    config->slurm.bin_dir = s.Optional<std::string>("bin_dir", "");
    const std::string conf = s.Optional<std::string>("slurm_conf", "");
    if (!conf.empty()) config->slurm.env["SLURM_CONF"] = Resolve(base_dir, conf);
    config->slurm.poll_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
        s.Optional<Duration>("poll_interval", Seconds(2)));
    config->slurm.time_limit_factor = s.Optional<double>("time_limit_factor", 2.0, Range{1, 100});
    s.Finish();
  }
  e.Finish();
}

}  // namespace

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return NotFoundError("cannot read agent config '" + path + "'; pass --config <node.yaml>");
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseAgentConfig(*text, path, dir);
}

Result<AgentConfig> ParseAgentConfig(const std::string& text, const std::string& source,
                                     const std::string& base_dir) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, source));
  ConfigReader reader(doc);
  ConfigMap root = reader.Root();
  AgentConfig config;
  config.source = source;

  ConfigMap node = root.Map("node", /*required=*/true);
  config.spec.set_id(node.Required<std::string>("id"));
  const std::string kind = node.Enum("kind", {"ground", "orbital"});
  config.spec.set_kind(kind == "orbital" ? v1::NODE_KIND_ORBITAL : v1::NODE_KIND_GROUND);
  ConfigMap gpus = node.Map("gpus", true);
  config.spec.mutable_gpus()->set_count(gpus.Required<int>("count", Range{0, 100'000}));
  config.spec.mutable_gpus()->set_type(gpus.Optional<std::string>("type", ""));
  config.spec.mutable_gpus()->set_watts_each(gpus.Required<double>("watts_each", Range{0, 1e5}));
  gpus.Finish();
  node.Finish();

  ConfigMap scheduler = root.Map("scheduler", true);
  config.scheduler_endpoint =
      scheduler.Optional<std::string>("endpoint", config.scheduler_endpoint);
  config.server_public_key =
      Resolve(base_dir, scheduler.Optional<std::string>("server_public_key", ""));
  config.client_key = Resolve(base_dir, scheduler.Optional<std::string>("client_key", ""));
  config.hello_retry = scheduler.Optional<Duration>("hello_retry", config.hello_retry);
  config.heartbeat_interval =
      scheduler.Optional<Duration>("heartbeat_interval", config.heartbeat_interval);
  config.event_resend_interval =
      scheduler.Optional<Duration>("event_resend_interval", config.event_resend_interval);
  scheduler.Finish();

  if (root.Has("clock")) {
    ConfigMap clock = root.Map("clock");
    const std::string mode = clock.Enum("mode", {"system", "scaled"}, std::string("system"));
    config.clock.scaled = mode == "scaled";
    if (config.clock.scaled) {
      config.clock.epoch = clock.Required<TimePoint>("epoch");
      config.clock.factor = clock.Required<double>("factor", Range{0.001, 1e6});
      config.clock.real_start = clock.Maybe<TimePoint>("real_start");
    }
    clock.Finish();
  }

  config.state_dir = Resolve(base_dir, root.Optional<std::string>("state_dir", config.state_dir));
  config.metrics_listen = root.Optional<std::string>("metrics_listen", config.metrics_listen);
  const std::string on_shutdown =
      root.Enum("on_shutdown", {"leave-running", "checkpoint"}, std::string("leave-running"));
  config.on_shutdown =
      on_shutdown == "checkpoint" ? ShutdownPolicy::kCheckpoint : ShutdownPolicy::kLeaveRunning;
  config.shutdown_timeout = root.Optional<Duration>("shutdown_timeout", config.shutdown_timeout);

  ReadExecutor(root.Map("executor"), base_dir, &config);

  if (root.Has("forecast")) {
    ConfigMap f = root.Map("forecast");
    config.forecast.step = f.Optional<Duration>("step", config.forecast.step);
    config.forecast.horizon = f.Optional<Duration>("horizon", config.forecast.horizon);
    config.forecast_interval = f.Optional<Duration>("interval", config.forecast_interval);
    config.soc_deviation_wh = f.Optional<double>("soc_deviation_wh", 0.0, Range{0, 1e8});
    if (config.forecast.step <= Duration::zero() ||
        config.forecast.horizon < config.forecast.step) {
      reader.Error(f.node(), "forecast: step must be > 0 and horizon >= step");
    }
    f.Finish();
  }

  ConfigList latencies = root.List("latencies");
  for (size_t i = 0; i < latencies.size(); ++i) {
    ConfigMap l = latencies.MapAt(i);
    v1::RegionLatency latency;
    latency.set_region(l.Required<std::string>("region"));
    latency.set_latency_ms(l.Required<double>("latency_ms", Range{0, 1e6}));
    l.Finish();
    config.latencies.push_back(latency);
  }

  if (config.spec.kind() == v1::NODE_KIND_GROUND) {
    if (root.Has("orbital")) {
      reader.Error(root.Raw("orbital"), "node.kind is ground: remove the 'orbital' section");
    }
    ReadGround(root.Map("ground", true), base_dir, &config);
  } else {
    if (root.Has("ground")) {
      reader.Error(root.Raw("ground"), "node.kind is orbital: remove the 'ground' section");
    }
    ReadOrbital(root.Map("orbital", true), base_dir, &config);
  }

  if (root.Has("link_proxy")) {
    ConfigMap l = root.Map("link_proxy");
    LinkProxyConfig link_proxy;
    link_proxy.listen = l.Optional<std::string>("listen", link_proxy.listen);
    link_proxy.scheduler_endpoint = l.Required<std::string>("scheduler_endpoint");
    link_proxy.server_key = Resolve(base_dir, l.Optional<std::string>("server_key", ""));
    link_proxy.scheduler_public_key =
        Resolve(base_dir, l.Optional<std::string>("scheduler_public_key", ""));
    link_proxy.ground_latency_ms = l.Optional<double>("ground_latency_ms", 0.0, Range{0, 1e6});
    link_proxy.default_rate_bps =
        l.Optional<double>("default_rate_bps", link_proxy.default_rate_bps, Range{1, 1e12});
    link_proxy.queue_limit =
        static_cast<size_t>(l.Optional<int>("queue_limit", 10'000, Range{1, 10'000'000}));
    link_proxy.metrics_listen =
        l.Optional<std::string>("metrics_listen", link_proxy.metrics_listen);
    l.Finish();
    config.link_proxy = link_proxy;
  }
  root.Finish();
  RETURN_IF_ERROR(reader.status());
  return config;
}

std::unique_ptr<Clock> MakeClock(const ClockConfig& config) {
  if (!config.scaled) return std::make_unique<SystemClock>();
  return std::make_unique<ScaledClock>(config.epoch, config.factor, config.real_start);
}

Status ApplyClockOverrides(const std::string& mode, const std::string& epoch, double factor,
                           ClockConfig& clock) {
  if (!mode.empty()) clock.scaled = mode == "scaled";
  if (!epoch.empty()) {
    Result<TimePoint> parsed = ParseRfc3339(epoch);
    if (!parsed.ok()) return parsed.status().WithContext("--clock-epoch");
    clock.epoch = *parsed;
  }
  if (factor > 0) clock.factor = factor;
  if (clock.scaled && clock.epoch == TimePoint())
    return InvalidArgumentError("a scaled clock needs an epoch (clock.epoch or --clock-epoch)");
  return Status::Ok();
}

}  // namespace apsis::agents
