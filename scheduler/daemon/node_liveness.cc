#include "scheduler/daemon/node_liveness.h"

#include <algorithm>

namespace apsis::daemon {

Duration ReachableTime(const LivenessInput& input, TimePoint from, TimePoint to) {
  if (to <= from) return Duration(0);
  if (input.always_reachable || input.windows == nullptr) return to - from;
  // Windows may overlap (several stations): merge while summing.
  Duration total(0);
  TimePoint covered_until = from;
  for (const ContactWindow& w : *input.windows) {
    TimePoint a = std::max(w.aos, covered_until);
    TimePoint b = std::min(w.los, to);
    if (b > a) {
      total += b - a;
      covered_until = b;
    }
  }
  return total;
}

bool InContact(const LivenessInput& input, TimePoint now) {
  if (input.always_reachable || input.windows == nullptr) return true;
  for (const ContactWindow& w : *input.windows)
    if (w.Contains(now)) return true;
  return false;
}

Liveness AssessLiveness(const LivenessInput& input, TimePoint now) {
  const Duration allowed = input.heartbeat_interval * input.missed_heartbeats;
  if (ReachableTime(input, input.last_heard, now) > allowed) return Liveness::kDown;
  if (now - input.last_heard <= allowed) return Liveness::kReachable;
  return Liveness::kOutOfContact;
}

}  // namespace apsis::daemon
