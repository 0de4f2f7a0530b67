#include "link/link_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace apsis::link {

Duration OneWayLightTime(double range_km) { return Seconds(range_km / kSpeedOfLightKmS); }

namespace {
double RateBps(const ContactWindow& w, LinkDirection d) {
  return d == LinkDirection::kUplink ? w.uplink_bps : w.downlink_bps;
}
}  // namespace

double WindowCapacityBytes(const ContactWindow& window, LinkDirection direction, TimePoint from) {
  const TimePoint begin = std::max(from, window.aos);
  if (window.los <= begin) return 0;
  return ToSeconds(window.los - begin) * RateBps(window, direction) / 8.0;
}

Result<RelayMode> ParseRelayMode(std::string_view text) {
  if (text == "none") return RelayMode::kNone;
  if (text == "always") return RelayMode::kAlways;
  return InvalidArgumentError("relay mode '" + std::string(text) + "' is not one of: none, always");
}

std::string_view RelayModeName(RelayMode mode) {
  return mode == RelayMode::kAlways ? "always" : "none";
}

Result<DeliveryPlan> EarliestDelivery(const std::vector<ContactWindow>& windows,
                                      LinkDirection direction, double bytes, TimePoint ready,
                                      const RelayConfig& relay) {
  if (!(bytes >= 0)) return InvalidArgumentError("data volume must be >= 0 bytes");
  DeliveryPlan plan;
  if (relay.mode == RelayMode::kAlways) {
    if (!(relay.rate_bps > 0)) {
      return InvalidArgumentError("relay mode 'always' needs a relay rate above 0 bps");
    }
    const TimePoint sent = ready + Seconds(bytes * 8.0 / relay.rate_bps);
    plan.via_relay = true;
    plan.segments.push_back({0, ready, sent, bytes});
    plan.delivered = sent + relay.extra_latency;
    return plan;
  }
  if (bytes == 0) {
    plan.delivered = ready;
    return plan;
  }
  // Sweep the window boundaries after `ready`; between two boundaries the best active rate wins.
  std::vector<TimePoint> edges;
  for (const ContactWindow& w : windows) {
    if (w.los <= ready || RateBps(w, direction) <= 0) continue;
    edges.push_back(std::max(w.aos, ready));
    edges.push_back(w.los);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  double remaining = bytes;
  for (size_t k = 0; k + 1 < edges.size() && remaining > 0; ++k) {
    const TimePoint a = edges[k];
    const TimePoint b = edges[k + 1];
    size_t best = windows.size();
    double best_rate = 0;
    for (size_t i = 0; i < windows.size(); ++i) {
      const ContactWindow& w = windows[i];
      if (w.aos <= a && b <= w.los && RateBps(w, direction) > best_rate) {
        best_rate = RateBps(w, direction);
        best = i;
      }
    }
    if (best == windows.size()) continue;
    const double capacity = ToSeconds(b - a) * best_rate / 8.0;
    const double used = std::min(capacity, remaining);
    const TimePoint end = used < capacity ? a + Seconds(used * 8.0 / best_rate) : b;
    if (!plan.segments.empty() && plan.segments.back().window_index == best &&
        plan.segments.back().to == a) {
      plan.segments.back().to = end;
      plan.segments.back().bytes += used;
    } else {
      plan.segments.push_back({best, a, end, used});
    }
    remaining -= used;
    if (remaining <= 0) {
      plan.delivered = end + OneWayLightTime(windows[best].min_range_km);
      return plan;
    }
  }
  std::ostringstream message;
  message << "the contact windows after " << FormatRfc3339(ready) << " carry only "
          << static_cast<int64_t>(bytes - remaining) << " of " << static_cast<int64_t>(bytes)
          << " bytes; extend the horizon, add stations or use a relay";
  return ResourceExhaustedError(message.str());
}

Result<std::string> FormatIonContactPlan(const std::vector<IonNodeContacts>& contacts,
                                         const std::map<std::string, int64_t>& station_nodes,
                                         TimePoint reference) {
  std::ostringstream out;
  out << "# ION contact plan from Apsis; times are seconds after " << FormatRfc3339(reference)
      << "\n";
  for (const IonNodeContacts& sat : contacts) {
    for (const ContactWindow& w : sat.windows) {
      const auto node = station_nodes.find(w.station);
      if (node == station_nodes.end()) {
        return InvalidArgumentError("station '" + w.station + "' has no ION node number");
      }
      const int64_t t0 = static_cast<int64_t>(std::ceil(ToSeconds(w.aos - reference)));
      const int64_t t1 = static_cast<int64_t>(std::floor(ToSeconds(w.los - reference)));
      if (t1 <= t0) continue;  // shorter than a whole second
      const int64_t owlt =
          std::max<int64_t>(1, static_cast<int64_t>(std::ceil(w.min_range_km / kSpeedOfLightKmS)));
      const int64_t down = static_cast<int64_t>(w.downlink_bps / 8.0);
      const int64_t up = static_cast<int64_t>(w.uplink_bps / 8.0);
      if (down > 0) {
        out << "a contact +" << t0 << " +" << t1 << " " << sat.satellite_node << " " << node->second
            << " " << down << "\n";
      }
      if (up > 0) {
        out << "a contact +" << t0 << " +" << t1 << " " << node->second << " " << sat.satellite_node
            << " " << up << "\n";
      }
      out << "a range +" << t0 << " +" << t1 << " " << sat.satellite_node << " " << node->second
          << " " << owlt << "\n";
    }
  }
  return out.str();
}

}  // namespace apsis::link
