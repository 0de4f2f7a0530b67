// storage_bench: durable throughput and restart time of the RocksDB state store.
//
//   submit   acknowledged durable job submissions per second (job record + "submitted" event, each
//            acknowledged only after its group's synced WAL write) with 1, 8 and 64 threads
//            calling GroupCommitter::Commit; an event loop with the background writer serving
//            1/8/64/1000 clients that each resubmit once acknowledged (the daemon's set-up); and
//            an event loop that writes on the loop, submitting a burst per turn.
//   rebuild  load 1,000,000 jobs (~250 B values) and 10,000 nodes, close, then time reopen + a
//            full scan of nodes, jobs and placements into hash maps (the daemon's state rebuild);
//            once after a clean close and once with the memtables left in the WAL (as after kill
//            -9).
//
// Plain timing with std::chrono::steady_clock (the phases are long, multi-threaded and stateful,
// which Google Benchmark's repetition model does not fit); data goes to a fresh directory under
// --dir (default /tmp) that is removed at the end.
//
// Usage: storage_bench [--phase=all|submit|rebuild] [--seconds=3] [--jobs=1000000]
//                      [--nodes=10000] [--dir=/tmp]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/group_committer.h"
#include "storage/rocksdb_store.h"

namespace {

using apsis::storage::Column;
using apsis::storage::CommitInfo;
using apsis::storage::GroupCommitter;
using apsis::storage::RocksDbOptions;
using apsis::storage::RocksDbStore;
using apsis::storage::ScanRange;
using apsis::storage::WriteBatch;
using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::string phase = "all";
  double seconds = 3;
  int jobs = 1'000'000;
  int nodes = 10'000;
  std::string dir = "/tmp";
  std::string path;   // --phase=reopen: the store to reopen
  std::string label;  // --phase=reopen: what to call the measurement
  int threads = 1;    // --phase=reopen: rebuild threads
};

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// A value shaped like a serialized job: tagged fields, ids, numbers and some high-entropy bytes,
// ~250 bytes. Compresses about as well as real protobuf (not like a run of one letter).
std::string JobValue(uint64_t id, std::mt19937_64& rng) {
  static const char* kKinds[] = {"training", "inference"};
  static const char* kGpus[] = {"h100", "a100", "l40s", "mi300x"};
  std::string v;
  v.reserve(300);
  v += "\x0a\x10job-" + std::to_string(id);
  v += "\x12\x09";
  v += kKinds[id % 2];
  v += "\x1a\x06";
  v += kGpus[rng() % 4];
  v += "\x20" + std::to_string(1 + rng() % 64);
  v += "\x2a\x20/models/llm-" + std::to_string(rng() % 1000) + "/ckpt/step-" +
       std::to_string(rng() % 100000);
  v += "\x32\x18user-" + std::to_string(rng() % 5000) + "@example.org";
  v += "\x3a\x0fregion-eu-west-" + std::to_string(rng() % 4);
  while (v.size() < 250) v.push_back(static_cast<char>(rng()));  // hashes, uuids, payload
  return v;
}

std::string JobKey(uint64_t id) {
  char key[32];
  std::snprintf(key, sizeof key, "j-%016llx",
                static_cast<unsigned long long>(id * 0x9E3779B97F4A7C15ull));  // random order
  return key;
}

RocksDbOptions Options(const std::string& path) {
  RocksDbOptions options;
  options.path = path;
  options.schema.cluster_id = "bench";
  return options;
}

struct SubmitResult {
  double per_second = 0;
  uint64_t acknowledged = 0;
  double mean_group = 0;
  double p50_ms = 0, p99_ms = 0;
};

// `threads` submitters each call Commit in a loop for `seconds`.
SubmitResult RunBlockingSubmitters(const std::string& path, int threads, double seconds) {
  auto store = RocksDbStore::Open(Options(path));
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  GroupCommitter committer(**store);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_id{0};
  std::vector<std::vector<double>> latencies(threads);
  std::vector<std::thread> workers;
  SteadyClock::time_point start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        uint64_t id = next_id.fetch_add(1);
        WriteBatch batch;
        batch.Put(Column::kJobs, JobKey(id), JobValue(id, rng));
        batch.AppendEvent({apsis::TimePoint::FromMicros(static_cast<int64_t>(id)),
                           "job-" + std::to_string(id), "submitted"});
        SteadyClock::time_point begin = SteadyClock::now();
        apsis::Result<CommitInfo> r = committer.Commit(std::move(batch));
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        latencies[t].push_back(SecondsSince(begin) * 1e3);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  double elapsed = SecondsSince(start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  SubmitResult result;
  result.acknowledged = all.size();
  result.per_second = static_cast<double>(all.size()) / elapsed;
  GroupCommitter::Stats stats = committer.stats();
  result.mean_group = stats.writes ? static_cast<double>(stats.submissions) / stats.writes : 0;
  if (!all.empty()) {
    result.p50_ms = all[all.size() / 2];
    result.p99_ms = all[all.size() * 99 / 100];
  }
  return result;
}

// One thread plays the daemon's event loop: `per_turn` Submit calls, then one Flush per turn.
SubmitResult RunEventLoop(const std::string& path, int per_turn, double seconds) {
  auto store = RocksDbStore::Open(Options(path));
  if (!store.ok()) std::exit(1);
  GroupCommitter committer(**store);
  std::mt19937_64 rng(7);
  uint64_t acknowledged = 0, id = 0;
  SteadyClock::time_point start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    for (int i = 0; i < per_turn; ++i, ++id) {
      WriteBatch batch;
      batch.Put(Column::kJobs, JobKey(id), JobValue(id, rng));
      batch.AppendEvent({apsis::TimePoint::FromMicros(static_cast<int64_t>(id)),
                         "job-" + std::to_string(id), "submitted"});
      committer.Submit(std::move(batch), [&](const apsis::Result<CommitInfo>& r) {
        if (!r.ok()) std::exit(1);
        ++acknowledged;
      });
    }
    committer.Flush();
  }
  SubmitResult result;
  result.acknowledged = acknowledged;
  result.per_second = static_cast<double>(acknowledged) / SecondsSince(start);
  result.mean_group = per_turn;
  return result;
}

// The daemon's set-up: one loop thread, a background writer, and `clients` clients that each
// submit again as soon as their previous submission is acknowledged. Each loop turn submits for
// every client whose acknowledgement arrived, then calls Flush once.
SubmitResult RunBackgroundWriter(const std::string& path, int clients, double seconds) {
  auto store = RocksDbStore::Open(Options(path));
  if (!store.ok()) std::exit(1);
  GroupCommitter::Options options;
  options.background_writer = true;
  GroupCommitter committer(**store, options);
  std::mutex mu;
  std::condition_variable acked_cv;
  int in_flight = 0;
  uint64_t acknowledged = 0, id = 0;
  std::mt19937_64 rng(9);
  SteadyClock::time_point start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    int to_submit = 0;
    {
      std::unique_lock lock(mu);
      acked_cv.wait(lock, [&] { return in_flight < clients; });
      to_submit = clients - in_flight;
      in_flight = clients;
    }
    for (int i = 0; i < to_submit; ++i, ++id) {
      WriteBatch batch;
      batch.Put(Column::kJobs, JobKey(id), JobValue(id, rng));
      batch.AppendEvent({apsis::TimePoint::FromMicros(static_cast<int64_t>(id)),
                         "job-" + std::to_string(id), "submitted"});
      committer.Submit(std::move(batch), [&](const apsis::Result<CommitInfo>& r) {
        if (!r.ok()) std::exit(1);
        std::lock_guard lock(mu);
        --in_flight;
        ++acknowledged;
        acked_cv.notify_one();
      });
    }
    committer.Flush();
  }
  double elapsed = SecondsSince(start);
  SubmitResult result;
  {
    std::lock_guard lock(mu);
    result.acknowledged = acknowledged;
  }
  result.per_second = static_cast<double>(result.acknowledged) / elapsed;
  GroupCommitter::Stats stats = committer.stats();
  result.mean_group = stats.writes ? static_cast<double>(stats.submissions) / stats.writes : 0;
  return result;  // the committer's destructor writes what is still in flight
}

// The disk's own pace: 256-byte appends each followed by fdatasync, one at a time, no RocksDB.
double RawSyncsPerSecond(const std::string& root, double seconds) {
  std::string path = root + "/raw-fdatasync";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) std::exit(1);
  char buffer[256] = {};
  uint64_t syncs = 0;
  SteadyClock::time_point start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    if (::write(fd, buffer, sizeof buffer) != sizeof buffer || ::fdatasync(fd) != 0) std::exit(1);
    ++syncs;
  }
  double elapsed = SecondsSince(start);
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(syncs) / elapsed;
}

void SubmitPhase(const Flags& flags, const std::string& root) {
  std::printf("disk baseline: %.0f append+fdatasync/s (one at a time, no RocksDB)\n",
              RawSyncsPerSecond(root, 2));
  std::printf("== durable submissions (job record ~250 B + event, sync WAL write), %.0f s each\n",
              flags.seconds);
  std::printf("%-28s %12s %10s %10s %9s %9s\n", "mode", "acked/s", "acked", "mean grp", "p50 ms",
              "p99 ms");
  for (int threads : {1, 8, 64}) {
    std::string path = root + "/submit-" + std::to_string(threads);
    SubmitResult r = RunBlockingSubmitters(path, threads, flags.seconds);
    std::filesystem::remove_all(path);
    std::printf("%-28s %12.0f %10llu %10.1f %9.2f %9.2f\n",
                ("Commit, " + std::to_string(threads) + " threads").c_str(), r.per_second,
                static_cast<unsigned long long>(r.acknowledged), r.mean_group, r.p50_ms, r.p99_ms);
    std::fflush(stdout);
  }
  for (int clients : {1, 8, 64, 1000}) {
    std::string path = root + "/writer-" + std::to_string(clients);
    SubmitResult r = RunBackgroundWriter(path, clients, flags.seconds);
    std::filesystem::remove_all(path);
    std::printf("%-28s %12.0f %10llu %10.1f %9s %9s\n",
                ("loop+writer, " + std::to_string(clients) + " clients").c_str(), r.per_second,
                static_cast<unsigned long long>(r.acknowledged), r.mean_group, "-", "-");
    std::fflush(stdout);
  }
  for (int per_turn : {1, 100}) {
    std::string path = root + "/loop-" + std::to_string(per_turn);
    SubmitResult r = RunEventLoop(path, per_turn, flags.seconds);
    std::filesystem::remove_all(path);
    std::printf("%-28s %12.0f %10llu %10.1f %9s %9s\n",
                ("event loop, " + std::to_string(per_turn) + "/turn").c_str(), r.per_second,
                static_cast<unsigned long long>(r.acknowledged), r.mean_group, "-", "-");
    std::fflush(stdout);
  }
}

void Load(const std::string& path, const Flags& flags) {
  auto store = RocksDbStore::Open(Options(path));
  if (!store.ok()) std::exit(1);
  std::mt19937_64 rng(42);
  SteadyClock::time_point start = SteadyClock::now();
  constexpr int kBatch = 10'000;
  for (int first = 0; first < flags.nodes; first += kBatch) {
    WriteBatch batch;
    for (int i = first; i < std::min(flags.nodes, first + kBatch); ++i) {
      batch.Put(Column::kNodes, "node-" + std::to_string(i), JobValue(i, rng) + JobValue(i, rng));
    }
    if (!(*store)->Write(batch).ok()) std::exit(1);
  }
  for (int first = 0; first < flags.jobs; first += kBatch) {
    WriteBatch batch;
    for (int i = first; i < std::min(flags.jobs, first + kBatch); ++i) {
      batch.Put(Column::kJobs, JobKey(i), JobValue(i, rng));
      if (i % 4 == 0) batch.Put(Column::kPlacements, JobKey(i), JobValue(i, rng).substr(0, 120));
    }
    if (!(*store)->Write(batch).ok()) std::exit(1);
  }
  std::printf("loaded %d jobs, %d nodes, %d placements in %.1f s\n", flags.jobs, flags.nodes,
              (flags.jobs + 3) / 4, SecondsSince(start));
  // Let the bulk load settle, so the measurements below do not race its background compactions.
  SteadyClock::time_point compact_start = SteadyClock::now();
  if (!(*store)->CompactAll().ok()) std::exit(1);
  std::printf("compacted in %.1f s\n", SecondsSince(compact_start));
}

uint64_t DirectoryBytes(const std::string& path, const char* suffix) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.path().extension() == suffix) total += e.file_size();
  }
  return total;
}

using Map = std::unordered_map<std::string, std::string>;

apsis::storage::ScanVisitor CopyInto(Map& map) {
  return [&map](std::string_view k, std::string_view v) {
    map.emplace(std::string(k), std::string(v));
    return true;
  };
}

// Reopens the store, scans the state columns once (the storage cost), then rebuilds hash maps of
// them with `threads` threads (jobs split by RocksDbStore::SplitKeys); prints timings.
void Rebuild(const std::string& path, const Flags& flags, const char* label, int threads) {
  // Leave the store as found (a WAL stays unflushed), so every measurement sees the same state.
  RocksDbOptions options = Options(path);
  options.flush_on_close = false;
  SteadyClock::time_point start = SteadyClock::now();
  auto store = RocksDbStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  double opened = SecondsSince(start);
  // First the storage cost alone: every entry of the three state columns visited, nothing kept.
  uint64_t entries = 0, bytes = 0;
  auto count = [&](std::string_view k, std::string_view v) {
    ++entries;
    bytes += k.size() + v.size();
    return true;
  };
  for (Column column : {Column::kNodes, Column::kJobs, Column::kPlacements}) {
    if (!(*store)->Scan(column, ScanRange::All(), count).ok()) std::exit(1);
  }
  double scanned = SecondsSince(start) - opened;
  // Then a rebuild stand-in: every key and value copied into hash maps (the daemon will parse
  // protobuf messages into its model instead, which allocates about as much). Jobs go into one
  // map per range when several threads share the work.
  SteadyClock::time_point rebuild_start = SteadyClock::now();
  Map nodes, placements;
  std::vector<std::string> splits;
  if (threads > 1) splits = (*store)->SplitKeys(Column::kJobs, threads).value_or({});
  std::vector<Map> job_shards(splits.size() + 1);
  for (Map& shard : job_shards) shard.reserve(flags.jobs / job_shards.size() + 1);
  nodes.reserve(flags.nodes);
  placements.reserve(flags.jobs / 4 + 1);
  if (!(*store)->Scan(Column::kNodes, ScanRange::All(), CopyInto(nodes)).ok() ||
      !apsis::storage::ParallelScan(**store, Column::kJobs, splits,
                                    [&](size_t i) { return CopyInto(job_shards[i]); })
           .ok() ||
      !(*store)->Scan(Column::kPlacements, ScanRange::All(), CopyInto(placements)).ok()) {
    std::exit(1);
  }
  double rebuilt = SecondsSince(rebuild_start);
  size_t jobs = 0;
  for (const Map& shard : job_shards) jobs += shard.size();
  benchmark::DoNotOptimize(jobs);
  std::printf(
      "%s\n  open %.3f s | scan all state %.3f s (%llu entries, %.0f MiB) | open+scan %.3f s\n"
      "  open + scan-and-copy into hash maps, %zu thread(s): %.3f s (%zu jobs, %zu nodes, %zu "
      "placements)\n",
      label, opened, scanned, static_cast<unsigned long long>(entries), bytes / 1048576.0,
      opened + scanned, job_shards.size(), opened + rebuilt, jobs, nodes.size(), placements.size());
  std::fflush(stdout);
}

// Runs Rebuild in a fresh process (this binary with --phase=reopen), as a restarted daemon would:
// no warm heap, no RocksDB state left in memory (the OS page cache stays warm, as after kill -9).
void RebuildInFreshProcess(const std::string& path, const Flags& flags, const char* label,
                           int threads) {
  std::fflush(stdout);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string args = "'" + self + "' --phase=reopen --path='" + path +
                     "' --jobs=" + std::to_string(flags.jobs) + " --label='" + label +
                     "' --threads=" + std::to_string(threads);
  if (std::system(args.c_str()) != 0) std::exit(1);
}

void RebuildPhase(const Flags& flags, const std::string& root) {
  std::printf("== reopen + state rebuild\n");
  std::string path = root + "/rebuild";
  Load(path, flags);
  std::printf("on disk: %.1f MiB SST, %.1f MiB WAL\n", DirectoryBytes(path, ".sst") / 1048576.0,
              DirectoryBytes(path, ".log") / 1048576.0);
  int threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  RebuildInFreshProcess(path, flags, "after clean close:", 1);
  RebuildInFreshProcess(path, flags, "after clean close:", threads);
  {
    // Leave the last writes in the WAL, as after kill -9, then measure recovery + rebuild.
    RocksDbOptions options = Options(path);
    options.flush_on_close = false;
    auto store = RocksDbStore::Open(options);
    if (!store.ok()) std::exit(1);
    std::mt19937_64 rng(43);
    // Rewrite a fifth of the jobs (200,000 of 1,000,000): enough to leave tens of MiB of WAL.
    int rewritten = flags.jobs / 5;
    for (int first = 0; first < rewritten; first += 10'000) {
      WriteBatch batch;
      for (int i = first; i < std::min(rewritten, first + 10'000); ++i)
        batch.Put(Column::kJobs, JobKey(i), JobValue(i, rng));
      if (!(*store)->Write(batch).ok()) std::exit(1);
    }
  }
  std::printf("on disk: %.1f MiB SST, %.1f MiB WAL (unflushed)\n",
              DirectoryBytes(path, ".sst") / 1048576.0, DirectoryBytes(path, ".log") / 1048576.0);
  RebuildInFreshProcess(path, flags, "after close without flush (WAL):", 1);
  RebuildInFreshProcess(path, flags, "after close without flush (WAL):", threads);
  std::filesystem::remove_all(path);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      size_t n = std::strlen(name);
      return arg.compare(0, n, name) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char* v = value("--phase="))
      flags.phase = v;
    else if (const char* v = value("--seconds="))
      flags.seconds = std::atof(v);
    else if (const char* v = value("--jobs="))
      flags.jobs = std::atoi(v);
    else if (const char* v = value("--nodes="))
      flags.nodes = std::atoi(v);
    else if (const char* v = value("--dir="))
      flags.dir = v;
    else if (const char* v = value("--path="))
      flags.path = v;
    else if (const char* v = value("--label="))
      flags.label = v;
    else if (const char* v = value("--threads="))
      flags.threads = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (flags.phase != "all" && flags.phase != "submit" && flags.phase != "rebuild" &&
      flags.phase != "reopen") {
    std::fprintf(stderr, "unknown --phase=%s (all, submit, rebuild)\n", flags.phase.c_str());
    return 2;
  }
  if (flags.phase == "reopen") {
    Rebuild(flags.path, flags, flags.label.c_str(), flags.threads);
    return 0;
  }
  std::string pattern = flags.dir + "/apsis-storage-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  // Remove the data also when a phase fails and exits early.
  static std::string bench_root;
  bench_root = pattern;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(bench_root, ec);
  });
  std::printf("storage_bench: data in %s, %u hardware threads\n", pattern.c_str(),
              std::thread::hardware_concurrency());
  if (flags.phase == "all" || flags.phase == "submit") SubmitPhase(flags, pattern);
  if (flags.phase == "all" || flags.phase == "rebuild") RebuildPhase(flags, pattern);
  std::filesystem::remove_all(pattern);
  return 0;
}
