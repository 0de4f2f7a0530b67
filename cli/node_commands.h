// `apsisctl nodes|node|drain|cordon|uncordon`: the fleet as the scheduler sees it, one node's
// power/battery/eclipse/contact outlook, and the operators' node actions.
#pragma once

#include <CLI/CLI.hpp>

namespace apsis::cli {

void AddNodeCommands(CLI::App& app);

}  // namespace apsis::cli
