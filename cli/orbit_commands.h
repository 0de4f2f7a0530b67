// `apsisctl orbit propagate|windows|eclipses`: offline orbit tools over a TLE file.
//
// Output is a table (default), CSV or a JSON array (`-o json`); `orbit windows -o ion` writes an
// ION-DTN contact plan. Nothing here talks to the scheduler.
#pragma once

#include <CLI/CLI.hpp>

namespace apsis::cli {

void AddOrbitCommands(CLI::App& app);

}  // namespace apsis::cli
