// `apsis-sim tco`: the cost-of-ownership comparison of sim/analysis/tco.h as a command. Every
// parameter is a flag; `--from-sim FILE` takes the utilisation a simulated policy achieved from
// the JSON that `apsis-sim run --json` writes. Thread-compatible.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::sim {

// The GPU utilisation one policy achieved in a simulation run.
struct PolicyUtilisation {
  std::string policy;
  double ground = 0;
  double orbit = 0;
};

// Reads {"policies":[{"name":..., "gpu_utilisation_ground":x, "gpu_utilisation_orbit":y, ...}]}
// from `path` and returns the entry named `policy`. Errors name the file (with line:col for
// malformed JSON), the policy and the policies the file does have.
Result<PolicyUtilisation> ReadPolicyUtilisation(const std::string& path, const std::string& policy);

// Runs `apsis-sim tco ARGS...` (args exclude "tco"): the comparison, the launch-price sweep and the
// break-even price on `out`; usage errors on `err`. Returns the process exit code: 0 on success,
// 2 on a usage or input error.
int RunTcoCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace apsis::sim
