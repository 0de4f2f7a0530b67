// Conversions between the wire protocol (apsis.v1) and the planner's model (scheduler/core).
// Pure functions, thread-safe.
#pragma once

#include <optional>

#include "apsis/v1/agent.pb.h"
#include "apsis/v1/client.pb.h"
#include "apsis/v1/common.pb.h"
#include "common/status.h"
#include "scheduler/core/model.h"

namespace apsis::daemon {

// Agents whose clocks differ from the scheduler's by more than this are refused: time-tagged
// starts and forecasts would be misplaced by the difference.
inline constexpr Duration kMaxAgentClockSkew = Seconds(30);

// Whether a Hello can be accepted at `now`: it must name its node and declare GPUs
// (INVALID_ARGUMENT), and the agent's clock, when sent, may be ahead of ours by at most
// kMaxAgentClockSkew and behind by as much only for ground nodes; an orbital node's Hello may have
// waited in a space link (FAILED_PRECONDITION otherwise). Any agent_time_us is safe, including
// the extremes of int64. `behind` gets how far behind an accepted agent clock is (zero if not).
Status ValidateHello(const v1::Hello& hello, TimePoint now, Duration* behind);

core::NodeSpec NodeSpecFromProto(const v1::NodeSpec& spec);
Result<core::NodeForecast> NodeForecastFromProto(core::NodeKind kind, const v1::Forecast& f);
core::JobSpec JobSpecFromProto(const v1::JobSpec& spec, TimePoint submitted_at);
// nullopt for event kinds the planner does not track.
std::optional<core::JobEvent> JobEventFromProto(const v1::JobEvent& event);

v1::NodeState NodeStateToProto(core::NodeState state);
v1::JobState JobStateToProto(core::JobState state);
bool IsTerminal(v1::JobState state);
// The job's input and checkpoint are no longer known to be on a node (it runs, or its node lost
// them).
void ForgetResumeNode(v1::JobStatus& status);

v1::CostBreakdown CostToProto(const core::CostBreakdown& cost);

}  // namespace apsis::daemon
