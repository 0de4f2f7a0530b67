// apsis-link: the space-link emulator that sits between an emulated orbital agent and the
// scheduler (agent → link → scheduler). It reads the orbital node's own config file.
//
//   apsis-link --config node.yaml [--insecure] [--clock scaled --clock-epoch T --clock-factor F]
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <zmq.hpp>

#include "agents/agent_config.h"
#include "agents/link_proxy.h"
#include "common/log.h"
#include "metrics/metrics.h"

int main(int argc, char** argv) {
  using namespace apsis;
  CLI::App app{
      "apsis-link: forwards an orbital agent's traffic only during its contact windows "
      "(or via relay), with light-time delay and the window's data rate"};
  std::string config_path;
  bool insecure = false;
  std::string clock_mode;
  std::string clock_epoch;
  double clock_factor = 0;
  std::string log_level = "info";
  app.add_option("--config", config_path, "the orbital node's file (with link_proxy)")->required();
  app.add_flag("--insecure", insecure, "no CURVE on either side (development only)");
  app.add_option("--clock", clock_mode, "system (default) or scaled; overrides clock.mode")
      ->check(CLI::IsMember({"system", "scaled"}));
  app.add_option("--clock-epoch", clock_epoch, "scaled clock: RFC 3339 time it starts at");
  app.add_option("--clock-factor", clock_factor, "scaled clock: speed-up over real time");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");
  CLI11_PARSE(app, argc, argv);

  Result<LogLevel> level = ParseLogLevel(log_level);
  if (!level.ok()) {
    std::cerr << "apsis-link: " << level.status().message() << "\n";
    return 2;
  }
  InitLogging(*level, "apsis-link");
  Result<agents::AgentConfig> config = agents::LoadAgentConfig(config_path);
  if (!config.ok()) {
    std::cerr << "apsis-link: invalid configuration:\n" << config.status().message() << "\n";
    return 2;
  }
  if (Status clock_ok =
          agents::ApplyClockOverrides(clock_mode, clock_epoch, clock_factor, config->clock);
      !clock_ok.ok()) {
    std::cerr << "apsis-link: " << clock_ok.message() << "\n";
    return 2;
  }
  if (!config->link_proxy) {
    std::cerr << "apsis-link: " << config_path << " has no link_proxy section\n";
    return 2;
  }
  std::unique_ptr<Clock> clock = agents::MakeClock(config->clock);
  auto endpoint = metrics::PrometheusEndpoint::Create(config->link_proxy->metrics_listen);
  if (!endpoint.ok()) {
    std::cerr << "apsis-link: link_proxy.metrics_listen: " << endpoint.status().message() << "\n";
    return 1;
  }
  LogInfo("metrics endpoint", {{"port", Kv((*endpoint)->port())}});

  boost::asio::io_context io;
  zmq::context_t zmq_context(1);
  auto proxy = agents::LinkProxy::Create(io, zmq_context, *clock, *config, (*endpoint)->registry(),
                                         insecure);
  if (!proxy.ok()) {
    std::cerr << "apsis-link: " << proxy.status().message() << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    LogInfo("signal received; messages still queued are dropped",
            {{"signal", Kv(signal)},
             {"queued_up", Kv((*proxy)->up().queued())},
             {"queued_down", Kv((*proxy)->down().queued())}});
    io.stop();
  });
  io.run();
  proxy->reset();
  LogInfo("apsis-link exited cleanly");
  return 0;
}
