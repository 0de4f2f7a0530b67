// GreedyLatencyPolicy ("greedy-latency", baseline): lowest latency to the job's user region wins,
// then the earliest start, then cost; no temporal shifting. Stateless, thread-safe.
#pragma once

#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {

class GreedyLatencyPolicy : public PlacementPolicy {
 public:
  std::string_view name() const override { return "greedy-latency"; }
  bool ShiftsInTime() const override { return false; }
  double Score(const CandidateScoreInput& input) const override {
    // Lexicographic (latency, delay, cost) folded into one number; cost of a single placement
    // stays far below 1e6 $, delay below 1e3 h.
    return input.latency_ms * 1e9 + input.start_delay_hours * 1e6 + input.cost.total();
  }
};

}  // namespace apsis::core
