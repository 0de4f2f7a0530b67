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
#include "agents/node_daemon_command_line.h"
#include "common/log.h"
#include "metrics/metrics.h"

int main(int argc, char** argv) {
  using namespace apsis;
  CLI::App app{
      "apsis-agent: reports a node's power and links to the Apsis scheduler and runs "
      "the jobs placed on it"};
  agents::NodeDaemonOptions options;
  agents::AddNodeDaemonOptions(app, options, "node file (see configs/agent-*.yaml)",
                               "no CURVE encryption or authentication (development only)");
  CLI11_PARSE(app, argc, argv);
  std::optional<agents::AgentConfig> config = agents::StartNodeDaemon(options, "apsis-agent");
  if (!config) return 2;
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
                                     (*endpoint)->registry(), options.insecure);
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
