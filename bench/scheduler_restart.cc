// scheduler_restart: how long the real apsis-scheduler takes to come back on a large state.
//
//   build/bench/scheduler_restart [--nodes 10000] [--jobs 1000000] [--pending 0] [--repeats 3]
//                                 [--keep DIR] [--scheduler PATH]
//
// Writes the state through the daemon's own storage schema (scheduler/daemon/scheduler_state.cc:
// nodes/<id> = v1.StoredNode with a 24-hour forecast at 60 s steps, jobs/<id> = v1.JobStatus):
// `--nodes` ground nodes, `--jobs` jobs of which `--pending` are pending (re-queued into the
// planner on start) and the rest finished. Then, `--repeats` times, starts apsis-scheduler on it
// and measures from the spawn until the scheduler answers a client StatusRequest (store open,
// state rebuild into the planner, the first planning pass, sockets bound) and, with pending jobs,
// until its status shows none pending (all placed), and stops it with SIGTERM. Each run starts on
// a fresh copy of the written store, in the page cache (a restart, not a cold boot). `--keep DIR`
// writes the state into DIR and keeps it; a later run with the same DIR and sizes starts on it
// without writing it again. `--scheduler PATH` starts another apsis-scheduler binary (e.g. an
// older build, for a before/after comparison on the same store).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "apsis/v1/state.pb.h"
#include "bench_process.h"
#include "storage/rocksdb_store.h"
#include "transport/dealer_client.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
using apsis::bench::FreeLoopbackPort;
using apsis::v1::Envelope;

apsis::v1::StoredNode MakeNode(int i, int64_t now_us) {
  apsis::v1::StoredNode node;
  char id[32];
  std::snprintf(id, sizeof id, "node-%05d", i);
  apsis::bench::FillGroundNodeSpec(id, i, node.mutable_spec());
  node.set_admin_state(apsis::v1::NODE_STATE_READY);
  node.set_last_heard_us(now_us);
  auto* f = node.mutable_forecast();
  f->set_node_id(id);
  f->set_start_us(now_us - 60'000'000);
  f->set_step_us(60'000'000);
  f->set_revision(1);
  for (int s = 0; s < 24 * 60; ++s) {
    auto* step = f->add_steps();
    step->set_available_w(60'000);
    step->set_price_usd_per_kwh(0.05 + 0.1 * ((s / 60 + i) % 24) / 24.0);
  }
  return node;
}

apsis::v1::JobStatus MakeJob(int k, bool pending, int64_t now_us) {
  apsis::v1::JobStatus job;
  char id[32];
  std::snprintf(id, sizeof id, "job-%07d", k);
  auto* spec = job.mutable_spec();
  spec->set_id(id);
  spec->set_kind(apsis::v1::JOB_KIND_TRAINING);
  spec->set_gpus(1 + k % 4);
  spec->set_watts_per_gpu(700);
  spec->mutable_training()->set_gpu_hours(0.5 + k % 8);
  spec->mutable_training()->set_deferrable(k % 3 == 0);
  job.set_state(pending ? apsis::v1::JOB_STATE_PENDING : apsis::v1::JOB_STATE_SUCCEEDED);
  job.set_submitted_us(now_us - 3'600'000'000LL);
  job.set_updated_us(now_us - 60'000'000);
  job.set_attempts(pending ? 0 : 1);
  if (!pending) job.set_message("finished");
  return job;
}

// Seconds from `since` to the first log line of this run containing `what` (log timestamps are
// UTC RFC 3339 with microseconds), or -1.
double LogLineAfter(const std::string& log, std::chrono::system_clock::time_point since,
                    const std::string& what) {
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(what) == std::string::npos || line.size() < 27) continue;
    std::tm tm{};
    if (!strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) continue;
    const double t = double(timegm(&tm)) + std::atof(line.c_str() + 19);
    const double s = t - std::chrono::duration<double>(since.time_since_epoch()).count();
    if (s >= 0) return s;
  }
  return -1;
}

// CPU seconds (user + system) the process has used so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) {
      stime = std::atof(field.c_str());
      break;
    }
  }
  return (utime + stime) / double(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 10'000, jobs = 1'000'000, pending = 0, repeats = 3;
  std::string keep, binary = APSIS_SCHEDULER_BINARY;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--nodes")) nodes = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--pending")) pending = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--keep")) keep = argv[i + 1];
    if (!std::strcmp(argv[i], "--scheduler")) binary = argv[i + 1];
  }
  namespace fs = std::filesystem;
  const fs::path dir =
      !keep.empty() ? fs::path(keep)
                    : fs::temp_directory_path() / ("apsis-restart-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string sizes =
      std::to_string(nodes) + " " + std::to_string(jobs) + " " + std::to_string(pending);
  std::string kept_sizes;
  std::getline(std::ifstream(dir / "sizes"), kept_sizes);
  const bool reuse = !keep.empty() && kept_sizes == sizes;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();

  // The state, written as the daemon writes it.
  const auto write_start = SteadyClock::now();
  if (!reuse) {
    fs::remove_all(dir / "pristine");
    apsis::storage::RocksDbOptions options;
    options.path = (dir / "pristine").string();
    options.schema.cluster_id = "restart";
    auto store = apsis::storage::RocksDbStore::Open(options);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      return 1;
    }
    apsis::storage::WriteBatch batch;
    auto flush = [&] {
      auto written = (*store)->Write(batch);
      if (!written.ok()) {
        std::fprintf(stderr, "write: %s\n", written.status().ToString().c_str());
        std::exit(1);
      }
      batch = apsis::storage::WriteBatch();
    };
    for (int i = 0; i < nodes; ++i) {
      const apsis::v1::StoredNode node = MakeNode(i, now_us);
      batch.Put(apsis::storage::Column::kNodes, node.spec().id(), node.SerializeAsString());
      if (i % 500 == 499) flush();
    }
    flush();
    // Pending jobs spread evenly over the id range.
    const int every = pending > 0 ? std::max(1, jobs / pending) : 0;
    for (int k = 0; k < jobs; ++k) {
      const apsis::v1::JobStatus job =
          MakeJob(k, every && k % every == 0 && k / every < pending, now_us);
      batch.Put(apsis::storage::Column::kJobs, job.spec().id(), job.SerializeAsString());
      if (k % 10'000 == 9'999) flush();
    }
    flush();
  }
  if (!keep.empty()) std::ofstream(dir / "sizes") << sizes << "\n";
  uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "pristine")) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  std::printf(
      "scheduler_restart: %d nodes (24 h forecasts), %d jobs (%d pending), store %.0f MiB, "
      "%s in %.1f s\n",
      nodes, jobs, pending, double(bytes) / (1 << 20), reuse ? "reused" : "written",
      std::chrono::duration<double>(SteadyClock::now() - write_start).count());

  const int agent_port = FreeLoopbackPort(), client_port = FreeLoopbackPort(),
            metrics_port = FreeLoopbackPort();
  {
    std::ofstream cfg(dir / "scheduler.yaml");
    cfg << "cluster_id: restart\nstate_dir: " << (dir / "state").string() << "\nlog_level: info\n"
        << "agent_endpoint: tcp://127.0.0.1:" << agent_port << "\n"
        << "client_endpoint: tcp://127.0.0.1:" << client_port << "\n"
        << "metrics_listen: 127.0.0.1:" << metrics_port << "\n"
        << "security:\n  insecure: true\n"
        // No agents run here: keep their silence from marking nodes down during the measurement.
        << "agents:\n  heartbeat_interval: 1h\n";
  }
  const std::string config = (dir / "scheduler.yaml").string();
  const std::string log = (dir / "scheduler.log").string();
  std::fflush(stdout);
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    // Every run starts on the state as written: a start changes the store (pending jobs get
    // placed), so each run gets a fresh copy.
    fs::remove_all(dir / "state");
    fs::copy(dir / "pristine", dir / "state", fs::copy_options::recursive);
    const auto spawned = SteadyClock::now();
    const auto spawned_wall = std::chrono::system_clock::now();
    const pid_t pid = apsis::bench::SpawnScheduler(binary, config, log);
    if (pid < 0) return 1;
    boost::asio::io_context io;
    zmq::context_t zmq(1);
    apsis::transport::DealerClientOptions options;
    options.endpoint = "tcp://127.0.0.1:" + std::to_string(client_port);
    auto client =
        std::move(*apsis::transport::DealerClient::Create(io, zmq, options, [](Envelope&&) {}));
    bool answered = false, failed = false;
    Envelope request;
    request.mutable_client_request()->mutable_status();
    client->Request(request, std::chrono::seconds(300), [&](apsis::Result<Envelope> reply) {
      answered = reply.ok();
      failed = !reply.ok();
    });
    while (!answered && !failed) io.run_for(std::chrono::milliseconds(1));
    const double s = std::chrono::duration<double>(SteadyClock::now() - spawned).count();
    const double cpu = CpuSeconds(pid);
    // With pending jobs: until the status shows none pending (all placed), polled every 100 ms.
    double placed_after = -1, placed_cpu = -1;
    while (pending > 0 && !failed && placed_after < 0 &&
           SteadyClock::now() - spawned < std::chrono::seconds(600)) {
      bool done = false;
      client->Request(request, std::chrono::seconds(60), [&](apsis::Result<Envelope> reply) {
        done = true;
        if (!reply.ok()) {
          failed = true;
          return;
        }
        const auto& by_state = reply->client_response().status().jobs_by_state();
        auto it = by_state.find("JOB_STATE_PENDING");
        if (it == by_state.end() || it->second == 0) {
          placed_after = std::chrono::duration<double>(SteadyClock::now() - spawned).count();
          placed_cpu = CpuSeconds(pid);
        }
      });
      while (!done) io.run_for(std::chrono::milliseconds(1));
      if (placed_after < 0) io.run_for(std::chrono::milliseconds(100));
    }
    client.reset();
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    if (failed) {
      std::fprintf(stderr, "run %d: no answer (see %s)\n", r + 1, log.c_str());
      return 1;
    }
    std::printf(
        "  run %d: spawn to first answer %.2f s wall, %.2f s CPU (state loaded after "
        "%.2f s, listening after %.2f s)\n",
        r + 1, s, cpu, LogLineAfter(log, spawned_wall, "state loaded"),
        LogLineAfter(log, spawned_wall, "scheduler listening"));
    if (pending > 0) {
      std::printf("         every pending job placed after %.2f s wall, %.2f s CPU\n", placed_after,
                  placed_cpu);
    }
    std::fflush(stdout);
    seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("  median of %d: %.2f s\n", repeats, seconds[seconds.size() / 2]);
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}
