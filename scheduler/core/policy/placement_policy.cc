#include "scheduler/core/policy/placement_policy.h"

#include "scheduler/core/policy/cost_policy.h"
#include "scheduler/core/policy/fifo_firstfit_policy.h"
#include "scheduler/core/policy/greedy_latency_policy.h"
#include "scheduler/core/policy/ground_only_policy.h"

namespace apsis::core {

Result<std::unique_ptr<PlacementPolicy>> MakePlacementPolicy(std::string_view name) {
  std::unique_ptr<PlacementPolicy> p;
  if (name == "cost") p = std::make_unique<CostPolicy>();
  if (name == "fifo-firstfit") p = std::make_unique<FifoFirstFitPolicy>();
  if (name == "ground-only") p = std::make_unique<GroundOnlyPolicy>();
  if (name == "greedy-latency") p = std::make_unique<GreedyLatencyPolicy>();
  if (!p) {
    return InvalidArgumentError("unknown scheduler policy \"" + std::string(name) +
                                "\"; choose one of cost, fifo-firstfit, ground-only, "
                                "greedy-latency");
  }
  return p;
}

std::vector<std::string> PlacementPolicyNames() {
  return {"cost", "fifo-firstfit", "greedy-latency", "ground-only"};
}

}  // namespace apsis::core
