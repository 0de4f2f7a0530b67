// `apsisctl submit|jobs|job|explain|cancel`: submit job spec files and follow jobs through the
// scheduler's client endpoint. Output and exit codes as in cli/scheduler_client.h.
#pragma once

#include <CLI/CLI.hpp>

namespace apsis::cli {

void AddJobCommands(CLI::App& app);

}  // namespace apsis::cli
