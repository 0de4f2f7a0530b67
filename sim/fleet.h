// Fleet: the nodes a simulation runs, as plain data, and the strict YAML file that describes them.
//
// One file names the simulation's epoch and forecast grid, the ground stations, the ground sites
// (GPUs, PUE, grid connection, a 24-hour price profile of real hourly means, user latencies) and
// the orbital nodes (mean elements, solar array, battery, bus, radiator, relay, latencies). Errors
// read "file:line:col: what; fix". configs/sim/fleet.yaml describes the demo fleet. The types are
// plain values so that other tools (and tests) can build fleets in code. Thread-compatible.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/contact_windows.h"

namespace apsis::sim {

struct GroundSite {
  std::string id;
  std::string region;  // the site's user region
  int gpus = 0;
  std::string gpu_type = "H100";
  double gpu_watts = 700;
  double pue = 1.2;
  double grid_kw = 0;
  double utc_offset_hours = 0;  // local time of the built-in carbon profile
  // Energy price of each UTC hour of the day, $/kWh (a real 24-hour mean profile); repeated
  // day by day over the simulation.
  std::array<double, 24> price_usd_per_kwh{};
  std::map<std::string, double> latency_ms;  // round trip to each user region
};

struct OrbitalNode {
  std::string id;
  int gpus = 0;
  std::string gpu_type = "H100";
  double gpu_watts = 700;
  // Circular orbit, mean elements at the fleet's epoch.
  double altitude_km = 550;
  double inclination_deg = 53;
  double raan_deg = 0;
  double mean_anomaly_deg = 0;
  bool relay = false;  // a data-relay link: always reachable
  double array_bol_w = 0;
  double degradation_pct_per_year = 2.5;
  double battery_capacity_wh = 0;
  double battery_initial_soc_wh = -1;  // < 0: full
  double battery_floor_wh = 0;
  double charge_efficiency = 0.95;
  double discharge_efficiency = 0.95;
  double max_charge_w = 0;
  double bus_load_w = 0;
  double radiator_limit_w = 0;
  std::map<std::string, double> latency_ms;
};

struct Fleet {
  TimePoint epoch;  // the simulation starts here
  Duration forecast_step = Seconds(60);
  Duration forecast_horizon = Hours(24);
  Duration forecast_interval = Minutes(30);  // how often each node sends a new forecast
  std::vector<link::GroundStation> stations;
  std::vector<GroundSite> ground;
  std::vector<OrbitalNode> orbital;

  size_t size() const { return ground.size() + orbital.size(); }
  int total_gpus() const;
};

// Reads a fleet file; relative paths inside it resolve against its directory.
Result<Fleet> LoadFleet(const std::string& path);
Result<Fleet> ParseFleet(const std::string& text, const std::string& source,
                         const std::string& base_dir);

// Reads a 24-hour price profile "hour_utc,usd_per_mwh" (24 rows, hours 0..23) into $/kWh.
Result<std::array<double, 24>> ParseHourlyPriceProfile(const std::string& text,
                                                       const std::string& source);

}  // namespace apsis::sim
