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

core::NodeSpec NodeSpecFromProto(const v1::NodeSpec& spec);
Result<core::NodeForecast> NodeForecastFromProto(core::NodeKind kind, const v1::Forecast& f);
core::JobSpec JobSpecFromProto(const v1::JobSpec& spec, TimePoint submitted_at);
// nullopt for event kinds the planner does not track.
std::optional<core::JobEvent> JobEventFromProto(const v1::JobEvent& event);

v1::NodeState NodeStateToProto(core::NodeState state);
v1::JobState JobStateToProto(core::JobState state);
bool IsTerminal(v1::JobState state);

v1::CostBreakdown CostToProto(const core::CostBreakdown& cost);

}  // namespace apsis::daemon
