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
#include "agents/node_daemon_command_line.h"
#include "common/log.h"
#include "metrics/metrics.h"

int main(int argc, char** argv) {
  using namespace apsis;
  CLI::App app{
      "apsis-link: forwards an orbital agent's traffic only during its contact windows "
      "(or via relay), with light-time delay and the window's data rate"};
  agents::NodeDaemonOptions options;
  agents::AddNodeDaemonOptions(app, options, "the orbital node's file (with link_proxy)",
                               "no CURVE on either side (development only)");
  CLI11_PARSE(app, argc, argv);
  std::optional<agents::AgentConfig> config = agents::StartNodeDaemon(options, "apsis-link");
  if (!config) return 2;
  if (!config->link_proxy) {
    std::cerr << "apsis-link: " << options.config_path << " has no link_proxy section\n";
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
                                         options.insecure);
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
