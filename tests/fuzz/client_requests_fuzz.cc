// Fuzzes what the scheduler does with client requests: the input is an envelope decoded as the
// client endpoint decodes it. Submitted job specs go through ValidateJobSpecProto exactly as
// HandleSubmit does; the valid ones are converted (JobSpecFromProto) and planned on a small fleet
// of one ground site and one orbital node. Cancel, explain and node-state requests name arbitrary
// ids. Nothing a client sends may crash validation or the planner.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fleet_fixtures.h"
#include "quiet_protobuf.h"
#include "scheduler/core/engine.h"
#include "scheduler/daemon/job_spec_validation.h"
#include "scheduler/daemon/proto_conversion.h"
#include "transport/envelope_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace core = apsis::core;
  namespace v1 = apsis::v1;
  using namespace core::testing;
  v1::Envelope envelope;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = apsis::transport::DecodeEnvelope(bytes, 1 << 20, &envelope);
  if (decoded.failure != apsis::transport::DecodeFailure::kNone) return 0;
  if (!envelope.has_client_request()) return 0;
  const v1::ClientRequest& request = envelope.client_request();

  auto engine = core::Engine::Create(core::EngineConfig{});
  if (!engine.ok()) __builtin_trap();
  core::Engine& e = **engine;
  if (!e.AddNode(GroundSpec("g1")).ok()) __builtin_trap();
  if (!e.UpdateForecast("g1", GroundForecast(T0(), 24 * 60, 8000, {0.08, 0.12})).ok())
    __builtin_trap();
  if (!e.AddNode(OrbitalSpec("o1")).ok()) __builtin_trap();
  if (!e.UpdateForecast("o1", OrbitalForecast(T0(), 24 * 60)).ok()) __builtin_trap();

  const apsis::TimePoint now = T0();
  switch (request.request_case()) {
    case v1::ClientRequest::kSubmit: {
      const auto& jobs = request.submit().jobs();
      if (jobs.size() > 64) return 0;  // the service's limit is configurable; keep execs fast
      std::vector<std::string> problems;
      std::set<std::string> ids;
      for (int i = 0; i < jobs.size(); ++i) {
        auto p =
            apsis::daemon::ValidateJobSpecProto(jobs[i], "jobs[" + std::to_string(i) + "]", now);
        problems.insert(problems.end(), p.begin(), p.end());
        if (!jobs[i].id().empty() && !ids.insert(jobs[i].id()).second) problems.push_back("dup");
      }
      // Every problem names its field path.
      for (const std::string& p : problems) {
        if (p.rfind("jobs[", 0) != 0 && p != "dup") __builtin_trap();
      }
      if (!problems.empty()) return 0;
      int number = 0;
      for (const v1::JobSpec& spec : jobs) {
        core::JobSpec job = apsis::daemon::JobSpecFromProto(spec, now);
        if (job.id.empty()) job.id = "job-" + std::to_string(number++);
        (void)e.Submit(job);
      }
      auto plan = e.Plan(now);
      if (plan.ok()) {
        for (const v1::JobSpec& spec : jobs) (void)e.Explain(spec.id(), now);
        (void)e.Plan(now + apsis::Hours(1));
      }
      break;
    }
    case v1::ClientRequest::kCancel:
      (void)e.Cancel(request.cancel().job_id());
      break;
    case v1::ClientRequest::kExplain:
      (void)e.Explain(request.explain().job_id(), now);
      break;
    case v1::ClientRequest::kSetNodeState:
      (void)e.SetNodeState(request.set_node_state().node_id(), core::NodeState::kCordoned);
      break;
    default:
      (void)apsis::transport::BodyName(envelope);
  }
  return 0;
}
