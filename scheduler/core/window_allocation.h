// Window allocation: how a job's traffic is spread over an orbital node's contact windows beyond
// input/output staging — an inference job's requests and responses while it serves without relay,
// and the checkpoint of a stopped training job coming down so that it can resume elsewhere.
//
// Planner side only (the plan checker re-derives both on its own). Pure functions over a ledger's
// free window capacity; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/model.h"
#include "scheduler/core/node_ledger.h"

namespace apsis::core {

// Requests (uplink, request_in_bps) and responses (downlink, response_out_bps) of an inference job
// serving over [from, to): bps / 8 × the overlap of the serving period with each window, as
// kServing allocations in window order (none for a zero rate).
std::vector<TransferAllocation> ServingTraffic(const NodeForecast& forecast,
                                               const InferenceSpec& inference, TimePoint from,
                                               TimePoint to);

// The first allocation of `traffic` its window cannot carry beside what is already committed.
struct WindowShortfall {
  const TransferAllocation* transfer = nullptr;
  double free_bytes = 0;
  double capacity_bytes = 0;
};
std::optional<WindowShortfall> FirstWindowShortfall(const NodeLedger& ledger,
                                                    const std::vector<TransferAllocation>& traffic);

// "uplink window svalbard 2026-12-01T03:10:00Z–03:22:00Z has 1.2 GB free, requests need 3.6 GB"
std::string DescribeServingShortfall(const WindowShortfall& shortfall);

// Where a stopped job's checkpoint comes down: whole windows opening at or after `from` (not
// before the checkpoint is written, nor in the past) take what they have free, in order, until
// `bytes` are carried. `released` are allocations of a reservation about to be removed from the
// ledger, whose capacity counts as free. on_ground is the LOS of the last window used, or unset
// when the windows of the forecast cannot carry it all.
struct CheckpointDownlinkPlan {
  std::vector<TransferAllocation> transfers;
  std::optional<TimePoint> on_ground;
};
CheckpointDownlinkPlan PlanCheckpointDownlink(
    const NodeLedger& ledger, TimePoint from, double bytes,
    const std::vector<TransferAllocation>* released = nullptr);

}  // namespace apsis::core
