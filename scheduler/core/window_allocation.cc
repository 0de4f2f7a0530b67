#include "scheduler/core/window_allocation.h"

#include <algorithm>

#include "scheduler/core/candidate_evaluation.h"

namespace apsis::core {

std::vector<TransferAllocation> ServingTraffic(const NodeForecast& f, const InferenceSpec& inf,
                                               TimePoint from, TimePoint to) {
  std::vector<TransferAllocation> out;
  if (inf.request_in_bps <= 0 && inf.response_out_bps <= 0) return out;
  for (size_t w = 0; w < f.windows.size(); ++w) {
    const ContactWindow& cw = f.windows[w];
    if (cw.aos >= to) break;  // sorted by AOS
    const double overlap_s = ToSeconds(std::min(cw.los, to) - std::max(cw.aos, from));
    if (overlap_s <= 0) continue;
    if (inf.request_in_bps > 0) {
      out.push_back({TransferDirection::kUplink, int(w), cw.station, cw.aos, cw.los,
                     inf.request_in_bps / 8.0 * overlap_s, TransferPurpose::kServing});
    }
    if (inf.response_out_bps > 0) {
      out.push_back({TransferDirection::kDownlink, int(w), cw.station, cw.aos, cw.los,
                     inf.response_out_bps / 8.0 * overlap_s, TransferPurpose::kServing});
    }
  }
  return out;
}

std::optional<WindowShortfall> FirstWindowShortfall(
    const NodeLedger& l, const std::vector<TransferAllocation>& traffic) {
  for (const TransferAllocation& t : traffic) {
    const bool up = t.direction == TransferDirection::kUplink;
    const double free =
        up ? l.UplinkFreeBytes(t.window_index) : l.DownlinkFreeBytes(t.window_index);
    // Same tolerance as the ledger's own over-commitment test.
    if (t.bytes > free + 1.0) {
      const ContactWindow& cw = l.forecast().windows[t.window_index];
      const double cap = ToSeconds(cw.duration()) * (up ? cw.uplink_bps : cw.downlink_bps) / 8.0;
      return WindowShortfall{&t, std::max(0.0, free), cap};
    }
  }
  return std::nullopt;
}

std::string DescribeServingShortfall(const WindowShortfall& s) {
  const TransferAllocation& t = *s.transfer;
  const bool up = t.direction == TransferDirection::kUplink;
  const std::string aos = FormatRfc3339(t.aos), los = FormatRfc3339(t.los);
  // The LOS without its date when the pass ends on the day it began.
  const std::string los_short = aos.compare(0, 11, los, 0, 11) == 0 ? los.substr(11) : los;
  return std::string(up ? "uplink" : "downlink") + " window " + t.station + " " + aos + "–" +
         los_short + " has " + FormatGb(s.free_bytes) + " free" +
         (s.free_bytes < s.capacity_bytes ? " of " + FormatGb(s.capacity_bytes) : "") + ", " +
         (up ? "requests" : "responses") + " need " + FormatGb(t.bytes);
}

CheckpointDownlinkPlan PlanCheckpointDownlink(const NodeLedger& l, TimePoint from, double bytes,
                                              const std::vector<TransferAllocation>* released) {
  CheckpointDownlinkPlan plan;
  if (bytes <= 1e-6) {
    plan.on_ground = from;
    return plan;
  }
  const std::vector<ContactWindow>& windows = l.forecast().windows;
  double left = bytes;
  const auto first = std::partition_point(windows.begin(), windows.end(),
                                          [&](const ContactWindow& cw) { return cw.aos < from; });
  for (size_t w = size_t(first - windows.begin()); w < windows.size() && left > 1e-6; ++w) {
    double free = l.DownlinkFreeBytes(int(w));
    if (released) {
      for (const TransferAllocation& t : *released) {
        if (t.window_index == int(w) && t.direction == TransferDirection::kDownlink)
          free += t.bytes;
      }
    }
    const double take = std::min(left, free);
    if (take <= 0) continue;
    const ContactWindow& cw = windows[w];
    plan.transfers.push_back({TransferDirection::kDownlink, int(w), cw.station, cw.aos, cw.los,
                              take, TransferPurpose::kCheckpoint});
    left -= take;
  }
  if (left > 1e-6) {
    plan.transfers.clear();
    return plan;
  }
  // Windows of different stations may overlap: the last byte lands at the latest LOS used.
  plan.on_ground = plan.transfers.front().los;
  for (const TransferAllocation& t : plan.transfers)
    plan.on_ground = std::max(*plan.on_ground, t.los);
  return plan;
}

}  // namespace apsis::core
