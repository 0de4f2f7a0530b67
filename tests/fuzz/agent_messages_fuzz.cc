// Fuzzes what the scheduler does with messages from agents: each frame of the input is an
// envelope decoded as the agent endpoint decodes it; Hello, Forecast and JobEvent bodies are
// converted (proto_conversion) and applied to a placement engine that holds a small queue of jobs,
// exactly as SchedulerService does, then the engine plans. Hostile node specs, forecasts and
// events must be refused with an error or planned around, never crash the planner.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fleet_fixtures.h"
#include "fuzz_frames.h"
#include "quiet_protobuf.h"
#include "scheduler/core/engine.h"
#include "scheduler/daemon/proto_conversion.h"
#include "transport/envelope_codec.h"

namespace {

using apsis::TimePoint;
namespace core = apsis::core;
namespace v1 = apsis::v1;

void Apply(core::Engine& engine, std::map<std::string, core::NodeKind>& kinds,
           const v1::Envelope& e) {
  if (e.has_hello()) {
    // The service's own checks before AddNode (agent_protocol.cc OnHello).
    const v1::NodeSpec& spec = e.hello().spec();
    apsis::Duration behind;
    if (!apsis::daemon::ValidateHello(e.hello(), core::testing::T0(), &behind).ok()) return;
    if (behind < apsis::Duration(0)) __builtin_trap();
    if (engine.AddNode(apsis::daemon::NodeSpecFromProto(spec)).ok()) {
      kinds[spec.id()] =
          spec.kind() == v1::NODE_KIND_ORBITAL ? core::NodeKind::kOrbital : core::NodeKind::kGround;
    }
  } else if (e.has_forecast()) {
    auto it = kinds.find(e.forecast().node_id());
    if (it == kinds.end()) return;  // the service refuses messages from unregistered nodes
    auto forecast = apsis::daemon::NodeForecastFromProto(it->second, e.forecast());
    if (forecast.ok()) (void)engine.UpdateForecast(it->first, std::move(*forecast));
  } else if (e.has_job_event()) {
    if (kinds.count(e.job_event().node_id()) == 0) return;
    if (auto event = apsis::daemon::JobEventFromProto(e.job_event())) {
      (void)engine.OnJobEvent(*event);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace core::testing;
  auto engine = core::Engine::Create(core::EngineConfig{});
  if (!engine.ok()) __builtin_trap();
  // A queue for the planner to place on whatever the messages register.
  (void)(*engine)->Submit(TrainingJob("train-1", 4, 8));
  (void)(*engine)->Submit(TrainingJob("train-2", 8, 64));
  (void)(*engine)->Submit(InferenceJob("serve-1", 2, T0(), T0() + apsis::Hours(4), 50, "us-west"));
  std::map<std::string, core::NodeKind> kinds;
  for (std::string_view frame : apsis::fuzz::SplitFrames(data, size, 16)) {
    v1::Envelope envelope;
    auto decoded = apsis::transport::DecodeEnvelope(frame, 1 << 20, &envelope);
    if (decoded.failure != apsis::transport::DecodeFailure::kNone) continue;
    Apply(**engine, kinds, envelope);
  }
  auto plan = (*engine)->Plan(T0());
  if (plan.ok()) {
    for (const char* id : {"train-1", "train-2", "serve-1"}) (void)(*engine)->Explain(id, T0());
  }
  return 0;
}
