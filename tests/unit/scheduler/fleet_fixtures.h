// Builders of nodes, forecasts and jobs for the scheduler/core tests. Deterministic; no I/O.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "scheduler/core/model.h"

namespace apsis::core::testing {

inline TimePoint T0() { return TimePoint::FromSeconds(1796083200); }  // 2026-12-01T00:00:00Z

inline NodeSpec GroundSpec(const std::string& id, int gpus = 8, double pue = 1.2) {
  NodeSpec s;
  s.id = id;
  s.kind = NodeKind::kGround;
  s.gpu_count = gpus;
  s.gpu_type = "H100";
  s.gpu_watts = 700;
  s.pue = pue;
  s.region = "us-west";
  return s;
}

inline NodeSpec OrbitalSpec(const std::string& id, int gpus = 8, bool relay = false) {
  NodeSpec s;
  s.id = id;
  s.kind = NodeKind::kOrbital;
  s.gpu_count = gpus;
  s.gpu_type = "H100";
  s.gpu_watts = 700;
  s.bus_load_w = 500;
  s.stations = {"svalbard", "awarua"};
  s.relay = relay;
  return s;
}

// Ground forecast with an hourly price curve repeated over the horizon.
inline NodeForecast GroundForecast(TimePoint start, int steps, double power_w,
                                   const std::vector<double>& hourly_price,
                                   std::map<std::string, double> latency = {{"us-west", 20}}) {
  NodeForecast f;
  f.start = start;
  f.step = Seconds(60);
  f.power_available_w.assign(steps, float(power_w));
  f.price_usd_per_kwh.resize(steps);
  f.carbon_g_per_kwh.assign(steps, 300.0f);
  for (int i = 0; i < steps; ++i) {
    f.price_usd_per_kwh[i] = float(hourly_price[(i / 60) % hourly_price.size()]);
  }
  f.latency_ms = std::move(latency);
  return f;
}

struct OrbitShape {
  int period_steps = 95;   // minutes per orbit
  int eclipse_steps = 35;  // minutes of eclipse per orbit, at the end of each orbit
  int phase = 0;
  double solar_w = 12000;
  double radiator_w = 9000;
  double power_limit_w = 8000;
  double capacity_wh = 6000;
  double initial_soc_wh = 6000;
  double floor_fraction = 0.2;
  int window_every_steps = 190;  // one ground-station pass every other orbit
  int window_minutes = 8;
  double uplink_bps = 200e6;
  double downlink_bps = 400e6;
};

inline NodeForecast OrbitalForecast(TimePoint start, int steps, const OrbitShape& o = {}) {
  NodeForecast f;
  f.start = start;
  f.step = Seconds(60);
  f.power_available_w.assign(steps, float(o.power_limit_w));
  f.radiator_limit_w.assign(steps, float(o.radiator_w));
  f.solar_input_w.resize(steps);
  f.sunlit_fraction.resize(steps);
  for (int i = 0; i < steps; ++i) {
    const bool eclipse = (i + o.phase) % o.period_steps >= o.period_steps - o.eclipse_steps;
    f.solar_input_w[i] = eclipse ? 0.0f : float(o.solar_w);
    f.sunlit_fraction[i] = eclipse ? 0.0f : 1.0f;
  }
  f.battery.capacity_wh = o.capacity_wh;
  f.battery.initial_soc_wh = o.initial_soc_wh;
  f.battery.floor_fraction = o.floor_fraction;
  f.battery.charge_efficiency = 0.95;
  f.battery.discharge_efficiency = 0.95;
  f.battery.max_charge_w = 6000;
  for (int w = 10 + (o.phase % 50); w + o.window_minutes < steps; w += o.window_every_steps) {
    ContactWindow cw;
    cw.station = (w / o.window_every_steps) % 2 ? "awarua" : "svalbard";
    cw.aos = start + Minutes(w);
    cw.los = cw.aos + Minutes(o.window_minutes);
    cw.max_elevation_at = cw.aos + Minutes(o.window_minutes / 2.0);
    cw.max_elevation_deg = 45;
    cw.min_range_km = 900;
    cw.uplink_bps = o.uplink_bps;
    cw.downlink_bps = o.downlink_bps;
    f.windows.push_back(cw);
  }
  f.latency_ms = {{"us-west", 35}, {"eu-west", 40}};
  return f;
}

inline JobSpec TrainingJob(const std::string& id, int gpus, double gpu_hours,
                           double watts_per_gpu = 600) {
  JobSpec j;
  j.id = id;
  j.kind = JobKind::kTraining;
  j.gpus = gpus;
  j.gpu_type = "H100";
  j.watts_per_gpu = watts_per_gpu;
  j.training.gpu_hours = gpu_hours;
  j.training.checkpoint_interval = Minutes(30);
  j.training.checkpoint_gb = 20;
  return j;
}

inline JobSpec InferenceJob(const std::string& id, int gpus, TimePoint from, TimePoint to,
                            double slo_ms, const std::string& region) {
  JobSpec j;
  j.id = id;
  j.kind = JobKind::kInference;
  j.gpus = gpus;
  j.gpu_type = "H100";
  j.watts_per_gpu = 500;
  j.region = region;
  j.inference.serve_start = from;
  j.inference.serve_end = to;
  j.inference.latency_slo_ms = slo_ms;
  return j;
}

}  // namespace apsis::core::testing
