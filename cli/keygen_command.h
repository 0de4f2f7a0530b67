// `apsisctl keygen`: writes a CURVE key pair as NAME.key (0600) and NAME.pub.
#pragma once

#include <CLI/CLI.hpp>

namespace apsis::cli {

void AddKeygenCommand(CLI::App& app);

}  // namespace apsis::cli
