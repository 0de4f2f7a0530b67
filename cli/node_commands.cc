#include "cli/node_commands.h"

#include <iostream>
#include <memory>

#include "cli/node_views.h"
#include "cli/output_format.h"
#include "cli/scheduler_client.h"

namespace apsis::cli {
namespace {

constexpr const char* kListNodesHint = "list nodes with `apsisctl nodes`";

void AddNodesCommand(CLI::App& app) {
  auto options = std::make_shared<ConnectionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "nodes", "List the nodes: kind, state, GPUs busy/total, power draw, battery, heartbeat");
  AddConnectionOptions(*cmd, *options);
  cmd->callback([options] {
    const std::string command = "nodes";
    const ResolvedConnection connection = ResolveOrFail(command, *options);
    auto client = ConnectOrFail(command, connection);
    const TimePoint now = SchedulerTimeOrFail(command, *client);
    v1::ClientRequest request;
    request.mutable_list_nodes();
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kNodes);
    if (connection.output == OutputFormat::kTable) {
      PrintNodesTable(std::cout, response.nodes(), now);
    } else {
      PrintStructured(std::cout, connection.output, NodeListJson(response.nodes()));
    }
  });
}

void AddNodeCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::string node_id;
    int hours = 6;
    int contacts = 5;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "node", "Show one node: power now and next hours, battery, next eclipse, next contacts");
  cmd->add_option("id", options->node_id, "Node id")->required();
  cmd->add_option("--hours", options->hours, "Hours of power outlook to show")
      ->capture_default_str();
  cmd->add_option("--contacts", options->contacts, "Contact windows to show")
      ->capture_default_str();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "node";
    if (options->hours < 0 || options->contacts < 0) {
      FailCommand(command, kExitUsage, "--hours and --contacts must be 0 or more");
    }
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    const TimePoint now = SchedulerTimeOrFail(command, *client);
    v1::ClientRequest request;
    request.mutable_get_node()->set_node_id(options->node_id);
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kNode, kListNodesHint);
    const NodeOutlook outlook =
        SummarizeNodeForecast(response.node(), now, options->hours, options->contacts);
    if (connection.output == OutputFormat::kTable) {
      PrintNodeDetail(std::cout, response.node(), outlook, now);
    } else {
      PrintStructured(std::cout, connection.output, NodeDetailJson(response.node(), outlook));
    }
  });
}

void AddNodeActionCommand(CLI::App& app, const std::string& name, v1::NodeAction action,
                          const std::string& description, const std::string& past_tense) {
  struct Options {
    ConnectionOptions connection;
    std::string node_id;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(name, description + " (operators only)");
  cmd->add_option("node", options->node_id, "Node id")->required();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options, name, action, past_tense] {
    const ResolvedConnection connection = ResolveOrFail(name, options->connection);
    auto client = ConnectOrFail(name, connection);
    v1::ClientRequest request;
    request.mutable_set_node_state()->set_node_id(options->node_id);
    request.mutable_set_node_state()->set_action(action);
    CallOrFail(name, *client, std::move(request), v1::ClientResponse::kDone, kListNodesHint);
    if (connection.output == OutputFormat::kTable) {
      std::cout << past_tense << " " << options->node_id << "\n";
    } else {
      PrintStructured(std::cout, connection.output,
                      {{"node_id", options->node_id}, {"action", name}, {"done", true}});
    }
  });
}

}  // namespace

void AddNodeCommands(CLI::App& app) {
  AddNodesCommand(app);
  AddNodeCommand(app);
  AddNodeActionCommand(app, "drain", v1::NODE_ACTION_DRAIN,
                       "Take nothing new on NODE and move its running work away at checkpoints",
                       "draining");
  AddNodeActionCommand(app, "cordon", v1::NODE_ACTION_CORDON,
                       "Take nothing new on NODE; running work continues", "cordoned");
  AddNodeActionCommand(app, "uncordon", v1::NODE_ACTION_UNCORDON,
                       "Let NODE take work again after cordon or drain", "uncordoned");
}

}  // namespace apsis::cli
