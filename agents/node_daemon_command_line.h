// The command line apsis-agent and apsis-link share: the node's config file, --insecure, clock
// overrides and the log level. Header-only so that the agent library does not depend on CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "agents/agent.h"
#include "agents/agent_config.h"
#include "common/log.h"

namespace apsis::agents {

struct NodeDaemonOptions {
  std::string config_path;
  bool insecure = false;
  std::string clock_mode;
  std::string clock_epoch;
  double clock_factor = 0;
  std::string log_level = "info";
};

inline void AddNodeDaemonOptions(CLI::App& app, NodeDaemonOptions& options,
                                 const std::string& config_help, const std::string& insecure_help) {
  app.add_option("--config", options.config_path, config_help)->required();
  app.add_flag("--insecure", options.insecure, insecure_help);
  app.add_option("--clock", options.clock_mode, "system (default) or scaled; overrides clock.mode")
      ->check(CLI::IsMember({"system", "scaled"}));
  app.add_option("--clock-epoch", options.clock_epoch, "scaled clock: RFC 3339 time it starts at");
  app.add_option("--clock-factor", options.clock_factor, "scaled clock: speed-up over real time");
  app.add_option("--log-level", options.log_level, "trace|debug|info|warn|error|off");
  app.set_version_flag("--version", kAgentVersion);
}

// Starts logging and loads the config file with the clock overrides applied. On a user error it
// prints why, prefixed with `program`, and returns nothing (the caller exits with status 2).
inline std::optional<AgentConfig> StartNodeDaemon(const NodeDaemonOptions& options,
                                                  const std::string& program) {
  Result<LogLevel> level = ParseLogLevel(options.log_level);
  if (!level.ok()) {
    std::cerr << program << ": " << level.status().message() << "\n";
    return std::nullopt;
  }
  InitLogging(*level, program);
  Result<AgentConfig> config = LoadAgentConfig(options.config_path);
  if (!config.ok()) {
    std::cerr << program << ": invalid configuration:\n" << config.status().message() << "\n";
    return std::nullopt;
  }
  if (Status clock_ok = ApplyClockOverrides(options.clock_mode, options.clock_epoch,
                                            options.clock_factor, config->clock);
      !clock_ok.ok()) {
    std::cerr << program << ": " << clock_ok.message() << "\n";
    return std::nullopt;
  }
  return std::move(*config);
}

}  // namespace apsis::agents
