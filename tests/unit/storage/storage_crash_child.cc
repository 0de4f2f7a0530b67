// Crash-test child: applies a stream of submissions and two-key transitions to a RocksDbStore
// through GroupCommitters (blocking Commit threads, an event loop flushing on the loop, and an
// event loop with a background writer) until it is killed, printing every acknowledged change on
// stdout:
//   S <job id>          a new job (jobs + placements + one event) is durable
//   T <job id> <gen>    job <id> moved to generation <gen> in jobs and placements together
// Usage: storage_crash_child <db dir> <round> <seed>. Prints "ready" once the store is open.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/group_committer.h"
#include "storage/rocksdb_store.h"

namespace {

using apsis::storage::Column;
using apsis::storage::CommitInfo;
using apsis::storage::GroupCommitter;
using apsis::storage::WriteBatch;

std::mutex print_mu;

void PrintLine(const std::string& line) {
  std::string out = line + "\n";
  std::lock_guard lock(print_mu);
  // One write() per line (< PIPE_BUF): a kill never leaves half a line behind.
  if (::write(STDOUT_FILENO, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
    std::_Exit(3);
  }
}

// jobs and placements get different padding but the same "g<gen>|" prefix; the parent checks the
// prefixes agree, so a half-applied transition would show.
WriteBatch Transition(const std::string& id, int gen, std::mt19937_64& rng, bool is_new) {
  std::uniform_int_distribution<int> size(20, 1500);
  std::string head = "g" + std::to_string(gen) + "|";
  WriteBatch batch;
  batch.Put(Column::kJobs, id, head + std::string(size(rng), 'j'));
  batch.Put(Column::kPlacements, id, head + std::string(size(rng), 'p'));
  batch.AppendEvent({apsis::TimePoint::FromSeconds(gen), id, is_new ? "submitted" : "moved"});
  return batch;
}

void BlockingSubmitter(GroupCommitter& committer, const std::string& prefix, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::string, int>> mine;  // acknowledged ids and their generation
  for (uint64_t n = 0;; ++n) {
    bool transition = !mine.empty() && rng() % 3 == 0;
    if (transition) {
      auto& [id, gen] = mine[rng() % mine.size()];
      if (!committer.Commit(Transition(id, gen + 1, rng, false)).ok()) std::_Exit(4);
      ++gen;
      PrintLine("T " + id + " " + std::to_string(gen));
    } else {
      std::string id = prefix + "-" + std::to_string(n);
      if (!committer.Commit(Transition(id, 0, rng, true)).ok()) std::_Exit(4);
      mine.emplace_back(id, 0);
      PrintLine("S " + id);
    }
  }
}

// Event-loop style: many Submit calls, then one Flush, as the daemon does per loop turn.
void LoopSubmitter(GroupCommitter& committer, const std::string& prefix, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (uint64_t turn = 0;; ++turn) {
    int count = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < count; ++i) {
      std::string id = prefix + "-" + std::to_string(turn) + "-" + std::to_string(i);
      committer.Submit(Transition(id, 0, rng, true), [id](const apsis::Result<CommitInfo>& r) {
        if (!r.ok()) std::_Exit(4);
        PrintLine("S " + id);
      });
    }
    committer.Flush();
  }
}

// The daemon's set-up: a loop thread with a background writer and a bounded number of clients
// in flight; acknowledgements arrive on the writer thread.
void BackgroundWriterLoop(apsis::storage::Store& store, const std::string& prefix, uint64_t seed) {
  GroupCommitter::Options options;
  options.background_writer = true;
  GroupCommitter committer(store, options);
  std::mt19937_64 rng(seed);
  std::mutex mu;
  std::condition_variable acked;
  int in_flight = 0;
  for (uint64_t n = 0;;) {
    int to_submit = 0;
    {
      std::unique_lock lock(mu);
      acked.wait(lock, [&] { return in_flight < 32; });
      to_submit = 32 - in_flight;
      in_flight = 32;
    }
    for (int i = 0; i < to_submit; ++i, ++n) {
      std::string id = prefix + "-" + std::to_string(n);
      committer.Submit(Transition(id, 0, rng, true), [&, id](const apsis::Result<CommitInfo>& r) {
        if (!r.ok()) std::_Exit(4);
        PrintLine("S " + id);
        std::lock_guard lock(mu);
        --in_flight;
        acked.notify_one();
      });
    }
    committer.Flush();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <db dir> <round> <seed>\n", argv[0]);
    return 2;
  }
  std::string round = argv[2];
  uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  apsis::storage::RocksDbOptions options;
  options.path = argv[1];
  options.schema.cluster_id = "crash-test";
  // Small memtables and WAL cap so flushes and WAL switches happen while the child is killed.
  options.write_buffer_bytes = 1 << 20;
  options.total_write_buffer_bytes = 4 << 20;
  options.max_total_wal_bytes = 4 << 20;
  auto store = apsis::storage::RocksDbStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
    return 1;
  }
  GroupCommitter committer(**store);
  PrintLine("ready");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(BlockingSubmitter, std::ref(committer),
                         "r" + round + "-t" + std::to_string(t), seed * 31 + t);
  }
  threads.emplace_back(LoopSubmitter, std::ref(committer), "r" + round + "-loop", seed * 31 + 7);
  threads.emplace_back(BackgroundWriterLoop, std::ref(**store), "r" + round + "-bg", seed * 31 + 8);
  for (std::thread& t : threads) t.join();  // never: the parent kills us
  return 0;
}
