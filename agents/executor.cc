#include "agents/executor.h"

namespace apsis::agents {

double RequiredGpuHours(const v1::JobSpec& spec) {
  if (spec.kind() == v1::JOB_KIND_INFERENCE) return 0;
  return spec.training().gpu_hours();
}

}  // namespace apsis::agents
