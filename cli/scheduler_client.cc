#include "cli/scheduler_client.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common/time.h"
#include "transport/curve_keys.h"

namespace apsis::cli {
namespace {

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home && *home ? home : ".";
}

// "~/.config/apsis/client.key" rather than "/home/alice/.config/apsis/client.key".
std::string ForDisplay(const std::string& path) {
  const std::string home = HomeDir();
  if (home != "." && path.rfind(home + "/", 0) == 0) return "~" + path.substr(home.size());
  return path;
}

std::string KeyDirectoryForDisplay(const std::string& key_path) {
  std::string dir = std::filesystem::path(key_path).parent_path().string();
  return ForDisplay(dir.empty() ? "." : dir);
}

std::string SenderName() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "apsisctl";
}

}  // namespace

void AddConnectionOptions(CLI::App& command, ConnectionOptions& options) {
  command
      .add_option("--scheduler", options.scheduler,
                  "The scheduler's client endpoint, e.g. tcp://sched.example:7701")
      ->envname("APSIS_SCHEDULER")
      ->capture_default_str();
  command.add_option("--key", options.key_path,
                     "This client's CURVE key file (default ~/.config/apsis/client.key)");
  command.add_option("--server-key", options.server_key_path,
                     "The scheduler's public key file (default ~/.config/apsis/scheduler.pub)");
  command.add_flag("--insecure", options.insecure,
                   "No CURVE: only for a scheduler started with --insecure (development)");
  command.add_option("--timeout", options.timeout, "How long to wait for an answer (e.g. 10s, 2m)")
      ->capture_default_str();
  command.add_option("-o,--output", options.output, "Output format: table, json or yaml")
      ->capture_default_str();
}

std::string DefaultKeyPath(const std::string& file_name) {
  return HomeDir() + "/.config/apsis/" + file_name;
}

Result<ResolvedConnection> ResolveConnection(const ConnectionOptions& options) {
  ResolvedConnection out;
  ASSIGN_OR_RETURN(out.output, ParseOutputFormat(options.output));
  auto timeout = ParseDuration(options.timeout);
  if (!timeout.ok() || timeout->count() <= 0) {
    return InvalidArgumentError("--timeout '" + options.timeout +
                                "' is not a positive duration: write e.g. 500ms, 10s or 2m");
  }
  out.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
  if (out.timeout.count() == 0) out.timeout = std::chrono::milliseconds(1);
  if (options.scheduler.find("://") == std::string::npos) {
    return InvalidArgumentError("--scheduler '" + options.scheduler +
                                "' is not a ZeroMQ endpoint: give the scheduler's client "
                                "endpoint, e.g. tcp://host:7701");
  }
  out.dealer.endpoint = options.scheduler;
  // A client waits for one answer; long reconnect backoffs would only eat into its timeout.
  out.dealer.reconnect_min = std::chrono::milliseconds(100);
  out.dealer.reconnect_max = std::chrono::milliseconds(1000);
  if (options.insecure) return out;

  const std::string key_path =
      options.key_path.empty() ? DefaultKeyPath("client.key") : options.key_path;
  const std::string server_key_path =
      options.server_key_path.empty() ? DefaultKeyPath("scheduler.pub") : options.server_key_path;
  std::error_code ec;
  if (!std::filesystem::exists(key_path, ec)) {
    const std::string name = std::filesystem::path(key_path).stem().string();
    return NotFoundError("no client key at " + ForDisplay(key_path) +
                         ": create one with `apsisctl keygen " + name + " -d " +
                         KeyDirectoryForDisplay(key_path) + "` and ask an operator to add " + name +
                         ".pub to the scheduler's allowlist, or pass --key (or --insecure for a "
                         "scheduler started with --insecure)");
  }
  if (!std::filesystem::exists(server_key_path, ec)) {
    return NotFoundError("no scheduler public key at " + ForDisplay(server_key_path) +
                         ": copy the scheduler's scheduler.pub there (ask its operator), or pass "
                         "--server-key");
  }
  auto keys = transport::LoadCurveKeyPair(key_path);
  if (!keys.ok()) return keys.status().WithContext("client key " + ForDisplay(key_path));
  auto server_key = transport::LoadCurvePublicKey(server_key_path);
  if (!server_key.ok()) {
    return server_key.status().WithContext("scheduler key " + ForDisplay(server_key_path));
  }
  out.dealer.curve = std::move(*keys);
  out.dealer.server_public_key = std::move(*server_key);
  return out;
}

int ExitCodeForCallFailure(const Status& status) {
  return status.code() == StatusCode::kDeadlineExceeded ? kExitUnreachable : kExitRefused;
}

SchedulerClient::SchedulerClient(const ResolvedConnection& connection)
    : connection_(connection), sender_(SenderName()) {}

SchedulerClient::~SchedulerClient() { dealer_.reset(); }

Result<std::unique_ptr<SchedulerClient>> SchedulerClient::Connect(
    const ResolvedConnection& connection) {
  std::unique_ptr<SchedulerClient> client(new SchedulerClient(connection));
  client->zmq_context_ = std::make_unique<zmq::context_t>(1);
  auto dealer = transport::DealerClient::Create(client->io_, *client->zmq_context_,
                                                connection.dealer, [](v1::Envelope&&) {
                                                  // Clients get only answers; anything else
                                                  // (a late answer to a timed-out request) is
                                                  // of no use.
                                                });
  if (!dealer.ok()) return dealer.status();
  client->dealer_ = std::move(*dealer);
  return client;
}

Result<v1::ClientResponse> SchedulerClient::Call(v1::ClientRequest request) {
  v1::Envelope envelope;
  envelope.set_sender(sender_);
  envelope.set_sent_at_us(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  *envelope.mutable_client_request() = std::move(request);
  std::optional<Result<v1::Envelope>> answer;
  dealer_->Request(std::move(envelope), connection_.timeout, [&](Result<v1::Envelope> result) {
    answer.emplace(std::move(result));
    io_.stop();
  });
  io_.restart();
  io_.run();
  if (!answer) return InternalError("the client stopped before an answer or timeout arrived");
  if (!answer->ok()) {
    const Status& status = answer->status();
    if (status.code() == StatusCode::kDeadlineExceeded) {
      return DeadlineExceededError(
          "no answer from " + connection_.dealer.endpoint + " within " +
          (connection_.timeout.count() % 1000 != 0
               ? std::to_string(connection_.timeout.count()) + "ms"
               : FormatDuration(std::chrono::duration_cast<Duration>(connection_.timeout))) +
          ": is apsis-scheduler running there (check --scheduler or APSIS_SCHEDULER)? " +
          (connection_.dealer.curve
               ? "Is this client's public key in the scheduler's operators or submitters "
                 "allowlist, and is --server-key the scheduler's current public key? "
               : "--insecure works only with a scheduler started with --insecure. ") +
          "A slow link may need a longer --timeout.");
    }
    return status;
  }
  if (!(*answer)->has_client_response()) {
    return InternalError(
        "the scheduler answered with something other than a ClientResponse; "
        "are apsisctl and apsis-scheduler of compatible versions?");
  }
  return std::move(*(*answer)->mutable_client_response());
}

ResolvedConnection ResolveOrFail(const std::string& command, const ConnectionOptions& options) {
  auto resolved = ResolveConnection(options);
  if (!resolved.ok()) FailCommand(command, kExitUsage, resolved.status().message());
  return std::move(*resolved);
}

std::unique_ptr<SchedulerClient> ConnectOrFail(const std::string& command,
                                               const ResolvedConnection& connection) {
  auto client = SchedulerClient::Connect(connection);
  if (!client.ok()) FailCommand(command, kExitUsage, client.status().message());
  return std::move(*client);
}

v1::ClientResponse CallOrFail(const std::string& command, SchedulerClient& client,
                              v1::ClientRequest request, v1::ClientResponse::ResponseCase expected,
                              const std::string& not_found_hint) {
  auto response = client.Call(std::move(request));
  if (!response.ok()) {
    const Status& status = response.status();
    std::string message = status.message();
    if (status.code() == StatusCode::kNotFound && !not_found_hint.empty()) {
      message += " (" + not_found_hint + ")";
    }
    if (status.code() != StatusCode::kDeadlineExceeded) {
      message = "refused by the scheduler (" + std::string(StatusCodeName(status.code())) +
                "): " + message;
    }
    FailCommand(command, ExitCodeForCallFailure(status), message);
  }
  // The scheduler sets a list response only when it adds an element to it, so an empty list
  // arrives as an empty ClientResponse.
  const bool empty_list =
      response->response_case() == v1::ClientResponse::RESPONSE_NOT_SET &&
      (expected == v1::ClientResponse::kNodes || expected == v1::ClientResponse::kJobs ||
       expected == v1::ClientResponse::kEvents);
  if (response->response_case() != expected && !empty_list) {
    FailCommand(command, kExitRefused,
                "the scheduler answered with an unexpected kind of response; are apsisctl and "
                "apsis-scheduler of compatible versions?");
  }
  return std::move(*response);
}

TimePoint SchedulerTimeOrFail(const std::string& command, SchedulerClient& client) {
  v1::ClientRequest request;
  request.mutable_status();
  v1::ClientResponse response =
      CallOrFail(command, client, std::move(request), v1::ClientResponse::kStatus);
  return TimePoint::FromMicros(response.status().now_us());
}

void FailCommand(const std::string& command, int exit_code, const std::string& message) {
  std::cerr << "apsisctl " << command << ": " << message << "\n";
  throw CLI::RuntimeError(exit_code);
}

}  // namespace apsis::cli
