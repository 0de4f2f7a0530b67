#include "cli/job_commands.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <regex>
#include <set>

#include "cli/job_spec_file.h"
#include "cli/job_views.h"
#include "cli/output_format.h"
#include "cli/scheduler_client.h"

namespace apsis::cli {
namespace {

constexpr const char* kListJobsHint = "list jobs with `apsisctl jobs`";

// Where each submitted job came from, so that the scheduler's "jobs[3].gpus: ..." can be traced
// back to a file and a name.
struct SubmittedJob {
  v1::JobSpec spec;
  std::string file;
};

std::string JobLegend(const std::string& problems, const std::vector<SubmittedJob>& jobs) {
  static const std::regex kJobIndex(R"(jobs\[(\d+)\])");
  std::set<size_t> indexes;
  for (auto it = std::sregex_iterator(problems.begin(), problems.end(), kJobIndex);
       it != std::sregex_iterator(); ++it) {
    indexes.insert(std::stoul((*it)[1].str()));
  }
  std::string legend;
  for (size_t i : indexes) {
    if (i >= jobs.size()) continue;
    legend += "\n  (jobs[" + std::to_string(i) + "] is '" + jobs[i].spec.name() + "' in " +
              jobs[i].file + ")";
  }
  return legend;
}

void AddSubmitCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::vector<std::string> files;
    bool dry_run = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "submit",
      "Submit the jobs of one or more job spec files (all or nothing); prints the assigned ids");
  cmd->add_option("-f,--file", options->files,
                  "Job spec YAML (one or many documents; '-' reads stdin); see "
                  "configs/jobs/example-jobs.yaml")
      ->required();
  cmd->add_flag("--dry-run", options->dry_run,
                "Check the files and print the jobs as they would be sent, without submitting");
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "submit";
    std::vector<SubmittedJob> jobs;
    for (const std::string& file : options->files) {
      auto specs = LoadJobSpecFile(file);
      if (!specs.ok()) FailCommand(command, kExitUsage, specs.status().message());
      for (v1::JobSpec& spec : *specs) jobs.push_back({std::move(spec), file});
    }
    std::vector<v1::JobSpec> specs;
    for (const SubmittedJob& job : jobs) specs.push_back(job.spec);

    if (options->dry_run) {
      auto format = ParseOutputFormat(options->connection.output);
      if (!format.ok()) FailCommand(command, kExitUsage, format.status().message());
      if (*format == OutputFormat::kTable) {
        for (const SubmittedJob& job : jobs) {
          std::cout << "ok " << (job.spec.id().empty() ? "(id assigned on submit)" : job.spec.id())
                    << " " << job.spec.name() << " (" << JobKindName(job.spec.kind()) << ", "
                    << job.spec.gpus() << (job.spec.gpus() == 1 ? " GPU) from " : " GPUs) from ")
                    << job.file << "\n";
        }
      } else {
        nlohmann::json list = nlohmann::json::array();
        for (const v1::JobSpec& spec : specs) list.push_back(JobSpecJson(spec));
        PrintStructured(std::cout, *format, {{"jobs", std::move(list)}});
      }
      return;
    }

    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    v1::ClientRequest request;
    for (const v1::JobSpec& spec : specs) *request.mutable_submit()->add_jobs() = spec;
    auto response = client->Call(std::move(request));
    if (!response.ok()) {
      const Status& status = response.status();
      std::string message = WithSpecFileKeys(status.message());
      if (status.code() == StatusCode::kInvalidArgument) {
        message = "the scheduler refused the submission, nothing was submitted: " + message +
                  JobLegend(message, jobs) + "\nfix the job spec file(s) and submit again";
      } else if (status.code() != StatusCode::kDeadlineExceeded) {
        message = "refused by the scheduler (" + std::string(StatusCodeName(status.code())) +
                  "): " + message;
      }
      FailCommand(command, ExitCodeForCallFailure(status), message);
    }
    if (response->response_case() != v1::ClientResponse::kSubmitted) {
      FailCommand(command, kExitRefused, "the scheduler answered a submit with something else");
    }
    if (connection.output == OutputFormat::kTable) {
      PrintSubmitted(std::cout, specs, response->submitted());
    } else {
      PrintStructured(std::cout, connection.output, SubmittedJson(specs, response->submitted()));
    }
  });
}

void AddJobsCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::vector<std::string> states;
    std::string node;
    std::string kind;
    std::string owner;
    uint32_t limit = 0;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("jobs", "List jobs, optionally filtered");
  cmd->add_option("--state", options->states,
                  "Only jobs in these states (comma-separated): pending, placed, starting, "
                  "running, checkpointing, suspended, succeeded, failed, cancelled, lost")
      ->delimiter(',');
  cmd->add_option("--node", options->node, "Only jobs placed on this node");
  cmd->add_option("--kind", options->kind, "Only training or only inference jobs");
  cmd->add_option("--owner", options->owner, "Only jobs of this owner (submitter's key name)");
  cmd->add_option("--limit", options->limit, "At most this many jobs (0: all)");
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "jobs";
    v1::ClientRequest request;
    v1::ListJobsRequest* list = request.mutable_list_jobs();
    for (const std::string& name : options->states) {
      auto state = ParseJobState(name);
      if (!state.ok()) FailCommand(command, kExitUsage, "--state: " + state.status().message());
      list->add_states(*state);
    }
    std::optional<v1::JobKind> kind;
    if (!options->kind.empty()) {
      auto parsed = ParseJobKind(options->kind);
      if (!parsed.ok()) FailCommand(command, kExitUsage, "--kind: " + parsed.status().message());
      kind = *parsed;
    }
    list->set_owner(options->owner);
    // The protocol filters by state and owner only; node and kind are filtered here, so the
    // limit must be applied after them.
    const bool filters_here = kind.has_value() || !options->node.empty();
    list->set_limit(filters_here ? 0 : options->limit);

    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kJobs);
    std::vector<v1::JobStatus> jobs;
    for (v1::JobStatus& job : *response.mutable_jobs()->mutable_jobs()) {
      if (kind && job.spec().kind() != *kind) continue;
      if (!options->node.empty() && job.placement().node_id() != options->node) continue;
      if (options->limit > 0 && jobs.size() >= options->limit) break;
      jobs.push_back(std::move(job));
    }
    if (connection.output == OutputFormat::kTable) {
      PrintJobsTable(std::cout, jobs);
    } else {
      PrintStructured(std::cout, connection.output, JobListJson(jobs));
    }
  });
}

void AddJobCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::string job_id;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("job", "Show one job: spec, state, placement and cost");
  cmd->add_option("id", options->job_id, "Job id, e.g. job-000042")->required();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "job";
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    v1::ClientRequest request;
    request.mutable_get_job()->set_job_id(options->job_id);
    v1::ClientResponse response =
        CallOrFail(command, *client, std::move(request), v1::ClientResponse::kJob, kListJobsHint);
    if (connection.output == OutputFormat::kTable) {
      PrintJobDetail(std::cout, response.job());
    } else {
      PrintStructured(std::cout, connection.output, JobStatusJson(response.job()));
    }
  });
}

void AddExplainCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::string job_id;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Why a job is where it is: candidate nodes, start, cost breakdown, rejections");
  cmd->add_option("id", options->job_id, "Job id")->required();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "explain";
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    v1::ClientRequest request;
    request.mutable_explain()->set_job_id(options->job_id);
    v1::ClientResponse response = CallOrFail(command, *client, std::move(request),
                                             v1::ClientResponse::kExplanation, kListJobsHint);
    if (connection.output == OutputFormat::kTable) {
      PrintExplanation(std::cout, response.explanation());
    } else {
      PrintStructured(std::cout, connection.output, ExplanationJson(response.explanation()));
    }
  });
}

void AddCancelCommand(CLI::App& app) {
  struct Options {
    ConnectionOptions connection;
    std::vector<std::string> job_ids;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "cancel", "Cancel jobs; a running job is stopped on its node without a checkpoint");
  cmd->add_option("ids", options->job_ids, "Job ids")->required();
  AddConnectionOptions(*cmd, options->connection);
  cmd->callback([options] {
    const std::string command = "cancel";
    const ResolvedConnection connection = ResolveOrFail(command, options->connection);
    auto client = ConnectOrFail(command, connection);
    // Every id is tried even after a failure, so one bad id does not keep the others running;
    // the exit code is the most serious failure's.
    int exit_code = kExitOk;
    nlohmann::json cancelled = nlohmann::json::array();
    nlohmann::json failed = nlohmann::json::array();
    for (const std::string& id : options->job_ids) {
      v1::ClientRequest request;
      request.mutable_cancel()->set_job_id(id);
      auto response = client->Call(std::move(request));
      if (response.ok() && response->response_case() == v1::ClientResponse::kDone) {
        cancelled.push_back(id);
        if (connection.output == OutputFormat::kTable) std::cout << "cancelled " << id << "\n";
        continue;
      }
      const Status status =
          response.ok() ? InternalError("unexpected kind of answer to cancel") : response.status();
      std::string message = status.message();
      if (status.code() == StatusCode::kNotFound)
        message += std::string(" (") + kListJobsHint + ")";
      std::cerr << "apsisctl cancel: " << id << ": " << message << "\n";
      failed.push_back({{"id", id}, {"error", message}});
      exit_code = std::max(exit_code, ExitCodeForCallFailure(status));
    }
    if (connection.output != OutputFormat::kTable) {
      PrintStructured(std::cout, connection.output,
                      {{"cancelled", std::move(cancelled)}, {"failed", std::move(failed)}});
    }
    if (exit_code != kExitOk) throw CLI::RuntimeError(exit_code);
  });
}

}  // namespace

void AddJobCommands(CLI::App& app) {
  AddSubmitCommand(app);
  AddJobsCommand(app);
  AddJobCommand(app);
  AddExplainCommand(app);
  AddCancelCommand(app);
}

}  // namespace apsis::cli
