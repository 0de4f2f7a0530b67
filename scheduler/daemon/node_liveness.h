// NodeLiveness: decides whether a silent node is down or merely out of contact.
//
// An orbital node without relay can only talk inside its predicted contact windows; its silence
// outside them is expected and makes it `out-of-contact`, not `down`. A node is `down` only when
// it has been silent for `missed_heartbeats × heartbeat_interval` of time during which it should
// have been reachable (always for ground and relay nodes, inside windows otherwise). Pure,
// thread-safe.
#pragma once

#include <vector>

#include "common/time.h"
#include "link/contact_window.h"

namespace apsis::daemon {

enum class Liveness { kReachable, kOutOfContact, kDown };

struct LivenessInput {
  TimePoint last_heard;                                 // last message of any kind from the node
  bool always_reachable = true;                         // ground node, or orbital with relay
  const std::vector<ContactWindow>* windows = nullptr;  // predicted, for orbital without relay
  Duration heartbeat_interval = Seconds(5);
  int missed_heartbeats = 3;
};

Liveness AssessLiveness(const LivenessInput& input, TimePoint now);

// Time within [from, to) during which the node should have been reachable.
Duration ReachableTime(const LivenessInput& input, TimePoint from, TimePoint to);

// Whether the node can be reached at `now` (ground, relay, or inside a window).
bool InContact(const LivenessInput& input, TimePoint now);

}  // namespace apsis::daemon
