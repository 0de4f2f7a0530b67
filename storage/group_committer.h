// GroupCommitter: makes many small durable writes share one Store::Write (one WAL fsync).
//
// An fsync costs 0.4 ms on a quiet disk and ~5 ms on a busy one, so one synced write per job caps
// the scheduler at ~2,300 (down to ~200) acknowledged changes per second. Here every submission
// joins a queue; one caller at a time (the leader) takes everything queued, merges it into one
// batch, writes it with the store's durable Write and completes every submission with the result.
// Each submission stays atomic on its own (its changes are all in the merged batch or none are) and
// submissions are applied in queue order.
//
// Ways to use it:
// - Event loop, writing on the loop (simplest). Submit(batch, callback) during a loop turn; the
//   first submission of a turn calls Options::schedule_flush, which posts Flush() to the loop, so
//   every change made in that turn is written by one Flush at the end of the turn:
//     options.schedule_flush = [&] { asio::post(io, [&] { committer.Flush(); }); };
//     committer.Submit(std::move(batch), [&](const Result<CommitInfo>& r) { ReplyToClient(r); });
//   The loop blocks for one fsync per turn with submissions.
// - Event loop with a background writer (the daemon's choice under load). Same Submit and
//   per-turn Flush, but Options::background_writer makes Flush only mark the turn's submissions
//   ready; a writer thread owned by the committer writes them, and Options::run_callback hands
//   each callback back to the loop (asio::post). The loop keeps serving while the disk syncs, and
//   the turns that pass during one fsync share the next one.
// - Threads (clients, benchmarks). Commit(batch) blocks until the batch is durable; callers that
//   arrive while a write is in flight are merged into the next write (leveldb-style leader and
//   followers), so N concurrent committers need ~1 fsync per round instead of N.
// In every mode only acknowledge a change to anyone after its callback (or Commit) reports OK. A
// submission waits for the next Flush (or for a Commit whose write happens to take it along).
//
// Thread-safety: all methods are thread-safe. Callbacks run through Options::run_callback if set,
// else on the thread that performs the write (the loop thread when all Submit and Flush calls come
// from the loop and there is no background writer), outside internal locks, in submission order;
// they may call Submit but must not call Commit, or Flush unless they run on the loop. Destroying
// the committer writes what is still queued; no call may be in progress then.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/store.h"

namespace apsis::storage {

class GroupCommitter {
 public:
  using Callback = std::function<void(const Result<CommitInfo>&)>;

  struct Options {
    // Caps on one merged write: bigger groups amortize the fsync further but delay everyone in
    // them; 4 MiB is ~16,000 job records, written in a few milliseconds.
    size_t max_group_bytes = 4u << 20;
    size_t max_group_submissions = 16384;
    // Called when Submit queues work and no flush is scheduled yet (see the class comment).
    // Without it, queued submissions wait for the next Flush or Commit.
    std::function<void()> schedule_flush;
    // Write on a thread owned by the committer: Flush marks submissions ready and returns.
    bool background_writer = false;
    // Runs each completion callback, e.g. [&](auto f) { asio::post(io, std::move(f)); }; by
    // default callbacks run on the writing thread.
    std::function<void(std::function<void()>)> run_callback;
  };

  struct Stats {
    uint64_t writes = 0;       // Store::Write calls (= fsyncs)
    uint64_t submissions = 0;  // batches completed through them
    uint64_t largest_group = 0;
  };

  explicit GroupCommitter(Store& store) : GroupCommitter(store, Options()) {}
  GroupCommitter(Store& store, Options options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `batch`; `done` is called once it is durable or has failed. An invalid batch fails at
  // once (its callback goes to Options::run_callback, or runs on the calling thread).
  void Submit(WriteBatch batch, Callback done);

  // Writes everything queued before the call. If another thread is writing, waits for it and
  // then writes what that write did not take (another thread's write may complete some of our
  // submissions, and run their callbacks). Call it from the event loop once per turn. With a
  // background writer it only hands the submissions to the writer thread and returns at once.
  void Flush();

  // Queues `batch` and returns once it is durable (or failed).
  Result<CommitInfo> Commit(WriteBatch batch);

  Stats stats() const;
  // Submissions queued and not yet taken by a write (for metrics and tests).
  size_t queued() const;

 private:
  struct Pending;
  void Lead(std::unique_lock<std::mutex>& lock, const Pending* own, uint64_t take_until);
  void RunWriter();

  Store& store_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable leader_done_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool leader_active_ = false;
  bool flush_scheduled_ = false;
  // Submissions ever queued / ever taken into a write (a Flush waits for all queued before it).
  uint64_t enqueued_ = 0;
  uint64_t taken_ = 0;
  // Background writer: writes submissions up to ready_until_ (set by Flush).
  uint64_t ready_until_ = 0;
  bool stopping_ = false;
  std::condition_variable work_ready_;
  std::thread writer_;
  Stats stats_;
};

}  // namespace apsis::storage
