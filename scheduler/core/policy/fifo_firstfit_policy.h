// FifoFirstFitPolicy ("fifo-firstfit", baseline): jobs in submission order, each on the first node
// (in id order) where it fits at its earliest feasible start. Ignores cost. Stateless, thread-safe.
#pragma once

#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {

class FifoFirstFitPolicy : public PlacementPolicy {
 public:
  std::string_view name() const override { return "fifo-firstfit"; }
  bool ShiftsInTime() const override { return false; }
  double Score(const CandidateScoreInput& input) const override { return input.node_index; }
  bool OrdersQueueByPriority() const override { return false; }
};

}  // namespace apsis::core
