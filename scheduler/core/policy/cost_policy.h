// CostPolicy ("cost", the default): cheapest total of the weighted objective wins; deferrable
// training is shifted in time to catch cheap energy. Stateless, thread-safe.
#pragma once

#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {

class CostPolicy : public PlacementPolicy {
 public:
  std::string_view name() const override { return "cost"; }
  bool ShiftsInTime() const override { return true; }
  double Score(const CandidateScoreInput& input) const override { return input.cost.total(); }
  bool ScoresByTotalCost() const override { return true; }
};

}  // namespace apsis::core
