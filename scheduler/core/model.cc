#include "scheduler/core/model.h"

#include <cmath>

#include "scheduler/core/engine_config.h"

namespace apsis::core {

std::string_view NodeKindName(NodeKind kind) {
  return kind == NodeKind::kGround ? "ground" : "orbital";
}

std::string_view NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kReady:
      return "ready";
    case NodeState::kCordoned:
      return "cordoned";
    case NodeState::kDraining:
      return "draining";
    case NodeState::kOutOfContact:
      return "out-of-contact";
    case NodeState::kDown:
      return "down";
  }
  return "unknown";
}

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kPlaced:
      return "placed";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
    case JobState::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string_view ConstraintName(Constraint c) {
  switch (c) {
    case Constraint::kNone:
      return "none";
    case Constraint::kNodeState:
      return "node-state";
    case Constraint::kNoForecast:
      return "no-forecast";
    case Constraint::kGpuType:
      return "gpu-type";
    case Constraint::kGpuCount:
      return "gpu-count";
    case Constraint::kGpuWatts:
      return "gpu-watts";
    case Constraint::kPolicy:
      return "policy";
    case Constraint::kGpusBusy:
      return "gpus-busy";
    case Constraint::kPower:
      return "power";
    case Constraint::kRadiator:
      return "radiator";
    case Constraint::kBatteryFloor:
      return "battery-floor";
    case Constraint::kBatteryDischarge:
      return "battery-discharge";
    case Constraint::kUplink:
      return "uplink";
    case Constraint::kDownlink:
      return "downlink";
    case Constraint::kLatency:
      return "latency";
    case Constraint::kContact:
      return "contact";
    case Constraint::kDeadline:
      return "deadline";
    case Constraint::kHorizon:
      return "horizon";
  }
  return "unknown";
}

namespace {

Status CheckSeries(const std::vector<float>& v, size_t n, bool required, const char* name,
                   bool may_be_negative = false) {
  if (v.empty() && !required) return Status::Ok();
  if (v.size() != n) {
    return InvalidArgumentError(std::string("forecast.") + name + " has " +
                                std::to_string(v.size()) + " values, expected " +
                                std::to_string(n) + " (one per step of power_available_w)");
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i]) || (v[i] < 0 && !may_be_negative)) {
      return InvalidArgumentError(std::string("forecast.") + name + "[" + std::to_string(i) +
                                  "] = " + std::to_string(v[i]) + " must be finite" +
                                  (may_be_negative ? "" : " and >= 0"));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateForecast(NodeKind kind, const NodeForecast& f) {
  if (f.step <= Duration::zero()) return InvalidArgumentError("forecast.step must be positive");
  if (f.power_available_w.empty()) {
    return InvalidArgumentError("forecast.power_available_w is empty; give one value per step");
  }
  const size_t n = f.power_available_w.size();
  RETURN_IF_ERROR(CheckSeries(f.power_available_w, n, true, "power_available_w"));
  // Wholesale prices do go negative when renewables flood the grid.
  RETURN_IF_ERROR(CheckSeries(f.price_usd_per_kwh, n, false, "price_usd_per_kwh", true));
  RETURN_IF_ERROR(CheckSeries(f.carbon_g_per_kwh, n, false, "carbon_g_per_kwh"));
  const bool orbital = kind == NodeKind::kOrbital;
  RETURN_IF_ERROR(CheckSeries(f.solar_input_w, n, orbital, "solar_input_w"));
  RETURN_IF_ERROR(CheckSeries(f.sunlit_fraction, n, false, "sunlit_fraction"));
  RETURN_IF_ERROR(CheckSeries(f.radiator_limit_w, n, orbital, "radiator_limit_w"));
  if (orbital) {
    const BatteryForecast& b = f.battery;
    if (!(b.capacity_wh > 0))
      return InvalidArgumentError("forecast.battery.capacity_wh must be > 0");
    if (b.initial_soc_wh < 0 || b.initial_soc_wh > b.capacity_wh) {
      return InvalidArgumentError("forecast.battery.initial_soc_wh must be in [0, capacity_wh]");
    }
    if (b.floor_fraction < 0 || b.floor_fraction >= 1) {
      return InvalidArgumentError("forecast.battery.floor_fraction must be in [0, 1)");
    }
    if (!(b.charge_efficiency > 0 && b.charge_efficiency <= 1) ||
        !(b.discharge_efficiency > 0 && b.discharge_efficiency <= 1)) {
      return InvalidArgumentError("forecast.battery efficiencies must be in (0, 1]");
    }
    if (b.max_charge_w < 0 || b.max_discharge_w < 0) {
      return InvalidArgumentError("forecast.battery charge/discharge limits must be >= 0");
    }
  }
  for (size_t i = 0; i < f.windows.size(); ++i) {
    const ContactWindow& w = f.windows[i];
    if (w.los <= w.aos) {
      return InvalidArgumentError("forecast.windows[" + std::to_string(i) + "] (" + w.station +
                                  ") has los <= aos");
    }
    if (i > 0 && w.aos < f.windows[i - 1].aos) {
      return InvalidArgumentError("forecast.windows must be sorted by aos (index " +
                                  std::to_string(i) + ")");
    }
    if (w.uplink_bps < 0 || w.downlink_bps < 0) {
      return InvalidArgumentError("forecast.windows rates must be >= 0");
    }
  }
  for (const auto& [region, ms] : f.latency_ms) {
    if (!(ms >= 0)) return InvalidArgumentError("forecast.latency_ms[" + region + "] must be >= 0");
  }
  return Status::Ok();
}

Status ValidateNodeSpec(const NodeSpec& s) {
  if (s.id.empty()) return InvalidArgumentError("node.id is empty");
  if (s.gpu_count < 0 || s.gpu_count > 30000) {
    return InvalidArgumentError("node " + s.id + ": gpu_count must be in [0, 30000]");
  }
  if (s.gpu_watts < 0) return InvalidArgumentError("node " + s.id + ": gpu_watts must be >= 0");
  if (s.kind == NodeKind::kGround && s.pue < 1.0) {
    return InvalidArgumentError("node " + s.id + ": pue must be >= 1.0");
  }
  if (s.bus_load_w < 0) return InvalidArgumentError("node " + s.id + ": bus_load_w must be >= 0");
  return Status::Ok();
}

Status ValidateJobSpec(const JobSpec& j) {
  if (j.id.empty()) return InvalidArgumentError("job.id is empty");
  const std::string where = "job " + j.id + ": ";
  if (j.gpus <= 0) return InvalidArgumentError(where + "gpus must be >= 1");
  if (j.watts_per_gpu < 0) return InvalidArgumentError(where + "watts_per_gpu must be >= 0");
  if (j.input_gb < 0 || j.output_gb < 0) {
    return InvalidArgumentError(where + "input_gb and output_gb must be >= 0");
  }
  if (j.kind == JobKind::kTraining) {
    if (!(j.training.gpu_hours > 0)) return InvalidArgumentError(where + "gpu_hours must be > 0");
    if (j.training.checkpoint_gb < 0) {
      return InvalidArgumentError(where + "checkpoint_gb must be >= 0");
    }
  } else {
    if (j.inference.serve_end <= j.inference.serve_start) {
      return InvalidArgumentError(where + "serve_end must be after serve_start");
    }
    if (!(j.inference.latency_slo_ms > 0)) {
      return InvalidArgumentError(where + "latency_slo_ms must be > 0");
    }
    if (j.region.empty()) {
      return InvalidArgumentError(where + "inference needs the user region of its latency SLO");
    }
  }
  return Status::Ok();
}

Status ValidateEngineConfig(const EngineConfig& c) {
  if (c.start_search_step <= Duration::zero()) {
    return InvalidArgumentError("scheduler.start_search_step must be positive");
  }
  if (c.max_backfill_attempts_per_node < 1) {
    return InvalidArgumentError("scheduler.max_backfill_attempts_per_node must be >= 1");
  }
  if (c.max_scored_nodes < 0) {
    return InvalidArgumentError("scheduler.max_scored_nodes must be >= 0 (0 scores every node)");
  }
  if (!(c.checkpoint_write_gbps > 0)) {
    return InvalidArgumentError("scheduler.checkpoint_write_gbps must be > 0");
  }
  const ObjectiveWeights& w = c.weights;
  for (double v : {w.energy_weight, w.orbital_energy_usd_per_kwh, w.carbon_usd_per_kg,
                   w.battery_wear_usd_per_kwh, w.ground_transfer_usd_per_gb,
                   w.space_transfer_usd_per_gb, w.latency_usd_per_ms_hour, w.delay_usd_per_hour,
                   w.deferrable_delay_factor, w.gpu_hour_value_usd}) {
    if (!(v >= 0)) return InvalidArgumentError("scheduler.weights must all be finite and >= 0");
  }
  return Status::Ok();
}

}  // namespace apsis::core
