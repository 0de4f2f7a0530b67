#include "sim/fleet.h"

#include <filesystem>

#include "agents/child_process.h"
#include "common/yaml_config.h"
#include "link/station_file.h"
#include "sim/csv_reader.h"

namespace apsis::sim {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::map<std::string, double> ReadLatencies(ConfigMap& m, std::map<std::string, double> fallback) {
  if (!m.Has("latency_ms")) return fallback;
  YAML::Node raw = m.Raw("latency_ms");
  if (!raw.IsMap()) {
    m.reader().Error(raw, "'" + m.path() + ".latency_ms' must be a mapping region: ms");
    return fallback;
  }
  ConfigMap lat(m.reader(), raw, m.path() + ".latency_ms");
  std::map<std::string, double> out;
  for (const auto& kv : raw) {
    const std::string region = kv.first.as<std::string>();
    out[region] = lat.Required<double>(region, Range{0, 1e5});
  }
  lat.Finish();
  return out;
}

void ReadGround(ConfigMap g, const std::string& base_dir, Fleet* fleet) {
  GroundSite s;
  s.id = g.Required<std::string>("id");
  s.region = g.Required<std::string>("region");
  s.gpus = g.Required<int>("gpus", Range{1, 1e6});
  s.gpu_type = g.Optional<std::string>("gpu_type", s.gpu_type);
  s.gpu_watts = g.Optional<double>("gpu_watts", s.gpu_watts, Range{1, 1e5});
  s.pue = g.Optional<double>("pue", s.pue, Range{1.0, 5.0});
  s.grid_kw = g.Required<double>("grid_kw", Range{0, 1e7});
  s.utc_offset_hours = g.Optional<double>("utc_offset_hours", 0.0, Range{-14, 14});
  YAML::Node at = g.Raw("price_profile");
  const std::string path = Resolve(base_dir, g.Required<std::string>("price_profile"));
  if (!path.empty()) {
    Result<std::string> text = agents::ReadWholeFile(path);
    Result<std::array<double, 24>> profile = text.ok()
                                                 ? ParseHourlyPriceProfile(*text, path)
                                                 : Result<std::array<double, 24>>(text.status());
    if (profile.ok()) {
      s.price_usd_per_kwh = *profile;
    } else {
      g.reader().Error(at, profile.status().message());
    }
  }
  s.latency_ms = ReadLatencies(g, {});
  g.Finish();
  fleet->ground.push_back(std::move(s));
}

// Reads an orbital node's keys over `base` (the file's orbital_defaults).
OrbitalNode ReadOrbital(ConfigMap o, const OrbitalNode& base, bool is_default) {
  OrbitalNode n = base;
  if (!is_default) n.id = o.Required<std::string>("id");
  n.gpus = o.Optional<int>("gpus", n.gpus, Range{0, 1e6});
  n.gpu_type = o.Optional<std::string>("gpu_type", n.gpu_type);
  n.gpu_watts = o.Optional<double>("gpu_watts", n.gpu_watts, Range{1, 1e5});
  n.altitude_km = o.Optional<double>("altitude_km", n.altitude_km, Range{160, 40000});
  n.inclination_deg = o.Optional<double>("inclination_deg", n.inclination_deg, Range{0, 180});
  n.raan_deg = o.Optional<double>("raan_deg", n.raan_deg, Range{-360, 360});
  n.mean_anomaly_deg = o.Optional<double>("mean_anomaly_deg", n.mean_anomaly_deg, Range{-360, 360});
  n.relay = o.Optional<bool>("relay", n.relay);
  n.array_bol_w = o.Optional<double>("array_bol_w", n.array_bol_w, Range{0, 1e8});
  n.degradation_pct_per_year =
      o.Optional<double>("degradation_pct_per_year", n.degradation_pct_per_year, Range{0, 50});
  n.battery_capacity_wh =
      o.Optional<double>("battery_capacity_wh", n.battery_capacity_wh, Range{0, 1e9});
  n.battery_initial_soc_wh =
      o.Optional<double>("battery_initial_soc_wh", n.battery_initial_soc_wh, Range{-1, 1e9});
  n.battery_floor_wh = o.Optional<double>("battery_floor_wh", n.battery_floor_wh, Range{0, 1e9});
  n.charge_efficiency =
      o.Optional<double>("charge_efficiency", n.charge_efficiency, Range{0.01, 1});
  n.discharge_efficiency =
      o.Optional<double>("discharge_efficiency", n.discharge_efficiency, Range{0.01, 1});
  n.max_charge_w = o.Optional<double>("max_charge_w", n.max_charge_w, Range{0, 1e9});
  n.bus_load_w = o.Optional<double>("bus_load_w", n.bus_load_w, Range{0, 1e9});
  n.radiator_limit_w = o.Optional<double>("radiator_limit_w", n.radiator_limit_w, Range{0, 1e9});
  n.latency_ms = ReadLatencies(o, n.latency_ms);
  if (!is_default) {
    if (n.gpus <= 0) o.reader().Error(o.node(), "orbital node '" + n.id + "' needs gpus > 0");
    if (n.battery_floor_wh > n.battery_capacity_wh) {
      o.reader().Error(o.node(),
                       "orbital node '" + n.id + "': battery_floor_wh exceeds battery_capacity_wh");
    }
  }
  o.Finish();
  return n;
}

}  // namespace

int Fleet::total_gpus() const {
  int n = 0;
  for (const GroundSite& g : ground) n += g.gpus;
  for (const OrbitalNode& o : orbital) n += o.gpus;
  return n;
}

Result<std::array<double, 24>> ParseHourlyPriceProfile(const std::string& text,
                                                       const std::string& source) {
  CsvReader csv(text, source);
  std::array<double, 24> out{};
  std::array<bool, 24> seen{};
  bool header = true;
  while (csv.Next()) {
    if (header) {
      header = false;
      if (csv.field(0) == "hour_utc") {
        RETURN_IF_ERROR(ExpectHeader(csv, {"hour_utc", "usd_per_mwh"}));
        continue;
      }
    }
    if (csv.size() != 2) return csv.ErrorAtLine("expected 2 fields 'hour_utc,usd_per_mwh'");
    ASSIGN_OR_RETURN(int64_t hour, csv.Integer(0, "hour_utc"));
    if (hour < 0 || hour > 23) return csv.ErrorAt(0, "hour_utc must be 0..23");
    if (seen[hour]) return csv.ErrorAt(0, "hour " + std::to_string(hour) + " appears twice");
    ASSIGN_OR_RETURN(double price, csv.Number(1, "usd_per_mwh"));
    out[hour] = price / 1000.0;
    seen[hour] = true;
  }
  for (int h = 0; h < 24; ++h) {
    if (!seen[h]) {
      return InvalidArgumentError(source + ": no price for hour " + std::to_string(h) +
                                  "; give one row per UTC hour 0..23");
    }
  }
  return out;
}

Result<Fleet> ParseFleet(const std::string& text, const std::string& source,
                         const std::string& base_dir) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, source));
  ConfigReader reader(doc);
  ConfigMap root = reader.Root();
  Fleet fleet;
  fleet.epoch = root.Required<TimePoint>("epoch");
  if (root.Has("forecast")) {
    ConfigMap f = root.Map("forecast");
    fleet.forecast_step = f.Optional<Duration>("step", fleet.forecast_step);
    fleet.forecast_horizon = f.Optional<Duration>("horizon", fleet.forecast_horizon);
    fleet.forecast_interval = f.Optional<Duration>("interval", fleet.forecast_interval);
    if (fleet.forecast_step <= Duration::zero() || fleet.forecast_horizon < fleet.forecast_step ||
        fleet.forecast_interval <= Duration::zero() ||
        fleet.forecast_interval > fleet.forecast_horizon) {
      reader.Error(f.node(),
                   "forecast needs 0 < step <= horizon and 0 < interval <= horizon (e.g. step: "
                   "60s, horizon: 24h, interval: 30m)");
    }
    f.Finish();
  }
  if (root.Has("stations_file")) {
    YAML::Node at = root.Raw("stations_file");
    const std::string path = Resolve(base_dir, root.Required<std::string>("stations_file"));
    Result<std::string> st = agents::ReadWholeFile(path);
    Result<std::vector<link::GroundStation>> stations =
        st.ok() ? link::ParseStationFile(*st, path)
                : Result<std::vector<link::GroundStation>>(st.status());
    if (stations.ok()) {
      fleet.stations = std::move(*stations);
    } else {
      reader.Error(at, stations.status().message());
    }
  }
  ConfigList ground = root.List("ground");
  for (size_t i = 0; i < ground.size(); ++i) ReadGround(ground.MapAt(i), base_dir, &fleet);
  OrbitalNode defaults;
  if (root.Has("orbital_defaults")) defaults = ReadOrbital(root.Map("orbital_defaults"), {}, true);
  ConfigList orbital = root.List("orbital");
  for (size_t i = 0; i < orbital.size(); ++i) {
    fleet.orbital.push_back(ReadOrbital(orbital.MapAt(i), defaults, false));
  }
  root.Finish();
  RETURN_IF_ERROR(reader.status());
  std::map<std::string, int> ids;
  for (const GroundSite& g : fleet.ground) ids[g.id]++;
  for (const OrbitalNode& o : fleet.orbital) ids[o.id]++;
  for (const auto& [id, n] : ids) {
    if (n > 1) return InvalidArgumentError(source + ": node id '" + id + "' is used twice");
  }
  if (ids.empty()) return InvalidArgumentError(source + ": the fleet has no nodes");
  if (!fleet.orbital.empty() && fleet.stations.empty()) {
    return InvalidArgumentError(source + ": orbital nodes need ground stations; set stations_file");
  }
  return fleet;
}

Result<Fleet> LoadFleet(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, agents::ReadWholeFile(path));
  return ParseFleet(text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace apsis::sim
