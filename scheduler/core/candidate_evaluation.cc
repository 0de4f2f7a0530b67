#include "scheduler/core/candidate_evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "scheduler/core/window_allocation.h"

namespace apsis::core {

namespace {

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string FormatWatts(double w) {
  if (std::abs(w) >= 1e6) return Fmt("%.3f MW", w / 1e6);
  if (std::abs(w) >= 1e3) return Fmt("%.2f kW", w / 1e3);
  return Fmt("%.0f W", w);
}

// `make_reason` runs only when the caller wants words: formatting times and numbers dominates
// the cost of a rejection otherwise.
template <typename MakeReason>
CandidateResult Rejection(bool describe, Constraint c, MakeReason make_reason, bool transient,
                          int64_t retry_step = -1) {
  CandidateResult r;
  r.feasible = false;
  r.constraint = c;
  if (describe) r.reason = make_reason();
  r.transient = transient;
  r.retry_step = retry_step;
  return r;
}

bool Deferrable(const JobSpec& job) {
  return job.kind == JobKind::kTraining && job.training.deferrable;
}

// Money terms of running over [s, s + duration) with `battery_wear_wh` drawn from the battery.
CostBreakdown ComputeCost(const NodeCandidateContext& ctx, const PlacementRequest& req,
                          const EngineConfig& config, int64_t s, double battery_wear_wh) {
  const NodeLedger& l = *ctx.ledger;
  const JobSpec& job = *req.job;
  const ObjectiveWeights& w = config.weights;
  const int64_t e = s + ctx.duration_steps;
  const double it_kw = job.gpus * job.watts_per_gpu / 1000.0;
  const double node_kw = l.NodeLoadW(it_kw * 1000.0) / 1000.0;
  const double hours = ctx.duration_steps * l.step_hours();
  CostBreakdown c;
  if (l.orbital()) {
    c.energy_usd = w.orbital_energy_usd_per_kwh * it_kw * hours;
    c.battery_wear_usd = w.battery_wear_usd_per_kwh * battery_wear_wh / 1000.0;
  } else {
    c.energy_usd = w.energy_weight * node_kw * l.PriceIntegral(int(s), int(e));
    c.carbon_usd = w.carbon_usd_per_kg * node_kw * l.CarbonIntegral(int(s), int(e)) / 1000.0;
  }
  const double gb = ctx.stage_bytes / 1e9 + job.output_gb;
  c.transfer_usd = gb * (l.orbital() ? w.space_transfer_usd_per_gb : w.ground_transfer_usd_per_gb) +
                   ctx.checkpoint_downlink_gb * w.space_transfer_usd_per_gb;
  if (job.kind == JobKind::kInference)
    c.latency_usd = w.latency_usd_per_ms_hour * ctx.latency_ms * hours;
  const double delay_h = std::max(0.0, ToSeconds(l.TimeOfStep(s) - req.earliest) / 3600.0);
  c.delay_usd = delay_h * w.delay_usd_per_hour * (job.priority + 1) *
                (Deferrable(job) ? w.deferrable_delay_factor : 1.0);
  return c;
}

double PolicyScore(const NodeCandidateContext& ctx, const PlacementRequest& req,
                   const PlacementPolicy& policy, const CostBreakdown& c, int64_t s) {
  const double delay_h =
      std::max(0.0, ToSeconds(ctx.ledger->TimeOfStep(s) - req.earliest) / 3600.0);
  return policy.Score(CandidateScoreInput{c, ctx.latency_ms, delay_h, ctx.node_index});
}

std::string BatteryReason(const NodeLedger& l, const NodeLedger::BatteryOutcome& b) {
  const BatteryForecast& bat = l.forecast().battery;
  const bool eclipse = l.forecast().solar_input_w[b.step] <= 0;
  const std::string at = FormatRfc3339(l.TimeOfStep(b.step));
  if (b.constraint == Constraint::kBatteryDischarge) {
    return "battery discharge " + FormatWatts(b.draw_w) + " > limit " +
           FormatWatts(bat.max_discharge_w) + " at " + at + (eclipse ? " during eclipse" : "");
  }
  return "battery below floor " + Fmt("%.0f", bat.floor_fraction * 100) + " % at " + at +
         (eclipse ? " during eclipse" : " in sunlight") + " (SoC would be " +
         Fmt("%.1f", 100.0 * b.soc_wh / bat.capacity_wh) + " %)";
}

}  // namespace

CandidateResult EvaluateCandidateAt(const NodeCandidateContext& ctx, const PlacementRequest& req,
                                    const EngineConfig& config, const PlacementPolicy& policy,
                                    int64_t s);

std::string FormatGb(double bytes) {
  const double gb = bytes / 1e9;
  return gb >= 10 ? Fmt("%.0f GB", gb) : Fmt("%.3g GB", gb);
}

std::optional<CandidateResult> PrepareNodeCandidate(const NodeLedger& l, NodeState state,
                                                    int node_index, const PlacementRequest& req,
                                                    const PlacementPolicy& policy,
                                                    NodeCandidateContext* ctx) {
  const JobSpec& job = *req.job;
  const NodeSpec& spec = l.spec();
  const NodeForecast& f = l.forecast();
  if (state == NodeState::kCordoned || state == NodeState::kDraining || state == NodeState::kDown) {
    return Rejection(
        req.describe, Constraint::kNodeState,
        [&] {
          return std::string("node " + spec.id + " is " + std::string(NodeStateName(state)) +
                             " and takes no new work");
        },
        true);
  }
  if (auto why = policy.ExcludesNode(spec, job)) {
    return Rejection(
        req.describe, Constraint::kPolicy, [&] { return std::string(*why); }, false);
  }
  if (!job.gpu_type.empty() && job.gpu_type != spec.gpu_type) {
    return Rejection(
        req.describe, Constraint::kGpuType,
        [&] {
          return std::string("job needs " + job.gpu_type + " GPUs, node has " + spec.gpu_type);
        },
        false);
  }
  if (job.gpus > spec.gpu_count) {
    return Rejection(
        req.describe, Constraint::kGpuCount,
        [&] {
          return std::string("job needs " + std::to_string(job.gpus) +
                             " GPUs on one node, node has " + std::to_string(spec.gpu_count));
        },
        false);
  }
  if (spec.gpu_watts > 0 && job.watts_per_gpu > spec.gpu_watts + 1e-9) {
    return Rejection(
        req.describe, Constraint::kGpuWatts,
        [&] {
          return std::string("job draws " + FormatWatts(job.watts_per_gpu) +
                             " per GPU, node's GPUs take " + FormatWatts(spec.gpu_watts));
        },
        false);
  }
  ctx->ledger = &l;
  ctx->state = state;
  ctx->node_index = node_index;
  ctx->latency_ms = 0;
  if (!job.region.empty()) {
    if (const double* ms = l.LatencyMs(job.region)) {
      ctx->latency_ms = *ms;
    } else if (job.kind == JobKind::kInference) {
      return Rejection(
          req.describe, Constraint::kLatency,
          [&] { return std::string("no latency forecast from " + job.region); }, false);
    }
    if (job.kind == JobKind::kInference && ctx->latency_ms > job.inference.latency_slo_ms) {
      return Rejection(
          req.describe, Constraint::kLatency,
          [&] {
            return std::string("latency " + Fmt("%.0f", ctx->latency_ms) + " ms > SLO " +
                               Fmt("%.0f", job.inference.latency_slo_ms) + " ms from " +
                               job.region);
          },
          false);
    }
  }
  ctx->stage_bytes =
      req.input_node_id == spec.id ? 0.0 : (job.input_gb + req.resume_stage_gb) * 1e9;
  ctx->stage_from = req.now;
  ctx->checkpoint_downlink_gb = 0;
  TimePoint earliest = req.earliest;
  if (req.checkpoint_in_orbit && req.input_node_id != spec.id) {
    // Resuming away from the orbital node that holds the checkpoint: it comes down first.
    if (!req.checkpoint_on_ground) {
      return Rejection(
          req.describe, Constraint::kDownlink,
          [&] {
            return std::string("checkpoint of " + FormatGb(job.training.checkpoint_gb * 1e9) +
                               " on " + req.input_node_id + " cannot be downlinked before " +
                               FormatRfc3339(req.checkpoint_horizon) +
                               "; the job can only resume there");
          },
          true);
    }
    earliest = std::max(earliest, *req.checkpoint_on_ground);
    ctx->stage_from = std::max(ctx->stage_from, *req.checkpoint_on_ground);
    ctx->checkpoint_downlink_gb = job.training.checkpoint_gb;
  }
  const int64_t n = l.steps();
  std::optional<TimePoint> deadline;
  if (job.kind == JobKind::kTraining) {
    const double hours = req.work_gpu_hours / job.gpus;
    ctx->duration_steps = std::max<int64_t>(1, int64_t(std::ceil(hours / l.step_hours() - 1e-9)));
    ctx->earliest_step = std::max<int64_t>(0, l.CeilStep(earliest));
    ctx->latest_step = n - ctx->duration_steps;
    deadline = job.training.deadline;
    if (deadline) {
      ctx->latest_step = std::min(ctx->latest_step, l.FloorStep(*deadline) - ctx->duration_steps);
    }
    ctx->flexible_start = true;
  } else {
    const TimePoint begin = std::max(job.inference.serve_start, req.earliest);
    const int64_t s = std::max<int64_t>(0, l.CeilStep(begin));
    const int64_t e = l.CeilStep(job.inference.serve_end);
    if (e <= s)
      return Rejection(
          req.describe, Constraint::kDeadline,
          [&] { return std::string("serving period is already over"); }, false);
    if (e > n) {
      return Rejection(
          req.describe, Constraint::kHorizon,
          [&] {
            return std::string("serving period ends " + FormatRfc3339(job.inference.serve_end) +
                               ", after the forecast horizon " + FormatRfc3339(f.end()));
          },
          true);
    }
    ctx->duration_steps = e - s;
    ctx->earliest_step = ctx->latest_step = s;
    ctx->flexible_start = false;
  }
  if (ctx->latest_step < ctx->earliest_step) {
    if (deadline && l.FloorStep(*deadline) <= n) {
      return Rejection(
          req.describe, Constraint::kDeadline,
          [&] {
            return std::string(Fmt("run of %.1f h", ctx->duration_steps * l.step_hours()) +
                               " from " + FormatRfc3339(l.TimeOfStep(ctx->earliest_step)) +
                               " cannot end before deadline " + FormatRfc3339(*deadline));
          },
          false);
    }
    return Rejection(
        req.describe, Constraint::kHorizon,
        [&] {
          return std::string(Fmt("run of %.1f h", ctx->duration_steps * l.step_hours()) + " from " +
                             FormatRfc3339(l.TimeOfStep(ctx->earliest_step)) +
                             " does not fit before the forecast horizon " + FormatRfc3339(f.end()));
        },
        true);
  }
  if (l.orbital() && ctx->stage_bytes > 0) {
    // Input must be fully uplinked in whole windows that close before the start.
    double carried = 0;
    int64_t ready = -1;
    const auto first =
        std::partition_point(f.windows.begin(), f.windows.end(),
                             [&](const ContactWindow& cw) { return cw.aos < ctx->stage_from; });
    for (size_t w = size_t(first - f.windows.begin()); w < f.windows.size(); ++w) {
      carried += std::max(0.0, l.UplinkFreeBytes(int(w)));
      if (carried >= ctx->stage_bytes - 1e-6) {
        ready = l.CeilStep(f.windows[w].los);
        break;
      }
    }
    if (ready < 0 || ready > ctx->latest_step) {
      const bool by_deadline = job.kind == JobKind::kInference || (deadline.has_value());
      std::string limit =
          job.kind == JobKind::kInference
              ? "before serving starts at " + FormatRfc3339(l.TimeOfStep(ctx->latest_step))
          : deadline ? "before deadline " + FormatRfc3339(*deadline) + " (latest start " +
                           FormatRfc3339(l.TimeOfStep(ctx->latest_step)) + ")"
                     : "before the forecast horizon " + FormatRfc3339(f.end());
      return Rejection(
          req.describe, Constraint::kUplink,
          [&] {
            return std::string("no uplink window carries " + FormatGb(ctx->stage_bytes) + " " +
                               limit);
          },
          !by_deadline);
    }
    ctx->earliest_step = std::max(ctx->earliest_step, ready);
  }
  if (l.orbital() && !spec.relay && job.kind == JobKind::kInference) {
    // Without a relay, an orbital node serves users only while a ground station sees it.
    TimePoint t = l.TimeOfStep(ctx->earliest_step);
    const TimePoint end = l.TimeOfStep(ctx->earliest_step + ctx->duration_steps);
    for (const ContactWindow& w : f.windows) {
      if (w.aos <= t && w.los > t) t = w.los;
      if (t >= end) break;
    }
    if (t < end) {
      return Rejection(
          req.describe, Constraint::kContact,
          [&] {
            return std::string("orbital node without relay is out of contact at " +
                               FormatRfc3339(t) + " during the serving period");
          },
          false);
    }
    // Requests and responses pass through the windows while serving: each overlapped window
    // must have room for them beside what is already committed.
    const std::vector<TransferAllocation> traffic =
        ServingTraffic(f, job.inference, l.TimeOfStep(ctx->earliest_step), end);
    if (auto s = FirstWindowShortfall(l, traffic)) {
      const bool up = s->transfer->direction == TransferDirection::kUplink;
      return Rejection(
          req.describe, up ? Constraint::kUplink : Constraint::kDownlink,
          [&] { return DescribeServingShortfall(*s); },
          s->transfer->bytes <= s->capacity_bytes + 1.0);  // others' traffic may go away
    }
  }
  return std::nullopt;
}

double ScoreLowerBound(const NodeCandidateContext& ctx, const PlacementRequest& req,
                       const EngineConfig& config, const PlacementPolicy& policy,
                       int64_t start_step) {
  const NodeLedger& l = *ctx.ledger;
  double wear_wh = 0;
  if (l.orbital()) {
    const double it_w = req.job->gpus * req.job->watts_per_gpu;
    wear_wh = it_w * l.BatteryBoundSteps(int(start_step), int(start_step + ctx.duration_steps)) *
              l.step_hours() / l.forecast().battery.discharge_efficiency;
  }
  return PolicyScore(ctx, req, policy, ComputeCost(ctx, req, config, start_step, wear_wh),
                     start_step);
}

double NodeScoreLowerBound(const NodeCandidateContext& ctx, const PlacementRequest& req,
                           const EngineConfig& config, const PlacementPolicy& policy,
                           int64_t grid_steps) {
  const NodeLedger& l = *ctx.ledger;
  const JobSpec& job = *req.job;
  const ObjectiveWeights& w = config.weights;
  const int64_t d = ctx.duration_steps;
  // The terms that vary with the start (energy, carbon, battery wear, delay) are minimised
  // jointly over the grid and folded into one term: valid because time-shifting policies score
  // by total cost (see PlacementPolicy::ShiftsInTime).
  CostBreakdown c = ComputeCost(ctx, req, config, ctx.earliest_step, 0.0);
  const double it_w = job.gpus * job.watts_per_gpu;
  const double delay_usd_per_step = l.step_hours() * w.delay_usd_per_hour * (job.priority + 1) *
                                    (Deferrable(job) ? w.deferrable_delay_factor : 1.0);
  const double earliest_delay = c.delay_usd;
  double best = std::numeric_limits<double>::infinity();
  if (l.orbital()) {
    // Starts a, a + g, ..., a + (G−1)·g all cover [a + (G−1)·g, a + d): the battery-bound steps
    // there and the delay at a bound the whole group, with G times fewer probes of the arrays.
    const double wear_per_step = w.battery_wear_usd_per_kwh * it_w * l.step_hours() /
                                 l.forecast().battery.discharge_efficiency / 1000.0;
    const int64_t group = std::max<int64_t>(1, d / (2 * grid_steps));
    for (int64_t a = ctx.earliest_step; a <= ctx.latest_step; a += group * grid_steps) {
      const int64_t last = std::min(ctx.latest_step, a + (group - 1) * grid_steps);
      const int64_t last_on_grid = a + (last - a) / grid_steps * grid_steps;
      const double v = wear_per_step * l.BatteryBoundSteps(int(last_on_grid), int(a + d)) +
                       delay_usd_per_step * double(a - ctx.earliest_step);
      best = std::min(best, v);
    }
    c.battery_wear_usd = best;
  } else {
    const double node_kw = l.NodeLoadW(it_w) / 1000.0;
    for (int64_t s = ctx.earliest_step; s <= ctx.latest_step; s += grid_steps) {
      const double v =
          w.energy_weight * node_kw * l.PriceIntegral(int(s), int(s + d)) +
          w.carbon_usd_per_kg * node_kw * l.CarbonIntegral(int(s), int(s + d)) / 1000.0 +
          delay_usd_per_step * double(s - ctx.earliest_step);
      best = std::min(best, v);
    }
    c.energy_usd = best;
    c.carbon_usd = 0;
  }
  // Delay is already inside `best` (measured from the earliest step, which itself may sit a
  // fraction of a step after req.earliest).
  c.delay_usd = earliest_delay;
  return PolicyScore(ctx, req, policy, c, ctx.earliest_step);
}

void GridScoreLowerBoundFloors(const NodeCandidateContext& ctx, const PlacementRequest& req,
                               const EngineConfig& config, const PlacementPolicy& policy,
                               int64_t grid_steps, std::vector<double>* floors) {
  const NodeLedger& l = *ctx.ledger;
  const JobSpec& job = *req.job;
  const ObjectiveWeights& w = config.weights;
  const int64_t d = ctx.duration_steps;
  const double it_w = job.gpus * job.watts_per_gpu;
  const double delay_usd_per_h = w.delay_usd_per_hour * (job.priority + 1) *
                                 (Deferrable(job) ? w.deferrable_delay_factor : 1.0);
  const double wear_usd_per_step = l.orbital()
                                       ? w.battery_wear_usd_per_kwh * it_w * l.step_hours() /
                                             l.forecast().battery.discharge_efficiency / 1000.0
                                       : 0.0;
  const double node_kw = l.NodeLoadW(it_w) / 1000.0;
  // The start-dependent part of the cost at start s.
  auto varying = [&](int64_t s) {
    double v = std::max(0.0, ToSeconds(l.TimeOfStep(s) - req.earliest) / 3600.0) * delay_usd_per_h;
    if (l.orbital()) {
      v += wear_usd_per_step * l.BatteryBoundSteps(int(s), int(s + d));
    } else {
      v += w.energy_weight * node_kw * l.PriceIntegral(int(s), int(s + d)) +
           w.carbon_usd_per_kg * node_kw * l.CarbonIntegral(int(s), int(s + d)) / 1000.0;
    }
    return v;
  };
  const double at_earliest = varying(ctx.earliest_step);
  const double base = ScoreLowerBound(ctx, req, config, policy, ctx.earliest_step);
  floors->clear();
  for (int64_t s = ctx.earliest_step; s <= ctx.latest_step; s += grid_steps) {
    const double v = s == ctx.earliest_step ? at_earliest : varying(s);
    const double floor = base + (v - at_earliest);
    floors->push_back(floor - 1e-9 * (std::abs(base) + std::abs(at_earliest) + std::abs(v) + 1.0));
  }
}

CandidateResult EvaluateCandidate(const NodeCandidateContext& ctx, const PlacementRequest& req,
                                  const EngineConfig& config, const PlacementPolicy& policy,
                                  int64_t s) {
  CandidateResult r = EvaluateCandidateAt(ctx, req, config, policy, s);
  r.at_step = s;
  return r;
}

CandidateResult EvaluateCandidateAt(const NodeCandidateContext& ctx, const PlacementRequest& req,
                                    const EngineConfig& config, const PlacementPolicy& policy,
                                    int64_t s) {
  const NodeLedger& l = *ctx.ledger;
  const JobSpec& job = *req.job;
  const NodeForecast& f = l.forecast();
  const int64_t e = s + ctx.duration_steps;
  if (s < ctx.earliest_step || s > ctx.latest_step) {
    return Rejection(
        req.describe, Constraint::kDeadline,
        [&] {
          return std::string("start " + FormatRfc3339(l.TimeOfStep(s)) +
                             " is outside the allowed range");
        },
        false);
  }
  const double it_w = job.gpus * job.watts_per_gpu;
  if (auto v = l.FirstCapacityViolation(int(s), int(e), job.gpus, l.NodeLoadW(it_w))) {
    auto reason = [&] {
      const std::string at = FormatRfc3339(l.TimeOfStep(v->step));
      if (v->constraint == Constraint::kGpusBusy) {
        return "GPUs busy: " + Fmt("%.0f", v->value) + " needed > " + Fmt("%.0f", v->limit) +
               " at " + at;
      }
      if (v->constraint == Constraint::kRadiator) {
        return "radiator limit " + FormatWatts(v->limit) + " < heat " + FormatWatts(v->value) +
               " at " + at;
      }
      return "power " + FormatWatts(v->value) + " > available " + FormatWatts(v->limit) + " at " +
             at;
    };
    // Backfilling resumes at the next step with room, not one step at a time.
    const int next = l.NextFitStep(v->step + 1, job.gpus, l.NodeLoadW(it_w));
    return Rejection(req.describe, v->constraint, reason, true, next < l.steps() ? next : -1);
  }
  double wear_wh = 0;
  if (l.orbital()) {
    NodeLedger::BatteryOutcome b = l.SimulateBattery(int(s), int(e), it_w);
    if (!b.ok)
      return Rejection(
          req.describe, b.constraint, [&] { return std::string(BatteryReason(l, b)); }, true,
          b.step + 1);
    wear_wh = b.extra_discharge_wh;
  }
  CandidateResult r;
  Reservation& res = r.reservation;
  res.job_id = job.id;
  res.node_id = l.spec().id;
  res.start = l.TimeOfStep(s);
  res.end = l.TimeOfStep(e);
  res.gpus = job.gpus;
  res.it_load_w = it_w;
  res.work_gpu_hours = job.kind == JobKind::kTraining ? req.work_gpu_hours : 0.0;
  res.input_on_node = ctx.stage_bytes <= 0;
  if (l.orbital() && ctx.stage_bytes > 0) {
    double left = ctx.stage_bytes;
    for (size_t w = 0; w < f.windows.size() && left > 1e-6; ++w) {
      const ContactWindow& cw = f.windows[w];
      if (cw.aos < ctx.stage_from) continue;
      if (cw.los > res.start) break;
      const double take = std::min(left, l.UplinkFreeBytes(int(w)));
      if (take <= 0) continue;
      res.transfers.push_back(
          {TransferDirection::kUplink, int(w), cw.station, cw.aos, cw.los, take});
      left -= take;
    }
    if (left > 1e-6) {
      return Rejection(
          req.describe, Constraint::kUplink,
          [&] {
            return std::string("no uplink window carries " + FormatGb(ctx.stage_bytes) +
                               " before start " + FormatRfc3339(res.start));
          },
          true);
    }
  }
  if (l.orbital() && job.output_gb > 0) {
    std::optional<TimePoint> deadline;
    if (job.kind == JobKind::kTraining) deadline = job.training.deadline;
    const TimePoint limit = deadline ? std::min(*deadline, f.end()) : f.end();
    double left = job.output_gb * 1e9;
    for (size_t w = 0; w < f.windows.size() && left > 1e-6; ++w) {
      const ContactWindow& cw = f.windows[w];
      if (cw.aos < res.end) continue;
      if (cw.los > limit) break;
      const double take = std::min(left, l.DownlinkFreeBytes(int(w)));
      if (take <= 0) continue;
      res.transfers.push_back(
          {TransferDirection::kDownlink, int(w), cw.station, cw.aos, cw.los, take});
      left -= take;
    }
    if (left > 1e-6) {
      return Rejection(
          req.describe, Constraint::kDownlink,
          [&] {
            return std::string("no downlink window carries " + FormatGb(job.output_gb * 1e9) +
                               " of output between " + FormatRfc3339(res.end) + " and " +
                               (deadline ? "deadline " : "the forecast horizon ") +
                               FormatRfc3339(limit));
          },
          !deadline.has_value());
    }
  }
  if (l.orbital() && !l.spec().relay && job.kind == JobKind::kInference) {
    // Checked against the windows' free capacity by PrepareNodeCandidate.
    for (TransferAllocation& t : ServingTraffic(f, job.inference, res.start, res.end)) {
      res.transfers.push_back(std::move(t));
    }
  }
  res.cost = ComputeCost(ctx, req, config, s, wear_wh);
  r.feasible = true;
  r.score = PolicyScore(ctx, req, policy, res.cost, s);
  return r;
}

}  // namespace apsis::core
