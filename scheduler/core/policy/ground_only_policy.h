// GroundOnlyPolicy ("ground-only", baseline): the cost policy restricted to ground sites, i.e.
// what a conventional scheduler would do without orbital capacity. Stateless, thread-safe.
#pragma once

#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {

class GroundOnlyPolicy : public PlacementPolicy {
 public:
  std::string_view name() const override { return "ground-only"; }
  std::optional<std::string> ExcludesNode(const NodeSpec& node, const JobSpec& job) const override {
    if (node.kind == NodeKind::kGround) return std::nullopt;
    return "policy ground-only excludes orbital node " + node.id;
  }
  bool ShiftsInTime() const override { return true; }
  double Score(const CandidateScoreInput& input) const override { return input.cost.total(); }
  bool ScoresByTotalCost() const override { return true; }
};

}  // namespace apsis::core
