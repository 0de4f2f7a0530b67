// `apsis-sim run`: loads a fleet and a workload, simulates one or more policies side by side and
// writes the comparison table, and optionally JSON and HTML reports. Thread-compatible.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace apsis::sim {

// The fleet used without --fleet: configs/sim/fleet.yaml in the working directory, else in the
// source tree the program was built from.
std::string DefaultFleetPath();

// Runs `apsis-sim run ARGS...` (args exclude "run"). Returns the exit code: 0 on success, 1 when
// --check found plan violations, 2 on a usage or input error.
int RunSimCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace apsis::sim
