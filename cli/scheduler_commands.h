// `apsisctl status|events`: the scheduler's summary and its event log.
#pragma once

#include <CLI/CLI.hpp>

namespace apsis::cli {

void AddSchedulerCommands(CLI::App& app);

}  // namespace apsis::cli
