// Deliberately written without NodeLedger or candidate_evaluation: a second, simple derivation of
// every constraint, so a bug in the planner's fast paths cannot hide itself.
#include "scheduler/core/plan_checker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <tuple>

namespace apsis::core {

namespace {

std::string Num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

// Steps of `f` overlapped by [start, end), clamped to the forecast.
std::pair<int64_t, int64_t> OverlappedSteps(const NodeForecast& f, TimePoint start, TimePoint end) {
  const double st = static_cast<double>(f.step.count());
  const int64_t lo = static_cast<int64_t>(std::floor((start - f.start).count() / st));
  const int64_t hi = static_cast<int64_t>(std::ceil((end - f.start).count() / st));
  return {std::clamp<int64_t>(lo, 0, f.steps()), std::clamp<int64_t>(hi, 0, f.steps())};
}

class Collector {
 public:
  void Add(const std::string& job, const std::string& node, Constraint c, TimePoint at,
           std::string msg) {
    out.push_back({job, node, c, at, std::move(msg)});
  }
  std::vector<PlanViolation> out;
};

// The window of `f` an allocation names (a violation when it differs), or null (with a violation)
// when the forecast has no such window.
const ContactWindow* AllocatedWindow(const NodeForecast& f, const std::string& job,
                                     const std::string& nid, const TransferAllocation& t,
                                     Collector& c) {
  if (t.window_index < 0 || t.window_index >= static_cast<int>(f.windows.size())) {
    c.Add(job, nid,
          t.direction == TransferDirection::kUplink ? Constraint::kUplink : Constraint::kDownlink,
          t.aos, "transfer names an unknown window");
    return nullptr;
  }
  const ContactWindow& w = f.windows[t.window_index];
  if (w.station != t.station || w.aos != t.aos) {
    c.Add(job, nid,
          t.direction == TransferDirection::kUplink ? Constraint::kUplink : Constraint::kDownlink,
          t.aos, "transfer window does not match forecast");
  }
  return &w;
}

// Relay-less orbital serving: every window overlapping [start, end) carries bps / 8 × overlap of
// requests up and responses down for the job, and no serving traffic lies outside the period.
void CheckServingTraffic(const NodeSnapshot& node, const JobSpec& job, const Reservation& r,
                         Collector& c) {
  const NodeForecast& f = *node.forecast;
  const std::string& nid = node.spec.id;
  std::map<std::pair<int, int>, double> carried;  // (window, direction) → bytes
  for (const TransferAllocation& t : r.transfers) {
    if (t.purpose != TransferPurpose::kServing || t.los <= f.start) continue;
    const ContactWindow* w = AllocatedWindow(f, job.id, nid, t, c);
    if (!w) continue;
    if (w->los <= r.start || w->aos >= r.end) {
      c.Add(job.id, nid, Constraint::kContact, w->aos,
            "serving traffic in window " + w->station + " outside the serving period");
    }
    carried[{t.window_index, int(t.direction)}] += t.bytes;
  }
  for (size_t i = 0; i < f.windows.size(); ++i) {
    const ContactWindow& w = f.windows[i];
    const TimePoint from = std::max({w.aos, r.start, f.start});
    const TimePoint to = std::min(w.los, r.end);
    if (to <= from) continue;
    const double seconds = ToSeconds(to - from);
    for (const auto& [dir, bps, what] :
         {std::tuple{TransferDirection::kUplink, job.inference.request_in_bps, "requests"},
          std::tuple{TransferDirection::kDownlink, job.inference.response_out_bps, "responses"}}) {
      const double need = bps / 8.0 * seconds;
      const double got = carried[{int(i), int(dir)}];
      if (got + 1.0 + 1e-9 * need < need) {
        c.Add(job.id, nid,
              dir == TransferDirection::kUplink ? Constraint::kUplink : Constraint::kDownlink,
              w.aos,
              std::string(what) + " need " + Num(need / 1e9) + " GB in window " + w.station +
                  ", only " + Num(got / 1e9) + " GB reserved");
      }
    }
  }
}

// A reservation that only brings a stopped job's checkpoint down: no GPUs or load, only
// checkpoint downlinks in windows between the checkpoint's writing (start) and `end`.
void CheckCheckpointDownlink(const NodeSnapshot& node, const JobSpec& job, const Reservation& r,
                             Collector& c) {
  const NodeForecast& f = *node.forecast;
  const std::string& nid = node.spec.id;
  if (r.gpus != 0 || r.it_load_w != 0 || r.running || r.stopping) {
    c.Add(job.id, nid, Constraint::kGpusBusy, r.start,
          "checkpoint-downlink reservation holds GPUs, load or a run");
  }
  if (node.spec.kind != NodeKind::kOrbital) {
    c.Add(job.id, nid, Constraint::kDownlink, r.start, "checkpoint downlink from a ground node");
  }
  for (const TransferAllocation& t : r.transfers) {
    if (t.purpose != TransferPurpose::kCheckpoint || t.direction != TransferDirection::kDownlink) {
      c.Add(job.id, nid, Constraint::kDownlink, t.aos,
            "checkpoint-downlink reservation carries other traffic");
      continue;
    }
    if (t.los <= f.start) continue;  // history
    const ContactWindow* w = AllocatedWindow(f, job.id, nid, t, c);
    if (!w) continue;
    if (w->aos < r.start || w->los > r.end) {
      c.Add(job.id, nid, Constraint::kDownlink, w->aos,
            "checkpoint downlink window " + w->station + " not between the checkpoint (" +
                FormatRfc3339(r.start) + ") and its arrival (" + FormatRfc3339(r.end) + ")");
    }
  }
}

// A job resumed away from the orbital node holding its checkpoint starts only after the
// checkpoint is on the ground; staged up again to an orbital node only after that.
void CheckResumeFromOrbit(const std::map<std::string, const NodeSnapshot*>& nodes,
                          const CheckpointLocation& ck, const JobSpec& job,
                          const std::vector<const Reservation*>& of_job, Collector& c) {
  double bytes = 0;
  std::optional<TimePoint> on_ground;
  for (const Reservation* r : of_job) {
    if (r->node_id != ck.node_id) continue;
    for (const TransferAllocation& t : r->transfers) {
      if (t.purpose != TransferPurpose::kCheckpoint) continue;
      if (t.aos < ck.written_at) {
        c.Add(job.id, ck.node_id, Constraint::kDownlink, t.aos,
              "checkpoint downlinked in window " + t.station + " before it is written at " +
                  FormatRfc3339(ck.written_at));
        continue;
      }
      bytes += t.bytes;
      on_ground = on_ground ? std::max(*on_ground, t.los) : t.los;
    }
  }
  for (const Reservation* r : of_job) {
    if (r->node_id == ck.node_id || r->stopping || r->checkpoint_downlink || r->running) continue;
    if (bytes + 1.0 < ck.gb * 1e9) {
      c.Add(job.id, r->node_id, Constraint::kDownlink, r->start,
            "resumes away from " + ck.node_id + " with only " + Num(bytes / 1e9) + " of " +
                Num(ck.gb) + " GB checkpoint downlinked");
      continue;
    }
    if (on_ground && r->start < *on_ground) {
      c.Add(job.id, r->node_id, Constraint::kDownlink, r->start,
            "starts before its checkpoint from " + ck.node_id + " is on the ground at " +
                FormatRfc3339(*on_ground));
    }
    auto n = nodes.find(r->node_id);
    if (n == nodes.end() || n->second->spec.kind != NodeKind::kOrbital || r->input_on_node) {
      continue;
    }
    double up = 0;
    for (const TransferAllocation& t : r->transfers) {
      if (t.purpose != TransferPurpose::kStaging || t.direction != TransferDirection::kUplink) {
        continue;
      }
      up += t.bytes;
      if (on_ground && t.aos < *on_ground) {
        c.Add(job.id, r->node_id, Constraint::kUplink, t.aos,
              "checkpoint staged up in window " + t.station + " before it is on the ground");
      }
    }
    if (up + 1.0 < (job.input_gb + ck.gb) * 1e9) {
      c.Add(job.id, r->node_id, Constraint::kUplink, r->start,
            "only " + Num(up / 1e9) + " of " + Num(job.input_gb + ck.gb) +
                " GB input and checkpoint uplinked");
    }
  }
}

void CheckReservation(const FleetSnapshot& snap, const NodeSnapshot& node, const JobSpec& job,
                      const Reservation& r, Collector& c) {
  const NodeForecast& f = *node.forecast;
  const std::string& nid = node.spec.id;
  if (!r.running && (node.state == NodeState::kCordoned || node.state == NodeState::kDraining ||
                     node.state == NodeState::kDown)) {
    c.Add(job.id, nid, Constraint::kNodeState, r.start,
          "new work on a " + std::string(NodeStateName(node.state)) + " node");
  }
  if (r.gpus != job.gpus) {
    c.Add(job.id, nid, Constraint::kGpuCount, r.start,
          "reservation holds " + std::to_string(r.gpus) + " GPUs, job needs " +
              std::to_string(job.gpus) + " (gang)");
  }
  if (job.gpus > node.spec.gpu_count) {
    c.Add(job.id, nid, Constraint::kGpuCount, r.start, "job larger than the node");
  }
  if (!job.gpu_type.empty() && job.gpu_type != node.spec.gpu_type) {
    c.Add(job.id, nid, Constraint::kGpuType, r.start, "wrong GPU type " + node.spec.gpu_type);
  }
  if (r.it_load_w + 1e-6 < job.gpus * job.watts_per_gpu) {
    c.Add(job.id, nid, Constraint::kPower, r.start, "reserved load below the job's draw");
  }
  if (r.end <= r.start) c.Add(job.id, nid, Constraint::kHorizon, r.start, "empty reservation");
  if (!r.running && (r.start < f.start || r.end > f.end())) {
    c.Add(job.id, nid, Constraint::kHorizon, r.start, "reservation outside the forecast");
  }
  const bool orbital = node.spec.kind == NodeKind::kOrbital;
  if (job.kind == JobKind::kTraining) {
    const double hours = ToSeconds(r.end - r.start) / 3600.0;
    if (hours * job.gpus + 1e-6 < r.work_gpu_hours) {
      c.Add(job.id, nid, Constraint::kDeadline, r.end,
            "reservation of " + Num(hours) + " h too short for " + Num(r.work_gpu_hours) +
                " GPU-hours on " + std::to_string(job.gpus) + " GPUs");
    }
    if (job.training.deadline && r.end > *job.training.deadline) {
      c.Add(job.id, nid, Constraint::kDeadline, r.end,
            "ends after deadline " + FormatRfc3339(*job.training.deadline));
    }
  } else {
    if (!r.stopping && r.end < job.inference.serve_end) {
      c.Add(job.id, nid, Constraint::kDeadline, r.end, "serving stops before serve_end");
    }
    auto it = f.latency_ms.find(job.region);
    if (it == f.latency_ms.end() || it->second > job.inference.latency_slo_ms) {
      c.Add(job.id, nid, Constraint::kLatency, r.start,
            "latency to " + job.region + " exceeds SLO " + Num(job.inference.latency_slo_ms));
    }
    if (orbital && !node.spec.relay) {
      // The union of contact windows must cover the whole serving period.
      std::vector<std::pair<TimePoint, TimePoint>> spans;
      for (const ContactWindow& w : f.windows) spans.emplace_back(w.aos, w.los);
      std::sort(spans.begin(), spans.end());
      TimePoint covered = r.start;
      for (const auto& [a, b] : spans) {
        if (a <= covered && b > covered) covered = b;
      }
      if (covered < r.end) {
        c.Add(job.id, nid, Constraint::kContact, covered, "serving out of contact (no relay)");
      }
    }
  }
  if (orbital && !node.spec.relay && job.kind == JobKind::kInference) {
    CheckServingTraffic(node, job, r, c);
  }
  // Staging plan.
  double up = 0, down = 0;
  for (const TransferAllocation& t : r.transfers) {
    if (t.purpose != TransferPurpose::kStaging) {
      if (t.purpose == TransferPurpose::kCheckpoint) {
        c.Add(job.id, nid, Constraint::kDownlink, t.aos,
              "checkpoint transfer outside a checkpoint-downlink reservation");
      } else if (job.kind != JobKind::kInference) {
        c.Add(job.id, nid, Constraint::kUplink, t.aos, "serving traffic of a training job");
      }
      continue;
    }
    // Staging that is history is not re-checked: the input of a job already on its node, and
    // transfers in windows that closed before this forecast begins (later forecasts drop them).
    if ((t.direction == TransferDirection::kUplink && r.input_on_node) || t.los <= f.start) {
      (t.direction == TransferDirection::kUplink ? up : down) += t.bytes;
      continue;
    }
    const ContactWindow* allocated = AllocatedWindow(f, job.id, nid, t, c);
    if (!allocated) continue;
    const ContactWindow& w = *allocated;
    if (t.direction == TransferDirection::kUplink) {
      up += t.bytes;
      if (w.los > r.start) {
        c.Add(job.id, nid, Constraint::kUplink, w.los,
              "uplink window " + w.station + " closes after the job starts");
      }
    } else {
      down += t.bytes;
      TimePoint limit = f.end();
      if (job.kind == JobKind::kTraining && job.training.deadline) {
        limit = std::min(limit, *job.training.deadline);
      }
      if (w.aos < r.end || w.los > limit) {
        c.Add(job.id, nid, Constraint::kDownlink, w.aos,
              "downlink window " + w.station + " not between the end and the deadline/horizon");
      }
    }
  }
  if (orbital && !r.input_on_node && up + 1.0 < job.input_gb * 1e9) {
    c.Add(job.id, nid, Constraint::kUplink, r.start,
          "only " + Num(up / 1e9) + " of " + Num(job.input_gb) + " GB input uplinked");
  }
  if (r.output_waiting_bytes > 0 && (!orbital || !r.running || r.stopping)) {
    c.Add(job.id, nid, Constraint::kDownlink, r.end,
          "output waiting on the node for a job that is not running on an orbital node");
  }
  if (orbital && !r.stopping && down + r.output_waiting_bytes + 1.0 < job.output_gb * 1e9) {
    c.Add(job.id, nid, Constraint::kDownlink, r.end,
          "only " + Num(down / 1e9) + " of " + Num(job.output_gb) + " GB output downlinked");
  }
  (void)snap;
}

void CheckNode(const NodeSnapshot& node, const std::vector<const Reservation*>& rs, Collector& c) {
  const NodeForecast& f = *node.forecast;
  const NodeSpec& spec = node.spec;
  const std::string& nid = spec.id;
  const int64_t n = f.steps();
  std::vector<double> it_w(n, 0.0);
  std::vector<int64_t> gpus(n, 0);
  std::map<int, double> up_bytes, down_bytes;
  for (const Reservation* r : rs) {
    auto [lo, hi] = OverlappedSteps(f, r->start, r->end);
    for (int64_t i = lo; i < hi; ++i) {
      it_w[i] += r->it_load_w;
      gpus[i] += r->gpus;
    }
    for (const TransferAllocation& t : r->transfers) {
      (t.direction == TransferDirection::kUplink ? up_bytes : down_bytes)[t.window_index] +=
          t.bytes;
    }
  }
  const bool orbital = spec.kind == NodeKind::kOrbital;
  auto at = [&](int64_t i) { return f.start + f.step * i; };
  for (int64_t i = 0; i < n; ++i) {
    if (gpus[i] > spec.gpu_count) {
      c.Add("", nid, Constraint::kGpusBusy, at(i),
            std::to_string(gpus[i]) + " GPUs reserved > " + std::to_string(spec.gpu_count));
    }
    const double draw = orbital ? it_w[i] : it_w[i] * spec.pue;
    const double avail = f.power_available_w[i];
    if (draw > avail * (1 + 1e-6) + 1e-3) {
      c.Add("", nid, Constraint::kPower, at(i),
            "draw " + Num(draw) + " W > available " + Num(avail) + " W");
    }
    if (orbital) {
      const double heat = spec.bus_load_w + it_w[i];
      if (it_w[i] > 0 && heat > f.radiator_limit_w[i] * (1 + 1e-6) + 1e-3) {
        c.Add("", nid, Constraint::kRadiator, at(i),
              "heat " + Num(heat) + " W > radiator " + Num(f.radiator_limit_w[i]) + " W");
      }
    }
  }
  if (orbital) {
    const BatteryForecast& b = f.battery;
    const double dt_h = ToSeconds(f.step) / 3600.0;
    const double floor_wh = b.capacity_wh * b.floor_fraction;
    const double tol = 1e-6 * b.capacity_wh + 1e-3;
    double soc = b.initial_soc_wh;
    bool floor_reported = false, rate_reported = false;
    for (int64_t i = 0; i < n; ++i) {
      const double net = f.solar_input_w[i] - spec.bus_load_w - it_w[i];
      if (net > 0) {
        const double in = b.max_charge_w > 0 ? std::min(net, b.max_charge_w) : net;
        soc = std::min(b.capacity_wh, soc + in * b.charge_efficiency * dt_h);
      } else {
        if (b.max_discharge_w > 0 && it_w[i] > 0 && -net > b.max_discharge_w + 1e-3 &&
            !rate_reported) {
          c.Add("", nid, Constraint::kBatteryDischarge, at(i),
                "battery draw " + Num(-net) + " W > limit " + Num(b.max_discharge_w) + " W");
          rate_reported = true;
        }
        soc -= -net / b.discharge_efficiency * dt_h;
      }
      if (it_w[i] > 0 && soc < floor_wh - tol && !floor_reported) {
        c.Add("", nid, Constraint::kBatteryFloor, at(i),
              "SoC " + Num(soc) + " Wh below floor " + Num(floor_wh) + " Wh with " + Num(it_w[i]) +
                  " W of jobs");
        floor_reported = true;
      }
    }
  }
  for (const auto* m : {&up_bytes, &down_bytes}) {
    const bool is_up = m == &up_bytes;
    for (const auto& [w, bytes] : *m) {
      if (w < 0 || w >= static_cast<int>(f.windows.size())) continue;
      const ContactWindow& cw = f.windows[w];
      const double cap = ToSeconds(cw.duration()) * (is_up ? cw.uplink_bps : cw.downlink_bps) / 8;
      if (bytes > cap * (1 + 1e-9) + 1.0) {
        c.Add("", nid, is_up ? Constraint::kUplink : Constraint::kDownlink, cw.aos,
              std::string(is_up ? "uplink" : "downlink") + " window " + cw.station + " carries " +
                  Num(bytes / 1e9) + " GB > capacity " + Num(cap / 1e9) + " GB");
      }
    }
  }
}

// Output left waiting on a node is allowed only when no downlink window that opens after the job
// ends (and after now) and closes by its deadline or the horizon has room left for it.
void CheckWaitingOutput(const NodeSnapshot& node, TimePoint now,
                        const std::map<std::string, const JobSpec*>& jobs,
                        const std::vector<const Reservation*>& rs, Collector& c) {
  const NodeForecast& f = *node.forecast;
  std::vector<double> used(f.windows.size(), 0.0);
  for (const Reservation* r : rs) {
    for (const TransferAllocation& t : r->transfers) {
      if (t.direction == TransferDirection::kDownlink && t.window_index >= 0 &&
          t.window_index < static_cast<int>(used.size())) {
        used[t.window_index] += t.bytes;
      }
    }
  }
  for (const Reservation* r : rs) {
    if (r->output_waiting_bytes <= 0) continue;
    const JobSpec& job = *jobs.at(r->job_id);
    TimePoint limit = f.end();
    if (job.kind == JobKind::kTraining && job.training.deadline) {
      limit = std::min(limit, *job.training.deadline);
    }
    for (size_t w = 0; w < f.windows.size(); ++w) {
      const ContactWindow& cw = f.windows[w];
      if (cw.aos < r->end || cw.aos < now || cw.los > limit) continue;
      const double cap = ToSeconds(cw.duration()) * cw.downlink_bps / 8;
      if (cap - used[w] > 1.0 + 1e-9 * cap) {
        c.Add(job.id, node.spec.id, Constraint::kDownlink, cw.aos,
              Num(r->output_waiting_bytes / 1e9) +
                  " GB output waits on the node while downlink "
                  "window " +
                  cw.station + " has " + Num((cap - used[w]) / 1e9) + " GB free");
        break;
      }
    }
  }
}

}  // namespace

std::vector<PlanViolation> CheckPlan(const FleetSnapshot& snap) {
  Collector c;
  std::map<std::string, const NodeSnapshot*> nodes;
  for (const NodeSnapshot& n : snap.nodes) nodes[n.spec.id] = &n;
  std::map<std::string, const JobSpec*> jobs;
  for (const JobSpec& j : snap.jobs) jobs[j.id] = &j;
  std::map<std::string, std::vector<const Reservation*>> by_node, by_job;
  for (const Reservation& r : snap.reservations) {
    auto n = nodes.find(r.node_id);
    if (n == nodes.end() || !n->second->forecast) {
      c.Add(r.job_id, r.node_id, Constraint::kNoForecast, r.start, "unknown node or no forecast");
      continue;
    }
    auto j = jobs.find(r.job_id);
    if (j == jobs.end()) {
      c.Add(r.job_id, r.node_id, Constraint::kNone, r.start, "unknown job");
      continue;
    }
    if (r.checkpoint_downlink) {
      CheckCheckpointDownlink(*n->second, *j->second, r, c);
    } else {
      CheckReservation(snap, *n->second, *j->second, r, c);
    }
    by_node[r.node_id].push_back(&r);
    by_job[r.job_id].push_back(&r);
  }
  for (const CheckpointLocation& ck : snap.checkpoints) {
    auto j = jobs.find(ck.job_id);
    auto rs = by_job.find(ck.job_id);
    if (j == jobs.end() || rs == by_job.end()) continue;
    CheckResumeFromOrbit(nodes, ck, *j->second, rs->second, c);
  }
  for (const auto& [id, rs] : by_node) {
    CheckNode(*nodes[id], rs, c);
    CheckWaitingOutput(*nodes[id], snap.now, jobs, rs, c);
  }
  std::stable_sort(c.out.begin(), c.out.end(), [](const PlanViolation& a, const PlanViolation& b) {
    if (a.node_id != b.node_id) return a.node_id < b.node_id;
    return a.at < b.at;
  });
  return c.out;
}

std::string ToString(const PlanViolation& v) {
  return "[" + std::string(ConstraintName(v.constraint)) + "] node " + v.node_id +
         (v.job_id.empty() ? "" : " job " + v.job_id) + " at " + FormatRfc3339(v.at) + ": " +
         v.message;
}

}  // namespace apsis::core
