#include "sim/node_model.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "agents/contact_plan.h"
#include "agents/ground_power_model.h"
#include "agents/time_series.h"
#include "apsis/v1/common.pb.h"

namespace apsis::sim {
namespace {

// The site's 24-hour profile repeated day by day over [from, to), as the demo writes its price
// files, so the agent's model reads it as a price series.
agents::TimeSeries RepeatDaily(const std::array<double, 24>& hourly, TimePoint from, TimePoint to) {
  std::vector<agents::TimeSeries::Sample> samples;
  const int64_t day_us = Hours(24).count();
  int64_t t = (from.micros() / day_us - 1) * day_us;
  for (; t < to.micros() + day_us; t += Hours(1).count()) {
    const int hour = static_cast<int>(((t / Hours(1).count()) % 24 + 24) % 24);
    samples.push_back({TimePoint::FromMicros(t), hourly[hour]});
  }
  return agents::TimeSeries(std::move(samples), Hours(2));
}

Status BuildGround(const GroundSite& g, TimePoint start, Duration step, int n, NodeModel* out,
                   core::NodeSpec* spec, std::vector<float>* avail, std::vector<float>* price,
                   std::vector<float>* carbon) {
  agents::GroundPowerConfig cfg;
  cfg.grid_kw = g.grid_kw;
  cfg.pue = g.pue;
  cfg.utc_offset = Hours(g.utc_offset_hours);
  cfg.price = RepeatDaily(g.price_usd_per_kwh, start, start + step * n);
  agents::GroundPowerModel model(std::move(cfg));
  v1::Forecast f;
  RETURN_IF_ERROR(model.FillForecast(start, step, n, 0, &f));
  for (const v1::PowerStep& s : f.steps()) {
    avail->push_back(static_cast<float>(s.available_w()));
    price->push_back(static_cast<float>(s.price_usd_per_kwh()));
    carbon->push_back(static_cast<float>(s.carbon_g_per_kwh()));
  }
  spec->kind = core::NodeKind::kGround;
  spec->pue = g.pue;
  spec->region = g.region;
  return Status::Ok();
}

}  // namespace

int NodeModel::StepOf(TimePoint t) const {
  const int64_t i = (t - start_).count() / step_.count();
  return static_cast<int>(std::clamp<int64_t>(i, 0, steps() - 1));
}

core::NodeForecast NodeModel::Forecast(TimePoint now, Duration horizon, double soc_wh) const {
  core::NodeForecast f;
  const int first = StepOf(now);
  const int n = std::min<int>(static_cast<int>(horizon / step_), steps() - first);
  f.start = start_ + step_ * first;
  f.step = step_;
  auto slice = [&](const std::vector<float>& v, std::vector<float>* out) {
    if (!v.empty()) out->assign(v.begin() + first, v.begin() + first + n);
  };
  slice(available_w_, &f.power_available_w);
  slice(price_, &f.price_usd_per_kwh);
  slice(carbon_, &f.carbon_g_per_kwh);
  slice(solar_w_, &f.solar_input_w);
  slice(sunlit_, &f.sunlit_fraction);
  if (orbital()) {
    f.radiator_limit_w.assign(n, static_cast<float>(radiator_limit_w_));
    f.battery.capacity_wh = battery_.capacity_wh;
    f.battery.initial_soc_wh = std::clamp(soc_wh, 0.0, battery_.capacity_wh);
    f.battery.floor_fraction =
        battery_.capacity_wh > 0 ? battery_.floor_wh / battery_.capacity_wh : 0;
    f.battery.charge_efficiency = battery_.charge_efficiency;
    f.battery.discharge_efficiency = battery_.discharge_efficiency;
    f.battery.max_charge_w = battery_.max_charge_w;
  }
  const TimePoint end = f.end();
  // Passes in progress at either end are clipped to the forecast, as the agent's search does.
  auto first_w = std::partition_point(windows_.begin(), windows_.end(),
                                      [&](const ContactWindow& w) { return w.los <= f.start; });
  for (auto w = first_w; w != windows_.end() && w->aos < end; ++w) {
    if (w->los <= f.start) continue;
    ContactWindow c = *w;
    c.aos = std::max(c.aos, f.start);
    c.los = std::min(c.los, end);
    if (c.los > c.aos) f.windows.push_back(std::move(c));
  }
  std::sort(f.windows.begin(), f.windows.end(), [](const ContactWindow& a, const ContactWindow& b) {
    return a.aos != b.aos ? a.aos < b.aos : a.station < b.station;
  });
  f.latency_ms = latency_ms_;
  return f;
}

Result<std::unique_ptr<FleetModel>> FleetModel::Build(const Fleet& fleet, Duration span,
                                                      int threads) {
  auto model = std::unique_ptr<FleetModel>(new FleetModel());
  model->fleet_ = fleet;
  const Duration step = fleet.forecast_step;
  const TimePoint start = fleet.epoch;
  const int n = static_cast<int>((span + step - Duration(1)) / step);
  const size_t count = fleet.size();
  model->nodes_.resize(count);
  std::vector<Status> status(count);
  auto build_one = [&](size_t i) {
    NodeModel& m = model->nodes_[i];
    m.start_ = start;
    m.step_ = step;
    core::NodeSpec& spec = m.spec_;
    if (i < fleet.ground.size()) {
      const GroundSite& g = fleet.ground[i];
      spec.id = g.id;
      spec.gpu_count = g.gpus;
      spec.gpu_type = g.gpu_type;
      spec.gpu_watts = g.gpu_watts;
      m.latency_ms_ = g.latency_ms;
      status[i] = BuildGround(g, start, step, n, &m, &spec, &m.available_w_, &m.price_, &m.carbon_);
      return;
    }
    const OrbitalNode& o = fleet.orbital[i - fleet.ground.size()];
    spec.id = o.id;
    spec.kind = core::NodeKind::kOrbital;
    spec.gpu_count = o.gpus;
    spec.gpu_type = o.gpu_type;
    spec.gpu_watts = o.gpu_watts;
    spec.bus_load_w = o.bus_load_w;
    spec.relay = o.relay;
    spec.orbit = o.id;
    for (const link::GroundStation& s : fleet.stations) spec.stations.push_back(s.name);
    m.latency_ms_ = o.latency_ms;
    agents::OrbitalPowerConfig cfg;
    cfg.orbit.altitude_km = o.altitude_km;
    cfg.orbit.inclination_deg = o.inclination_deg;
    cfg.orbit.raan_deg = o.raan_deg;
    cfg.orbit.mean_anomaly_deg = o.mean_anomaly_deg;
    cfg.orbit.epoch = fleet.epoch;
    cfg.array_bol_w = o.array_bol_w;
    cfg.degradation_pct_per_year = o.degradation_pct_per_year;
    cfg.array_bol_at = fleet.epoch;
    cfg.battery.capacity_wh = o.battery_capacity_wh;
    cfg.battery.initial_soc_wh =
        o.battery_initial_soc_wh < 0 ? o.battery_capacity_wh : o.battery_initial_soc_wh;
    cfg.battery.floor_wh = o.battery_floor_wh;
    cfg.battery.charge_efficiency = o.charge_efficiency;
    cfg.battery.discharge_efficiency = o.discharge_efficiency;
    cfg.battery.max_charge_w = o.max_charge_w;
    cfg.bus_load_w = o.bus_load_w;
    cfg.radiator_limit_w = o.radiator_limit_w;
    m.battery_ = cfg.battery;
    m.radiator_limit_w_ = o.radiator_limit_w;
    auto power = agents::OrbitalPowerModel::Create(cfg, o.id, start);
    if (!power.ok()) {
      status[i] = power.status().WithContext("orbital node " + o.id);
      return;
    }
    v1::Forecast f;
    status[i] = (*power)->FillForecast(start, step, n, 0, &f);
    if (!status[i].ok()) return;
    for (const v1::PowerStep& s : f.steps()) {
      m.available_w_.push_back(static_cast<float>(s.available_w()));
      m.solar_w_.push_back(static_cast<float>(s.solar_w()));
      m.sunlit_.push_back(static_cast<float>(s.sunlit_fraction()));
    }
    agents::ContactPlan contacts((*power)->sgp4(), fleet.stations);
    auto windows = contacts.Windows(start, start + step * n);
    if (!windows.ok()) {
      status[i] = windows.status().WithContext("contact windows of " + o.id);
      return;
    }
    m.windows_ = std::move(*windows);
  };
  const int workers = std::max(
      1,
      std::min<int>(threads > 0 ? threads : int(std::thread::hardware_concurrency()), int(count)));
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) build_one(i);
    });
  }
  for (std::thread& t : pool) t.join();
  for (const Status& s : status) RETURN_IF_ERROR(s);
  return model;
}

}  // namespace apsis::sim
