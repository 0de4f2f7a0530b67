#include "cli/scheduler_commands.h"

#include <iostream>
#include <memory>

#include "cli/job_views.h"
#include "cli/output_format.h"
#include "cli/scheduler_client.h"

namespace apsis::cli {
namespace {

void AddStatusCommand(CLI::App& app) {
  auto options = std::make_shared<ConnectionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "status", "The scheduler's version, cluster, clock, node count and jobs by state");
  AddConnectionOptions(*cmd, *options);
  cmd->callback([options] {
    const std::string command = "status";
    const ResolvedConnection connection = ResolveOrFail(command, *options);
    auto client = ConnectOrFail(command, connection);
    v1::ClientRequest request;
    request.mutable_status();
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kStatus);
    if (connection.output == OutputFormat::kTable) {
      PrintSchedulerStatus(std::cout, response.status());
    } else {
      PrintStructured(std::cout, connection.output, SchedulerStatusJson(response.status()));
    }
  });
}

void AddEventsCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::string since;
    std::string job_id;
    uint32_t limit = 1000;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "events", "The scheduler's event log, oldest first: submissions, placements, node actions");
  cmd->add_option("--since", options->since,
                  "From this RFC 3339 time or this long ago (e.g. 90m, 2d); default: 24h ago, or "
                  "the job's whole history with --job");
  cmd->add_option("--job", options->job_id, "Only the events of this job");
  cmd->add_option("--limit", options->limit, "At most this many events")->capture_default_str();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "events";
    if (options->limit == 0) FailCommand(command, kExitUsage, "--limit must be at least 1");
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    std::optional<TimePoint> since;
    if (!options->since.empty() || options->job_id.empty()) {
      const TimePoint now = SchedulerTimeOrFail(command, *client);
      auto parsed = ParseTimeOrDurationAgo(options->since.empty() ? "24h" : options->since, now);
      if (!parsed.ok()) FailCommand(command, kExitUsage, "--since: " + parsed.status().message());
      since = *parsed;
    }
    v1::ClientRequest request;
    v1::ListEventsRequest* query = request.mutable_events();
    query->set_job_id(options->job_id);
    query->set_limit(options->limit);
    if (since) query->set_from_us(since->micros());
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kEvents);
    // The scheduler ignores the time range when a job is given; apply it here.
    if (since && !options->job_id.empty()) {
      v1::EventList kept;
      for (const v1::EventRecord& e : response.events().events())
        if (e.at_us() >= since->micros()) *kept.add_events() = e;
      *response.mutable_events() = std::move(kept);
    }
    if (connection.output == OutputFormat::kTable) {
      PrintEventsTable(std::cout, response.events());
    } else {
      PrintStructured(std::cout, connection.output, EventListJson(response.events()));
    }
  });
}

}  // namespace

void AddBackupCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::string dir;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "backup",
      "Write an online copy of the scheduler's state into DIR on the scheduler's host (operators "
      "only); restore by starting the scheduler with state_dir pointing at a copy of DIR");
  cmd->add_option("dir", options->dir, "Absolute directory on the scheduler's host; must not exist")
      ->required();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "backup";
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    v1::ClientRequest request;
    request.mutable_backup()->set_dir(options->dir);
    CallOrFail(command, *client, std::move(request), v1::ClientResponse::kDone);
    std::cout << "backup written to " << options->dir << " on the scheduler's host\n";
  });
}

void AddSchedulerCommands(CLI::App& app) {
  AddStatusCommand(app);
  AddEventsCommand(app);
  AddBackupCommand(app);
}

}  // namespace apsis::cli
