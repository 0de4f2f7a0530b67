// apsis-sim: the scheduler core in virtual time (`run`, the default) and offline analyses of an
// Apsis fleet (`tco`: cost per useful GPU-hour on the ground and in orbit).
#include <iostream>
#include <string>
#include <vector>

#include "sim/analysis/tco_command.h"
#include "sim/run_command.h"

namespace {

void PrintUsage(std::ostream& out) {
  out << "Usage: apsis-sim [COMMAND] [ARGS...]\n"
         "Commands:\n"
         "  run    (default) simulate policies over a fleet and a workload; reports\n"
         "  tco    cost per useful GPU-hour on the ground vs in orbit, and where orbit breaks "
         "even\n"
         "Run `apsis-sim COMMAND --help` for a command's flags.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    PrintUsage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  if (command == "tco") {
    args.erase(args.begin());
    return apsis::sim::RunTcoCommand(args, std::cout, std::cerr);
  }
  if (command == "run") {
    args.erase(args.begin());
  } else if (command.empty() || command[0] != '-') {
    std::cerr << "apsis-sim: unknown command '" << command << "'\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return apsis::sim::RunSimCommand(args, std::cout, std::cerr);
}
