#include "scheduler/daemon/proto_conversion.h"

#include <algorithm>
#include <limits>

namespace apsis::daemon {

Status ValidateHello(const v1::Hello& hello, TimePoint now, Duration* behind) {
  *behind = Duration(0);
  const std::string& node_id = hello.spec().id();
  if (node_id.empty()) return InvalidArgumentError("Hello without spec.id");
  if (hello.spec().gpus().count() == 0)
    return InvalidArgumentError("node '" + node_id + "' declares no GPUs");
  if (hello.agent_time_us() == 0) return Status::Ok();  // the agent sent no clock reading
  // The difference of two arbitrary int64 times may overflow: saturate it instead.
  int64_t skew_us = 0;
  if (__builtin_sub_overflow(hello.agent_time_us(), now.micros(), &skew_us)) {
    skew_us = hello.agent_time_us() < 0 ? std::numeric_limits<int64_t>::min() + 1
                                        : std::numeric_limits<int64_t>::max();
  }
  const Duration skew(std::max(skew_us, std::numeric_limits<int64_t>::min() + 1));
  // A message cannot arrive before it was sent, so an agent clock ahead of ours is skew. One behind
  // may also be a Hello that waited in a space link for the next pass: refused only for ground
  // nodes, which talk to us directly.
  const bool orbital = hello.spec().kind() == v1::NODE_KIND_ORBITAL;
  if (skew > kMaxAgentClockSkew || (skew < -kMaxAgentClockSkew && !orbital)) {
    return FailedPreconditionError(
        "agent clock differs from the scheduler's by " + FormatDuration(skew) +
        " (limit 30s); synchronise the node's clock (NTP) and restart the agent");
  }
  if (skew < Duration(0)) *behind = -skew;
  return Status::Ok();
}

core::NodeSpec NodeSpecFromProto(const v1::NodeSpec& spec) {
  core::NodeSpec out;
  out.id = spec.id();
  out.kind =
      spec.kind() == v1::NODE_KIND_ORBITAL ? core::NodeKind::kOrbital : core::NodeKind::kGround;
  out.gpu_count = static_cast<int>(spec.gpus().count());
  out.gpu_type = spec.gpus().type();
  out.gpu_watts = spec.gpus().watts_each();
  out.pue = spec.ground().pue() > 0 ? spec.ground().pue() : 1.0;
  out.bus_load_w = spec.bus_load_w();
  out.region = spec.ground().region();
  out.orbit = spec.orbit().tle_name();
  out.stations.assign(spec.ground_stations().begin(), spec.ground_stations().end());
  out.relay = spec.relay() == v1::RELAY_MODE_ALWAYS;
  return out;
}

Result<core::NodeForecast> NodeForecastFromProto(core::NodeKind kind, const v1::Forecast& f) {
  if (f.step_us() <= 0)
    return InvalidArgumentError("forecast of node '" + f.node_id() + "' has step_us <= 0");
  core::NodeForecast out;
  out.start = TimePoint::FromMicros(f.start_us());
  out.step = Duration(f.step_us());
  const int n = f.steps_size();
  out.power_available_w.reserve(n);
  const bool orbital = kind == core::NodeKind::kOrbital;
  for (const v1::PowerStep& s : f.steps()) {
    out.power_available_w.push_back(static_cast<float>(s.available_w()));
    if (orbital) {
      out.solar_input_w.push_back(static_cast<float>(s.solar_w()));
      out.sunlit_fraction.push_back(static_cast<float>(s.sunlit_fraction()));
      out.radiator_limit_w.push_back(static_cast<float>(f.radiator_limit_w()));
    } else {
      out.price_usd_per_kwh.push_back(static_cast<float>(s.price_usd_per_kwh()));
      out.carbon_g_per_kwh.push_back(static_cast<float>(s.carbon_g_per_kwh()));
    }
  }
  if (orbital) {
    const v1::BatterySpec& b = f.battery();
    out.battery.capacity_wh = b.capacity_wh();
    out.battery.initial_soc_wh = b.soc_wh();
    out.battery.floor_fraction = b.capacity_wh() > 0 ? b.floor_wh() / b.capacity_wh() : 0;
    if (b.charge_efficiency() > 0) out.battery.charge_efficiency = b.charge_efficiency();
    if (b.discharge_efficiency() > 0) out.battery.discharge_efficiency = b.discharge_efficiency();
    out.battery.max_charge_w = b.max_charge_w();
  }
  for (const v1::ContactWindow& w : f.windows()) {
    ContactWindow cw;
    cw.station = w.station();
    cw.aos = TimePoint::FromMicros(w.aos_us());
    cw.los = TimePoint::FromMicros(w.los_us());
    cw.max_elevation_at = TimePoint::FromMicros(w.max_elevation_at_us());
    cw.max_elevation_deg = w.max_elevation_deg();
    cw.min_range_km = w.min_range_km();
    cw.uplink_bps = w.uplink_bps();
    cw.downlink_bps = w.downlink_bps();
    out.windows.push_back(std::move(cw));
  }
  std::sort(out.windows.begin(), out.windows.end(),
            [](const ContactWindow& a, const ContactWindow& b) {
              return a.aos != b.aos ? a.aos < b.aos : a.station < b.station;
            });
  for (const v1::RegionLatency& l : f.latencies()) out.latency_ms[l.region()] = l.latency_ms();
  Status valid = core::ValidateForecast(kind, out);
  if (!valid.ok()) return valid.WithContext("forecast of node '" + f.node_id() + "'");
  return out;
}

core::JobSpec JobSpecFromProto(const v1::JobSpec& spec, TimePoint submitted_at) {
  core::JobSpec out;
  out.id = spec.id();
  out.kind =
      spec.kind() == v1::JOB_KIND_INFERENCE ? core::JobKind::kInference : core::JobKind::kTraining;
  out.gpus = static_cast<int>(spec.gpus());
  out.gpu_type = spec.gpu_type();
  out.watts_per_gpu = spec.watts_per_gpu();
  out.input_gb = spec.input_gb();
  out.output_gb = spec.output_gb();
  out.priority = spec.priority();
  out.region = spec.kind() == v1::JOB_KIND_INFERENCE && !spec.inference().user_region().empty()
                   ? spec.inference().user_region()
                   : spec.user_region();
  out.submitted_at = submitted_at;
  out.earliest_start = std::max(submitted_at, TimePoint::FromMicros(spec.not_before_us()));
  for (const auto& arg : spec.command()) out.command += (out.command.empty() ? "" : " ") + arg;
  const v1::TrainingSpec& t = spec.training();
  out.training.gpu_hours = t.gpu_hours();
  if (t.checkpoint_interval_us() > 0)
    out.training.checkpoint_interval = Duration(t.checkpoint_interval_us());
  out.training.checkpoint_gb = t.checkpoint_gb();
  if (t.deadline_us() > 0) out.training.deadline = TimePoint::FromMicros(t.deadline_us());
  out.training.deferrable = t.deferrable();
  out.training.preemptible = t.preemptible();
  const v1::InferenceSpec& i = spec.inference();
  out.inference.serve_start = TimePoint::FromMicros(i.serve_from_us());
  out.inference.serve_end = TimePoint::FromMicros(i.serve_until_us());
  out.inference.latency_slo_ms = i.latency_slo_ms();
  out.inference.request_in_bps = i.request_mbps() * 1e6;
  out.inference.response_out_bps = i.request_mbps() * 1e6;
  return out;
}

std::optional<core::JobEvent> JobEventFromProto(const v1::JobEvent& event) {
  core::JobEvent out;
  out.job_id = event.job_id();
  out.at = TimePoint::FromMicros(event.at_us());
  out.done_gpu_hours = event.progress_gpu_hours();
  switch (event.kind()) {
    case v1::JOB_EVENT_STARTED:
      out.type = core::JobEventType::kStarted;
      break;
    case v1::JOB_EVENT_PROGRESS:
      out.type = core::JobEventType::kProgress;
      break;
    case v1::JOB_EVENT_CHECKPOINTED:
      out.type = core::JobEventType::kCheckpointed;
      break;
    case v1::JOB_EVENT_STOPPED:
      out.type = core::JobEventType::kCheckpointed;
      break;
    case v1::JOB_EVENT_FINISHED:
      out.type = core::JobEventType::kFinished;
      break;
    case v1::JOB_EVENT_FAILED:
      out.type = core::JobEventType::kFailed;
      break;
    case v1::JOB_EVENT_LOST:
      out.type = core::JobEventType::kLost;
      break;
    default:
      return std::nullopt;
  }
  return out;
}

v1::NodeState NodeStateToProto(core::NodeState state) {
  switch (state) {
    case core::NodeState::kReady:
      return v1::NODE_STATE_READY;
    case core::NodeState::kCordoned:
      return v1::NODE_STATE_CORDONED;
    case core::NodeState::kDraining:
      return v1::NODE_STATE_DRAINING;
    case core::NodeState::kOutOfContact:
      return v1::NODE_STATE_OUT_OF_CONTACT;
    case core::NodeState::kDown:
      return v1::NODE_STATE_DOWN;
  }
  return v1::NODE_STATE_UNSPECIFIED;
}

v1::JobState JobStateToProto(core::JobState state) {
  switch (state) {
    case core::JobState::kPending:
      return v1::JOB_STATE_PENDING;
    case core::JobState::kPlaced:
      return v1::JOB_STATE_PLACED;
    case core::JobState::kRunning:
      return v1::JOB_STATE_RUNNING;
    case core::JobState::kSucceeded:
      return v1::JOB_STATE_SUCCEEDED;
    case core::JobState::kFailed:
      return v1::JOB_STATE_FAILED;
    case core::JobState::kCancelled:
      return v1::JOB_STATE_CANCELLED;
    case core::JobState::kRejected:
      return v1::JOB_STATE_FAILED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

void ForgetResumeNode(v1::JobStatus& status) {
  status.clear_resume_node_id();
  status.clear_checkpoint_written_us();
}

v1::CostBreakdown CostToProto(const core::CostBreakdown& cost) {
  v1::CostBreakdown out;
  out.set_energy_usd(cost.energy_usd);
  out.set_battery_wear_usd(cost.battery_wear_usd);
  out.set_transfer_usd(cost.transfer_usd);
  out.set_latency_penalty(cost.latency_usd);
  out.set_delay_penalty(cost.delay_usd);
  out.set_total(cost.total());
  return out;
}

}  // namespace apsis::daemon
