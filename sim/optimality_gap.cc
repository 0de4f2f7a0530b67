#include "sim/optimality_gap.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

namespace apsis::sim {
namespace {

// The LP step containing `t` (floor) or ending at or after it (ceil), clamped to [0, steps].
int FloorStep(TimePoint epoch, Duration step, TimePoint t, int steps) {
  const int64_t d = (t - epoch).count();
  return static_cast<int>(std::clamp<int64_t>(d <= 0 ? 0 : d / step.count(), 0, steps));
}
int CeilStep(TimePoint epoch, Duration step, TimePoint t, int steps) {
  const int64_t d = (t - epoch).count();
  const int64_t st = step.count();
  return static_cast<int>(std::clamp<int64_t>(d <= 0 ? 0 : (d + st - 1) / st, 0, steps));
}

// One node over the LP's steps: each merges `k` forecast steps, relaxed as the header says.
BoundNode MergeNode(const NodeModel& n, int steps, int k, TimePoint epoch, Duration step,
                    double orbital_usd_per_kwh) {
  const core::NodeSpec& spec = n.spec();
  BoundNode b;
  b.id = spec.id;
  b.pue = n.orbital() ? 1.0 : spec.pue;
  b.steps.resize(steps);
  const int model_first = n.StepOf(epoch);
  for (int s = 0; s < steps; ++s) {
    BoundNodeStep& out = b.steps[s];
    out.gpu_capacity = spec.gpu_count;
    out.price_usd_per_kwh = std::numeric_limits<double>::infinity();
    for (int i = model_first + s * k; i < model_first + (s + 1) * k && i < n.steps(); ++i) {
      // As the planner limits it (NodeLedger::CapacityLimitW): ground forecasts give facility
      // power, so IT power is that over PUE; orbital IT power is also bounded by the radiators.
      double it_w = n.available_w(i);
      if (n.orbital()) {
        if (n.radiator_limit_w() > 0) it_w = std::min(it_w, n.radiator_limit_w() - spec.bus_load_w);
      } else {
        it_w /= spec.pue;
      }
      out.power_available_w = std::max(out.power_available_w, std::max(0.0, it_w));
      out.price_usd_per_kwh = std::min(out.price_usd_per_kwh,
                                       n.orbital() ? orbital_usd_per_kwh : n.price_usd_per_kwh(i));
    }
    if (!std::isfinite(out.price_usd_per_kwh)) out.price_usd_per_kwh = 0;
    if (n.orbital() && !spec.relay) {
      const TimePoint a = epoch + step * s, z = epoch + step * (s + 1);
      out.serves_inference =
          std::any_of(n.windows().begin(), n.windows().end(),
                      [&](const ContactWindow& w) { return w.aos < z && a < w.los; });
    }
  }
  return b;
}

}  // namespace

Result<BoundInstance> BuildBoundInstance(const FleetModel& fleet, const Workload& workload,
                                         const PolicyResult& result, const BoundOptions& options) {
  if (fleet.nodes().empty()) return InvalidArgumentError("bound: the fleet has no nodes");
  const Duration model_step = fleet.nodes().front().step();
  if (options.step < model_step || options.step.count() % model_step.count() != 0) {
    return InvalidArgumentError(fmt::format(
        "--bound-step {} s must be a whole multiple of the fleet's forecast step ({} s), e.g. 15m",
        ToSeconds(options.step), ToSeconds(model_step)));
  }
  if (options.horizon <= Duration::zero()) {
    return InvalidArgumentError("bound: the horizon must be positive");
  }
  const TimePoint epoch = fleet.fleet().epoch;
  const TimePoint end = epoch + options.horizon;
  const int k = static_cast<int>(options.step / model_step);
  BoundInstance in;
  in.steps = static_cast<int>((options.horizon + options.step - Duration(1)) / options.step);
  in.step_hours = ToSeconds(options.step) / 3600.0;
  for (const NodeModel& n : fleet.nodes()) {
    in.nodes.push_back(
        MergeNode(n, in.steps, k, epoch, options.step, options.orbital_energy_usd_per_kwh));
  }

  // The work each job ran within the horizon, and when and where.
  struct Ran {
    double gpu_hours = 0;
    TimePoint first = TimePoint::FromMicros(std::numeric_limits<int64_t>::max());
    TimePoint last = TimePoint::FromMicros(std::numeric_limits<int64_t>::min());
    bool only_where_users_reach = true;
  };
  std::map<std::string, Ran> ran;
  for (const RunSegment& seg : result.segments) {
    const TimePoint a = std::max(seg.start, epoch), z = std::min(seg.end, end);
    if (z <= a) continue;
    Ran& r = ran[seg.job_id];
    r.first = std::min(r.first, a);
    r.last = std::max(r.last, z);
    const BoundNode& node = in.nodes[seg.node];
    for (int s = FloorStep(epoch, options.step, a, in.steps);
         s < CeilStep(epoch, options.step, z, in.steps); ++s) {
      r.only_where_users_reach &= node.steps[s].serves_inference;
    }
    r.gpu_hours += ToSeconds(z - a) / 3600.0;  // times the job's GPUs below
  }
  for (const core::JobSpec& spec : workload.jobs) {
    auto it = ran.find(spec.id);
    if (it == ran.end()) continue;
    const Ran& r = it->second;
    TimePoint due = end;
    if (spec.kind == core::JobKind::kInference) {
      due = spec.inference.serve_end;
    } else if (spec.training.deadline) {
      due = *spec.training.deadline;
    }
    BoundJob job;
    job.id = spec.id;
    job.kind = BoundJobKind::kTraining;  // the work ran, wherever its steps fell
    job.gpus = spec.gpus;
    job.gpu_hours = r.gpu_hours * spec.gpus;
    job.watts_per_gpu = spec.watts_per_gpu;
    job.release_step =
        FloorStep(epoch, options.step, std::min(spec.submitted_at, r.first), in.steps);
    job.deadline_step = CeilStep(epoch, options.step, std::max(due, r.last), in.steps);
    // Inference stays where users reach it only if the policy's run did too (else the relaxation
    // would exclude the policy's own schedule).
    job.reach_required = spec.kind == core::JobKind::kInference && r.only_where_users_reach;
    in.jobs.push_back(std::move(job));
    ran.erase(it);
  }
  if (!ran.empty()) {
    return InternalError("bound: segments of job '" + ran.begin()->first +
                         "' that is not in the workload");
  }
  return in;
}

Result<OptimalityGap> ComputeOptimalityGap(const FleetModel& fleet, const Workload& workload,
                                           const PolicyResult& result,
                                           const BoundOptions& options) {
  ASSIGN_OR_RETURN(BoundInstance in, BuildBoundInstance(fleet, workload, result, options));
  Result<BoundResult> bound = EnergyCostLowerBound(in);
  if (!bound.ok()) return bound.status().WithContext("policy '" + result.name + "'");
  OptimalityGap gap;
  gap.policy = result.name;
  gap.energy_cost_usd = result.energy_cost_usd;
  gap.lower_bound_usd = bound->energy_cost_usd;
  gap.gap_usd = gap.energy_cost_usd - gap.lower_bound_usd;
  gap.gap_fraction = gap.energy_cost_usd > 0 ? gap.gap_usd / gap.energy_cost_usd : 0;
  gap.lp_variables = bound->variables;
  return gap;
}

void AttachOptimalityGaps(const FleetModel& fleet, const Workload& workload,
                          const BoundOptions& options, SimReport* report) {
  for (PolicyResult& p : report->policies) {
    Result<OptimalityGap> gap = ComputeOptimalityGap(fleet, workload, p, options);
    if (gap.ok()) {
      p.energy_lower_bound_usd = gap->lower_bound_usd;
      p.bound_error.clear();
    } else {
      p.energy_lower_bound_usd.reset();
      p.bound_error = std::string(gap.status().message());
    }
  }
}

std::string FormatOptimalityGaps(const SimReport& report, const BoundOptions& options) {
  std::string out = fmt::format(
      "\nOptimality gap: LP lower bound on the energy cost of the work each policy did ({} min "
      "steps)\n",
      ToSeconds(options.step) / 60);
  out += fmt::format("  {:<18}{:>14}{:>16}{:>12}{:>10}\n", "policy", "energy $", "lower bound $",
                     "gap $", "gap");
  for (const PolicyResult& p : report.policies) {
    if (!p.energy_lower_bound_usd) {
      out += fmt::format("  {:<18}bound not computed: {}\n", p.name,
                         p.bound_error.empty() ? "not attached" : p.bound_error);
      continue;
    }
    const double gap_usd = p.energy_cost_usd - *p.energy_lower_bound_usd;
    const double gap_fraction = p.energy_cost_usd > 0 ? gap_usd / p.energy_cost_usd : 0;
    out += fmt::format("  {:<18}{:>14.4f}{:>16.4f}{:>12.4f}{:>9.1f}%\n", p.name, p.energy_cost_usd,
                       *p.energy_lower_bound_usd, gap_usd, 100 * gap_fraction);
  }
  return out;
}

}  // namespace apsis::sim
