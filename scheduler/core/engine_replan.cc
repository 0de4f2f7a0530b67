// Re-planning of the contact-window use of work already placed on an orbital node, after its
// forecast changed: output downlinks, relay-less serving traffic, and the stop of running work.
#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "scheduler/core/candidate_evaluation.h"
#include "scheduler/core/engine.h"
#include "scheduler/core/engine_records.h"
#include "scheduler/core/window_allocation.h"

namespace apsis::core {

namespace {

bool IsOutputDownlink(const TransferAllocation& t) {
  return t.purpose == TransferPurpose::kStaging && t.direction == TransferDirection::kDownlink;
}

// First time in [from, to) that no contact window covers, or `to` when all of it is covered.
TimePoint FirstOutOfContact(const NodeForecast& f, TimePoint from, TimePoint to) {
  TimePoint t = from;
  for (const ContactWindow& w : f.windows) {
    if (w.aos <= t && w.los > t) t = w.los;
    if (t >= to) return to;
  }
  return t;
}

bool SameTraffic(const std::vector<TransferAllocation>& a,
                 const std::vector<TransferAllocation>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].window_index != b[i].window_index || a[i].direction != b[i].direction ||
        std::abs(a[i].bytes - b[i].bytes) > 1.0) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string DescribeWindowOverload(const NodeLedger& l, int window, bool uplink) {
  const ContactWindow& cw = l.forecast().windows[window];
  const double cap = ToSeconds(cw.duration()) * (uplink ? cw.uplink_bps : cw.downlink_bps) / 8.0;
  const double used = cap - (uplink ? l.UplinkFreeBytes(window) : l.DownlinkFreeBytes(window));
  const std::string aos = FormatRfc3339(cw.aos), los = FormatRfc3339(cw.los);
  const std::string los_short = aos.compare(0, 11, los, 0, 11) == 0 ? los.substr(11) : los;
  return std::string(uplink ? "uplink" : "downlink") + " window " + cw.station + " " + aos + "–" +
         los_short + " carries " + FormatGb(used) + " > capacity " + FormatGb(cap);
}

std::string Engine::DescribeWaitingOutput(const Reservation& r) const {
  const JobSpec& spec = jobs_.find(r.job_id)->second->spec;
  const NodeForecast& f = nodes_.find(r.node_id)->second->ledger->forecast();
  std::optional<TimePoint> deadline;
  if (spec.kind == JobKind::kTraining) deadline = spec.training.deadline;
  const TimePoint limit = deadline ? std::min(*deadline, f.end()) : f.end();
  return "re-planned: no downlink window carries " + FormatGb(r.output_waiting_bytes) + " of " +
         FormatGb(spec.output_gb * 1e9) + " output between " + FormatRfc3339(r.end) + " and " +
         (deadline ? "deadline " : "the forecast horizon ") + FormatRfc3339(limit);
}

void Engine::ReportWaitingOutputs(const NodeRecord& node, PlanResult& plan) const {
  for (const std::string& key : node.reservation_keys) {
    const Reservation& r = reservations_.find(key)->second;
    if (r.output_waiting_bytes <= 0 || !r.running) continue;
    // Its work is not lost: it keeps running and the output waits for later windows.
    plan.outcomes.push_back({r.job_id, OutcomeKind::kRetryLater, Constraint::kDownlink,
                             DescribeWaitingOutput(r) + "; the job keeps running and the output " +
                                 "waits on " + node.spec.id + " for later windows"});
  }
}

void Engine::ReleasePlaced(NodeRecord& node, const std::string& key, TimePoint now,
                           const std::string& why, PlanResult& plan) {
  const Reservation res = reservations_[key];
  node.reservation_keys.erase(key);
  reservations_.erase(key);
  if (res.stopping) return;
  plan.actions.push_back(StopJob{res.job_id, node.spec.id, now, false, why});
  jobs_.find(res.job_id)->second->state = JobState::kPending;
  maybe_pending_.insert(res.job_id);
}

void Engine::StopRunning(NodeRecord& node, const std::string& key, TimePoint stop_at,
                         TimePoint tail_end, TimePoint now, const std::string& reason,
                         PlanResult& plan) {
  const Reservation res = reservations_[key];
  JobRecord& job = *jobs_.find(res.job_id)->second;
  const bool training = job.spec.kind == JobKind::kTraining;
  node.reservation_keys.erase(key);
  reservations_.erase(key);
  RebuildLedger(node);
  // Relay-less serving until the stop sends its traffic through the windows it overlaps.
  std::vector<TransferAllocation> serving;
  std::string why = reason;
  if (!training && node.ledger && !node.spec.relay && node.spec.kind == NodeKind::kOrbital) {
    const NodeForecast& f = node.ledger->forecast();
    const TimePoint from = std::max(res.start, f.start);
    serving = ServingTraffic(f, job.spec.inference, from, std::min(res.end, tail_end));
    if (tail_end > now && FirstWindowShortfall(*node.ledger, serving)) {
      // The windows left cannot carry even the traffic until then: stop now.
      stop_at = tail_end = now;
      serving = ServingTraffic(f, job.spec.inference, from, now);
      why += "; the windows cannot carry its traffic until then, so it stops now";
    }
  }
  plan.actions.push_back(StopJob{res.job_id, node.spec.id, stop_at, training, why});
  RequeueFromStop(job, res, stop_at, tail_end);
  if (!training) {
    job.spec.inference.serve_start = std::max(job.spec.inference.serve_start, stop_at);
    job.input_node_id.clear();
  }
  // A tail that ends by now holds nothing any more.
  if (tail_end > res.start && tail_end > now) {
    const std::string tail_key = res.job_id + std::string(kStoppingSuffix);
    Reservation tail = StoppingTail(res, stop_at, tail_end);
    if (!training && !serving.empty()) {
      // Serving traffic only for the part of the serving period the tail still covers.
      std::erase_if(tail.transfers, [](const TransferAllocation& t) {
        return t.purpose == TransferPurpose::kServing;
      });
      for (TransferAllocation& t : serving) tail.transfers.push_back(std::move(t));
    }
    reservations_[tail_key] = std::move(tail);
    node.reservation_keys.insert(tail_key);
    stopping_keys_.insert(tail_key);
  }
  RebuildLedger(node);
}

void Engine::ReplanWindowUse(NodeRecord& node, TimePoint now, PlanResult& plan) {
  if (node.spec.kind != NodeKind::kOrbital || !node.ledger) return;
  NodeLedger& l = *node.ledger;
  const NodeForecast& f = l.forecast();
  const std::vector<std::string> keys(node.reservation_keys.begin(), node.reservation_keys.end());

  // 1. Serving traffic of relay-less inference follows the new windows. Serving the windows no
  //    longer keep in contact ends where contact ends: running serving stops there, serving not
  //    started yet is placed again. Capacity is left to the committed-violation pass, which lets
  //    work not started give way first.
  if (!node.spec.relay) {
    for (const std::string& key : keys) {
      auto it = reservations_.find(key);
      if (it == reservations_.end() || it->second.stopping || it->second.checkpoint_downlink) {
        continue;
      }
      const JobSpec& spec = jobs_.find(it->second.job_id)->second->spec;
      if (spec.kind != JobKind::kInference) continue;
      Reservation& r = it->second;
      const TimePoint from = std::max(r.start, f.start);
      const TimePoint gap = FirstOutOfContact(f, from, r.end);
      if (gap < r.end) {
        const std::string why = "re-planned: contact windows changed; orbital node without relay " +
                                node.spec.id + " is out of contact at " + FormatRfc3339(gap) +
                                " during the serving period";
        if (r.running) {
          const TimePoint stop_at = std::max(gap, now);
          StopRunning(node, key, stop_at, stop_at, now, why, plan);
        } else {
          ReleasePlaced(node, key, now, why, plan);
          RebuildLedger(node);
        }
        continue;
      }
      std::vector<TransferAllocation> current;
      for (const TransferAllocation& t : r.transfers) {
        if (t.purpose == TransferPurpose::kServing && t.los > f.start) current.push_back(t);
      }
      std::vector<TransferAllocation> derived = ServingTraffic(f, spec.inference, from, r.end);
      if (SameTraffic(current, derived)) continue;
      std::erase_if(r.transfers, [&](const TransferAllocation& t) {
        return t.purpose == TransferPurpose::kServing && t.los > f.start;
      });
      for (TransferAllocation& t : derived) r.transfers.push_back(std::move(t));
      RebuildLedger(node);
    }
  }

  ReallocateOutputs(node, now, plan);
}

// Output downlinks in windows that vanished or now carry more than their capacity, and output
// still waiting, are taken off and allocated again to the windows after each job's end (before
// its deadline or the horizon), higher priority first, then earlier end.
void Engine::ReallocateOutputs(NodeRecord& node, TimePoint now, PlanResult& plan) {
  if (node.spec.kind != NodeKind::kOrbital || !node.ledger) return;
  NodeLedger& l = *node.ledger;
  const NodeForecast& f = l.forecast();
  std::vector<bool> over(f.windows.size(), false);
  for (size_t w = 0; w < f.windows.size(); ++w) over[w] = l.DownlinkFreeBytes(int(w)) < -1.0;
  std::vector<std::tuple<int, TimePoint, std::string>> order;  // (-priority, end, key)
  for (const std::string& key : node.reservation_keys) {
    Reservation& r = reservations_[key];
    if (r.stopping || r.checkpoint_downlink) continue;
    const JobSpec& spec = jobs_.find(r.job_id)->second->spec;
    if (spec.output_gb <= 0) continue;
    const auto moves = [&](const TransferAllocation& t) {
      return IsOutputDownlink(t) && t.los > f.start && (t.window_index < 0 || over[t.window_index]);
    };
    if (r.output_waiting_bytes <= 0 &&
        std::none_of(r.transfers.begin(), r.transfers.end(), moves)) {
      continue;
    }
    std::erase_if(r.transfers, moves);
    order.emplace_back(-spec.priority, r.end, key);
  }
  if (order.empty()) return;
  RebuildLedger(node);
  std::sort(order.begin(), order.end());
  for (const auto& [neg_priority, end, key] : order) {
    Reservation& r = reservations_[key];
    const JobSpec& spec = jobs_.find(r.job_id)->second->spec;
    double carried = 0;
    for (const TransferAllocation& t : r.transfers) {
      if (IsOutputDownlink(t)) carried += t.bytes;
    }
    std::optional<TimePoint> deadline;
    if (spec.kind == JobKind::kTraining) deadline = spec.training.deadline;
    const TimePoint limit = deadline ? std::min(*deadline, f.end()) : f.end();
    double left = spec.output_gb * 1e9 - carried;
    for (size_t w = 0; w < f.windows.size() && left > 1e-6; ++w) {
      const ContactWindow& cw = f.windows[w];
      if (cw.aos < r.end || cw.aos < now) continue;
      if (cw.los > limit) break;
      const double take = std::min(left, l.DownlinkFreeBytes(int(w)));
      if (take <= 0) continue;
      r.transfers.push_back(
          {TransferDirection::kDownlink, int(w), cw.station, cw.aos, cw.los, take});
      left -= take;
    }
    r.output_waiting_bytes = left > 1e-6 ? left : 0.0;
    // Not started: nothing is lost by placing it again where its output can come down. Running
    // work keeps running; its output waits on the node (ReportWaitingOutputs).
    if (left > 1e-6 && !r.running) ReleasePlaced(node, key, now, DescribeWaitingOutput(r), plan);
    RebuildLedger(node);
  }
}

}  // namespace apsis::core
