// apsis-agent: the daemon on every ground site and orbital node.
//
//   apsis-agent --config node.yaml [--insecure] [--clock system|scaled --clock-epoch T
//               --clock-factor F] [--log-level info]
//
// One Asio event loop runs everything; SIGTERM/SIGINT stop reporting and exit cleanly (jobs are
// left running or checkpointed according to on_shutdown).
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <zmq.hpp>

#include "agents/agent.h"
#include "agents/agent_config.h"
#include "common/log.h"
#include "metrics/metrics.h"

int main(int argc, char** argv) {
  using namespace apsis;
  CLI::App app{
      "apsis-agent: reports a node's power and links to the Apsis scheduler and runs "
      "the jobs placed on it"};
  std::string config_path;
  bool insecure = false;
  std::string clock_mode;
  std::string clock_epoch;
  double clock_factor = 0;
  std::string log_level = "info";
  app.add_option("--config", config_path, "node file (see configs/agent-*.yaml)")->required();
  app.add_flag("--insecure", insecure, "no CURVE encryption or authentication (development only)");
  app.add_option("--clock", clock_mode, "system (default) or scaled; overrides clock.mode")
      ->check(CLI::IsMember({"system", "scaled"}));
  app.add_option("--clock-epoch", clock_epoch, "scaled clock: RFC 3339 time it starts at");
  app.add_option("--clock-factor", clock_factor, "scaled clock: speed-up over real time");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");
  app.set_version_flag("--version", agents::kAgentVersion);
  CLI11_PARSE(app, argc, argv);

  Result<LogLevel> level = ParseLogLevel(log_level);
  if (!level.ok()) {
    std::cerr << "apsis-agent: " << level.status().message() << "\n";
    return 2;
  }
  InitLogging(*level, "apsis-agent");

  Result<agents::AgentConfig> config = agents::LoadAgentConfig(config_path);
  if (!config.ok()) {
    std::cerr << "apsis-agent: invalid configuration:\n" << config.status().message() << "\n";
    return 2;
  }
  if (Status clock_ok =
          agents::ApplyClockOverrides(clock_mode, clock_epoch, clock_factor, config->clock);
      !clock_ok.ok()) {
    std::cerr << "apsis-agent: " << clock_ok.message() << "\n";
    return 2;
  }
  std::unique_ptr<Clock> clock = agents::MakeClock(config->clock);

  auto endpoint = metrics::PrometheusEndpoint::Create(config->metrics_listen);
  if (!endpoint.ok()) {
    std::cerr << "apsis-agent: metrics_listen: " << endpoint.status().message() << "\n";
    return 1;
  }
  LogInfo("metrics endpoint", {{"port", Kv((*endpoint)->port())}});

  boost::asio::io_context io;
  zmq::context_t zmq_context(1);
  auto agent = agents::Agent::Create(io, zmq_context, *clock, std::move(*config),
                                     (*endpoint)->registry(), insecure);
  if (!agent.ok()) {
    std::cerr << "apsis-agent: " << agent.status().message() << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    LogInfo("signal received", {{"signal", Kv(signal)}});
    (*agent)->Shutdown([&io]() { io.stop(); });
  });
  (*agent)->Start();
  io.run();
  agent->reset();
  LogInfo("apsis-agent exited cleanly");
  return 0;
}
