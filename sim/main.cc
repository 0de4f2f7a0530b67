// apsis-sim: offline analyses of an Apsis fleet. `apsis-sim tco` compares the cost per useful
// GPU-hour on the ground and in orbit.
#include <iostream>
#include <string>
#include <vector>

#include "sim/analysis/tco_command.h"

namespace {

void PrintUsage(std::ostream& out) {
  out << "Usage: apsis-sim COMMAND [ARGS...]\n"
         "Commands:\n"
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
  args.erase(args.begin());
  if (command == "tco") return apsis::sim::RunTcoCommand(args, std::cout, std::cerr);
  std::cerr << "apsis-sim: unknown command '" << command << "'\n";
  PrintUsage(std::cerr);
  return 2;
}
