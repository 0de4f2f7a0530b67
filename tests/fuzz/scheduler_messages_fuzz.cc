// Fuzzes what an agent does with messages from the scheduler: the input is an envelope decoded as
// the agent's connection decodes it; a StartJob becomes the launch handed to the executor
// (JobLaunchFromStartJob) on an 8-GPU node, and Welcome, StopJob and Ack fields are read as the
// agent reads them. Whatever is accepted must name only GPUs the node has, each once.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "agents/executor.h"
#include "quiet_protobuf.h"
#include "transport/envelope_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint32_t kNodeGpus = 8;
  apsis::v1::Envelope envelope;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = apsis::transport::DecodeEnvelope(bytes, 1 << 20, &envelope);
  if (decoded.failure != apsis::transport::DecodeFailure::kNone) return 0;
  if (envelope.has_start_job()) {
    auto launch = apsis::agents::JobLaunchFromStartJob(envelope.start_job(), kNodeGpus);
    if (!launch.ok()) {
      if (launch.status().message().find("StartJob for job") != 0) __builtin_trap();
      return 0;
    }
    std::set<uint32_t> gpus(launch->gpu_indices.begin(), launch->gpu_indices.end());
    if (gpus.size() != launch->gpu_indices.size()) __builtin_trap();
    if (!gpus.empty() && *gpus.rbegin() >= kNodeGpus) __builtin_trap();
    if (!std::isfinite(launch->resume_from_gpu_hours) || launch->resume_from_gpu_hours < 0)
      __builtin_trap();
    (void)apsis::agents::RequiredGpuHours(launch->spec);
  } else if (envelope.has_stop_job()) {
    (void)apsis::TimePoint::FromMicros(envelope.stop_job().stop_at_us());
  } else if (envelope.has_welcome()) {
    (void)apsis::Duration(envelope.welcome().heartbeat_interval_us());
  }
  return 0;
}
