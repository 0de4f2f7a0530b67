// apsisctl: the operators' command line for Apsis.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/job_commands.h"
#include "cli/keygen_command.h"
#include "cli/node_commands.h"
#include "cli/orbit_commands.h"
#include "cli/scheduler_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"apsisctl: submit and inspect jobs, inspect nodes and contact windows, manage keys"};
  app.set_version_flag("--version", std::string("apsisctl ") + APSIS_VERSION);
  app.require_subcommand(1);
  apsis::cli::AddKeygenCommand(app);
  apsis::cli::AddOrbitCommands(app);
  apsis::cli::AddJobCommands(app);
  apsis::cli::AddNodeCommands(app);
  apsis::cli::AddSchedulerCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // Help and version exit 0 and commands choose their own codes (1 refused, 2 local problem,
    // 3 unreachable); a malformed command line is a usage error: 2.
    if (code == 0 || dynamic_cast<const CLI::RuntimeError*>(&e) != nullptr) return code;
    return 2;
  }
  return 0;
}
