// Link model: light time, what a contact window can carry, store-and-forward delivery through a
// sequence of windows (or an always-on relay), and export of windows as an ION-DTN contact plan.
//
// The satellite is assumed to have one radio per direction: when windows to several stations
// overlap, data flows at the best rate among them, not at their sum. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/contact_window.h"

namespace apsis::link {

inline constexpr double kSpeedOfLightKmS = 299792.458;

// One-way light time over a slant range.
Duration OneWayLightTime(double range_km);

enum class LinkDirection { kUplink, kDownlink };

// Bytes the window carries in `direction` between max(from, aos) and los.
double WindowCapacityBytes(const ContactWindow& window, LinkDirection direction,
                           TimePoint from = TimePoint::FromMicros(INT64_MIN));

// How an orbital node reaches the ground besides its own contact windows.
enum class RelayMode {
  kNone,    // only through ground-station contact windows
  kAlways,  // through a relay constellation, always available, with an extra latency
};
Result<RelayMode> ParseRelayMode(std::string_view text);  // "none" | "always"
std::string_view RelayModeName(RelayMode mode);

struct RelayConfig {
  RelayMode mode = RelayMode::kNone;
  Duration extra_latency = Duration(0);  // added to every relayed transfer
  double rate_bps = 0;                   // relay throughput (required for kAlways)
};

struct DeliveryPlan {
  TimePoint delivered;  // last byte received at the far end
  struct Segment {
    size_t window_index;  // index into the windows given (unused for relay)
    TimePoint from, to;
    double bytes;
  };
  std::vector<Segment> segments;  // in time order
  bool via_relay = false;
};

// Earliest delivery of `bytes` that are ready at `ready`, through `windows` (any order, may
// overlap) or the relay. Delivery time is when the last byte is sent plus the one-way light
// time at that window's minimum range. Fails with RESOURCE_EXHAUSTED when the windows cannot
// carry the data, saying how much fits.
Result<DeliveryPlan> EarliestDelivery(const std::vector<ContactWindow>& windows,
                                      LinkDirection direction, double bytes, TimePoint ready,
                                      const RelayConfig& relay = {});

// One satellite's windows for contact-plan export.
struct IonNodeContacts {
  int64_t satellite_node = 0;
  std::vector<ContactWindow> windows;
};

// ION-DTN contact plan text (ionrc "a contact" / "a range" commands), times relative to
// `reference` in whole seconds (AOS rounded up, LOS down so ION never assumes a contact that does
// not exist), rates in bytes per second, one-way light time rounded up to whole seconds. Station
// names map to node numbers through `station_nodes`; an unknown station is an error.
Result<std::string> FormatIonContactPlan(const std::vector<IonNodeContacts>& contacts,
                                         const std::map<std::string, int64_t>& station_nodes,
                                         TimePoint reference);

}  // namespace apsis::link
