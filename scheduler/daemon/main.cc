// apsis-scheduler: the central scheduler daemon.
//   apsis-scheduler --config scheduler.yaml [--insecure] [--log-level info]
// SIGTERM/SIGINT: stop taking requests, write what is queued, exit 0. SIGHUP: reload allowlists,
// policy and cost weights from the same file without dropping connections.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>  // before Boost.Asio: Boost 1.74 misses it under C++20

#include "common/clock.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "scheduler/daemon/scheduler_config.h"
#include "scheduler/daemon/scheduler_service.h"
#include "storage/event_log.h"
#include "storage/faulty_store.h"
#include "storage/rocksdb_store.h"

namespace {

std::unique_ptr<apsis::Clock> MakeClock(const apsis::daemon::ClockConfig& c) {
  if (c.mode == "scaled")
    return std::make_unique<apsis::ScaledClock>(c.epoch, c.factor, c.real_start);
  return std::make_unique<apsis::SystemClock>();
}

int Run(const std::string& config_path, bool insecure_flag, const std::string& log_level_flag,
        const std::string& restore_from) {
  using namespace apsis;
  auto config = daemon::LoadSchedulerConfig(config_path);
  if (!config.ok()) {
    std::cerr << "apsis-scheduler: " << config.status().message() << "\n";
    return 2;
  }
  if (!restore_from.empty()) {
    // Offline restore of a backup made by `apsisctl backup` into the (empty) state_dir.
    Status restored = storage::RestoreBackup(restore_from, config->state_dir);
    if (!restored.ok()) {
      std::cerr << "apsis-scheduler: restore failed: " << restored.message() << "\n";
      return 1;
    }
    std::cout << "restored " << restore_from << " into " << config->state_dir
              << "; start the scheduler without --restore-from\n";
    return 0;
  }
  if (insecure_flag) config->security.insecure = true;
  auto level = ParseLogLevel(log_level_flag.empty() ? config->log_level : log_level_flag);
  if (!level.ok()) {
    std::cerr << "apsis-scheduler: " << level.status().message() << "\n";
    return 2;
  }
  InitLogging(*level, "apsis-scheduler");
  std::unique_ptr<Clock> clock = MakeClock(config->clock);

  storage::RocksDbOptions store_options;
  store_options.path = config->state_dir;
  store_options.schema.cluster_id = config->cluster_id;
  auto store = storage::RocksDbStore::Open(store_options);
  if (!store.ok()) {
    LogError("cannot open the state store", {{"error", store.status().ToString()}});
    return 1;
  }
  // Fault injection for the reliability tests (tests/faults/): with APSIS_FAULT_DISK_FULL_FILE set,
  // every write fails as on a full disk while that file exists, so a test can fill and free the
  // "disk" under a running scheduler without a real small filesystem.
  storage::Store* state_store = store->get();
  std::unique_ptr<storage::FaultyStore> faulty_store;
  const char* disk_full_file = std::getenv("APSIS_FAULT_DISK_FULL_FILE");
  if (disk_full_file != nullptr && *disk_full_file != '\0') {
    faulty_store = std::make_unique<storage::FaultyStore>(**store);
    state_store = faulty_store.get();
    LogWarn("fault injection on: writes fail as on a full disk while this file exists",
            {{"file", disk_full_file}});
  }
  auto endpoint = metrics::PrometheusEndpoint::Create(config->metrics_listen);
  if (!endpoint.ok()) {
    LogError("cannot start the metrics endpoint", {{"error", endpoint.status().message()}});
    return 1;
  }
  LogInfo("metrics endpoint", {{"url", "http://" + config->metrics_listen + "/metrics"},
                               {"port", Kv((*endpoint)->port())}});
  (*endpoint)->registry().GetGauge("apsis_up", "1 while the scheduler runs").Set(1);

  boost::asio::io_context io;
  zmq::context_t zmq_context(1);
  auto service = daemon::SchedulerService::Create(
      {io, *clock, zmq_context, *state_store, (*endpoint)->registry()}, *config);
  if (!service.ok()) {
    LogError("cannot create the scheduler", {{"error", service.status().ToString()}});
    return 1;
  }
  if (Status started = (*service)->Start(); !started.ok()) {
    LogError("cannot start the scheduler", {{"error", started.ToString()}});
    return 1;
  }

  boost::asio::steady_timer fault_timer(io);
  std::function<void()> poll_faults = [&] {
    std::error_code ignored;
    faulty_store->SetDiskFull(std::filesystem::exists(disk_full_file, ignored));
    fault_timer.expires_after(std::chrono::milliseconds(20));
    fault_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) poll_faults();
    });
  };
  if (faulty_store) poll_faults();

  // Event-log retention, at start and then hourly.
  boost::asio::steady_timer retention_timer(io);
  std::function<void()> retain = [&] {
    storage::RetentionPolicy policy;
    policy.max_age = Hours(24.0 * config->events.retention_days);
    policy.max_events = static_cast<uint64_t>(config->events.retention_events);
    auto result = storage::ApplyEventRetention(*state_store, policy, *clock);
    if (!result.ok()) {
      LogWarn("event retention failed", {{"error", result.status().message()}});
    } else if (result->deleted_events > 0) {
      LogInfo("old events deleted", {{"count", Kv(result->deleted_events)}});
    }
    retention_timer.expires_after(std::chrono::hours(1));
    retention_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) retain();
    });
  };
  retain();

  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    LogInfo("signal received, stopping", {{"signal", Kv(signal)}});
    (*service)->Shutdown();
    retention_timer.cancel();
    fault_timer.cancel();
    io.stop();
  });
  boost::asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      auto fresh = daemon::LoadSchedulerConfig(config_path);
      if (!fresh.ok()) {
        LogError("reload refused: config has errors; keeping the running one",
                 {{"error", fresh.status().message()}});
      } else {
        if (insecure_flag) fresh->security.insecure = true;
        Status reloaded = (*service)->Reload(*fresh);
        if (reloaded.ok()) {
          LogInfo("configuration reloaded");
        } else {
          LogError("reload failed; keeping the running configuration",
                   {{"error", reloaded.message()}});
        }
      }
      wait_reload();
    });
  };
  wait_reload();

  io.run();
  service->reset();
  faulty_store.reset();
  store->reset();
  LogInfo("scheduler stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"apsis-scheduler: places AI jobs across ground data centres and orbital clusters"};
  std::string config_path, log_level;
  bool insecure = false;
  app.add_option("-c,--config", config_path, "scheduler.yaml (see configs/scheduler.yaml)")
      ->required();
  app.add_flag("--insecure", insecure,
               "No CURVE encryption or authentication: local development only");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error (overrides the config)");
  std::string restore_from;
  app.add_option(
      "--restore-from", restore_from,
      "Restore a backup (apsisctl backup DIR) into the config's empty state_dir, then exit");
  app.set_version_flag("--version", std::string("apsis-scheduler ") + APSIS_VERSION);
  CLI11_PARSE(app, argc, argv);
  return Run(config_path, insecure, log_level, restore_from);
}
