#include "cli/keygen_command.h"

#include <iostream>
#include <memory>

#include "transport/curve_keys.h"

namespace apsis::cli {

void AddKeygenCommand(CLI::App& app) {
  struct Options {
    std::string name;
    std::string dir = ".";
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "keygen", "Generate a CURVE key pair: DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub");
  cmd->add_option("name", options->name, "Key name, e.g. scheduler, node-7 or alice")->required();
  cmd->add_option("-d,--dir", options->dir, "Directory to write the files into")
      ->capture_default_str();
  cmd->callback([options] {
    auto keys = transport::GenerateCurveKeyPair();
    if (!keys.ok()) throw CLI::RuntimeError(keys.status().ToString(), 1);
    Status written = transport::WriteCurveKeyFiles(options->dir, options->name, *keys);
    if (!written.ok()) {
      std::cerr << "apsisctl keygen: " << written.message() << "\n";
      throw CLI::RuntimeError(1);
    }
    std::cout << "wrote " << options->dir << "/" << options->name << ".key (secret, 0600) and "
              << options->dir << "/" << options->name << ".pub\n"
              << "public key: " << keys->public_z85 << "\n";
  });
}

}  // namespace apsis::cli
