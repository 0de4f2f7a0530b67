// The connection every apsisctl client command shares: its options (--scheduler, --key,
// --server-key, --insecure, --timeout, -o), key loading with errors that say what to do, one
// request/answer exchange with the scheduler's client endpoint, and the exit codes.
//
// Exit codes: 0 done; 1 the scheduler refused the request (invalid argument, not found,
// permission, precondition, ...); 2 usage or local file error (bad option value, missing key or
// job spec file); 3 the scheduler did not answer in time (not running, wrong address, key not
// allowlisted, or CURVE/--insecure mismatch: ZeroMQ drops such connections silently).
//
// A SchedulerClient runs its own io_context on the calling thread; not thread-safe.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio users: Boost 1.74 misses it under C++20

#include "apsis/v1/client.pb.h"
#include "cli/output_format.h"
#include "common/status.h"
#include "common/time.h"
#include "transport/dealer_client.h"

namespace apsis::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

inline constexpr const char* kDefaultSchedulerEndpoint = "tcp://127.0.0.1:7701";

// Flag values as given on the command line; empty paths mean the defaults under
// ~/.config/apsis/.
struct ConnectionOptions {
  std::string scheduler = kDefaultSchedulerEndpoint;
  std::string key_path;
  std::string server_key_path;
  bool insecure = false;
  std::string timeout = "10s";
  std::string output = "table";
};

// Adds the shared options to a client command. `options` must outlive the parse.
void AddConnectionOptions(CLI::App& command, ConnectionOptions& options);

// ~/.config/apsis/NAME (from $HOME), shown with "~" in messages.
std::string DefaultKeyPath(const std::string& file_name);

// Checks the flags and loads the keys: INVALID_ARGUMENT for a bad timeout or output format,
// NOT_FOUND (with the keygen command to run) for missing key files, other errors of the key files
// as they come. All of these are local problems (exit code 2).
struct ResolvedConnection {
  transport::DealerClientOptions dealer;
  std::chrono::milliseconds timeout{10'000};
  OutputFormat output = OutputFormat::kTable;
};
Result<ResolvedConnection> ResolveConnection(const ConnectionOptions& options);

// The exit code for a failed Call: 3 when the scheduler did not answer in time, else 1.
int ExitCodeForCallFailure(const Status& status);

class SchedulerClient {
 public:
  // Creates the DEALER socket (ZeroMQ connects lazily, so this does not wait for the scheduler).
  static Result<std::unique_ptr<SchedulerClient>> Connect(const ResolvedConnection& connection);
  ~SchedulerClient();
  SchedulerClient(const SchedulerClient&) = delete;
  SchedulerClient& operator=(const SchedulerClient&) = delete;

  // Sends one request and waits for its answer or the timeout (DEADLINE_EXCEEDED, with advice).
  // The scheduler's Error replies come back as their status, every detail on its own line.
  Result<v1::ClientResponse> Call(v1::ClientRequest request);

 private:
  explicit SchedulerClient(const ResolvedConnection& connection);

  ResolvedConnection connection_;
  std::string sender_;
  boost::asio::io_context io_;
  std::unique_ptr<zmq::context_t> zmq_context_;
  std::unique_ptr<transport::DealerClient> dealer_;  // destroyed before the contexts
};

// The steps of every client command, ending the command with the right exit code and message on
// failure. `not_found_hint` is appended to NOT_FOUND answers (e.g. "list jobs with `apsisctl
// jobs`").
ResolvedConnection ResolveOrFail(const std::string& command, const ConnectionOptions& options);
std::unique_ptr<SchedulerClient> ConnectOrFail(const std::string& command,
                                               const ResolvedConnection& connection);
v1::ClientResponse CallOrFail(const std::string& command, SchedulerClient& client,
                              v1::ClientRequest request, v1::ClientResponse::ResponseCase expected,
                              const std::string& not_found_hint = "");
// The scheduler's clock reading (a Status request): forecasts and events are on its time line,
// which in emulations is a scaled clock far from this machine's.
TimePoint SchedulerTimeOrFail(const std::string& command, SchedulerClient& client);

// Prints "apsisctl COMMAND: message" to stderr and ends the command with `exit_code` (through
// CLI11, so main returns it).
[[noreturn]] void FailCommand(const std::string& command, int exit_code,
                              const std::string& message);

}  // namespace apsis::cli
