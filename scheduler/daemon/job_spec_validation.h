// Validation of submitted job specs: every problem is listed, each with its field path
// ("jobs[2].training.gpu_hours: must be > 0, got -1"), so a submitter fixes them all at once.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "apsis/v1/common.pb.h"
#include "common/time.h"

namespace apsis::daemon {

// Problems of one spec; `path` prefixes each ("jobs[2]"). Empty when the spec is valid.
std::vector<std::string> ValidateJobSpecProto(const v1::JobSpec& spec, const std::string& path,
                                              TimePoint now);

}  // namespace apsis::daemon
