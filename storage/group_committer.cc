#include "storage/group_committer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "storage/encoding.h"

namespace apsis::storage {

struct GroupCommitter::Pending {
  WriteBatch batch;
  Callback done;         // set for Submit
  bool waiting = false;  // a thread blocks in Commit for this submission
  bool finished = false;
  Result<CommitInfo> result = CommitInfo();
};

GroupCommitter::GroupCommitter(Store& store, Options options)
    : store_(store), options_(std::move(options)) {
  if (options_.background_writer) writer_ = std::thread([this] { RunWriter(); });
}

GroupCommitter::~GroupCommitter() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    writer_.join();  // it writes everything flushed before stopping
  }
  std::unique_lock lock(mu_);
  leader_done_.wait(lock, [&] { return !leader_active_; });
  if (!queue_.empty()) Lead(lock, nullptr, enqueued_);
}

void GroupCommitter::Submit(WriteBatch batch, Callback done) {
  Status valid = ValidateBatch(batch);
  if (!valid.ok()) {
    if (!done) return;
    if (options_.run_callback) {
      options_.run_callback([done = std::move(done), valid] { done(valid); });
    } else {
      done(valid);
    }
    return;
  }
  auto pending = std::make_shared<Pending>();
  pending->batch = std::move(batch);
  pending->done = std::move(done);
  bool schedule = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(pending));
    ++enqueued_;
    if (!flush_scheduled_ && options_.schedule_flush) {
      flush_scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule) options_.schedule_flush();
}

void GroupCommitter::Flush() {
  std::unique_lock lock(mu_);
  flush_scheduled_ = false;
  uint64_t target = enqueued_;
  if (options_.background_writer) {
    ready_until_ = target;
    lock.unlock();
    work_ready_.notify_one();
    return;
  }
  // Another leader's groups may take our submissions; otherwise we write them ourselves.
  leader_done_.wait(lock, [&] { return taken_ >= target || !leader_active_; });
  if (taken_ < target) Lead(lock, nullptr, target);
}

Result<CommitInfo> GroupCommitter::Commit(WriteBatch batch) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  auto pending = std::make_shared<Pending>();
  pending->batch = std::move(batch);
  pending->waiting = true;
  std::unique_lock lock(mu_);
  queue_.push_back(pending);
  ++enqueued_;
  leader_done_.wait(lock, [&] { return pending->finished || !leader_active_; });
  if (!pending->finished) Lead(lock, pending.get(), 0);
  return pending->result;
}

void GroupCommitter::RunWriter() {
  std::unique_lock lock(mu_);
  while (true) {
    work_ready_.wait(lock, [&] {
      return (taken_ < ready_until_ && !leader_active_) || (stopping_ && !leader_active_);
    });
    if (taken_ < ready_until_) {
      Lead(lock, nullptr, ready_until_);
    } else if (stopping_) {
      return;
    }
  }
}

size_t GroupCommitter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// Called with `lock` held and no other leader active. Writes groups from the front of the queue
// until `own` (a Commit's submission) is done, or, for a Flush (`own` null), until the first
// `take_until` submissions ever queued are taken. Both bounds are fixed when the call starts, so a
// leader never gets stuck writing submissions that keep arriving from other threads.
void GroupCommitter::Lead(std::unique_lock<std::mutex>& lock, const Pending* own,
                          uint64_t take_until) {
  leader_active_ = true;
  while (!queue_.empty()) {
    if (own != nullptr ? own->finished : taken_ >= take_until) break;

    std::vector<std::shared_ptr<Pending>> group;
    size_t bytes = 0;
    while (!queue_.empty() && group.size() < options_.max_group_submissions) {
      size_t next = queue_.front()->batch.byte_size();
      if (!group.empty() && bytes + next > options_.max_group_bytes) break;
      bytes += next;
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
      ++taken_;
    }
    lock.unlock();

    std::vector<uint64_t> event_counts;
    event_counts.reserve(group.size());
    for (const auto& pending : group) event_counts.push_back(pending->batch.event_count());
    Result<CommitInfo> written = CommitInfo();
    if (group.size() == 1) {
      written = store_.Write(group.front()->batch);
    } else {
      WriteBatch merged;
      for (const auto& pending : group) merged.Append(std::move(pending->batch));
      written = store_.Write(merged);
    }
    // The merged batch keeps the events in group order, so each submission's sequence numbers
    // are a consecutive share of the write's.
    uint64_t next_sequence = written.ok() ? written->first_event_sequence : 0;
    for (size_t i = 0; i < group.size(); ++i) {
      if (!written.ok()) {
        group[i]->result = written.status();
        continue;
      }
      CommitInfo info;
      info.event_count = event_counts[i];
      if (event_counts[i] > 0) {
        info.first_event_sequence = next_sequence;
        next_sequence += event_counts[i];
      }
      group[i]->result = info;
    }

    lock.lock();
    std::vector<std::shared_ptr<Pending>> callbacks;
    for (auto& pending : group) {
      pending->finished = true;
      if (pending->done) callbacks.push_back(std::move(pending));
    }
    ++stats_.writes;
    stats_.submissions += group.size();
    stats_.largest_group = std::max<uint64_t>(stats_.largest_group, group.size());
    leader_done_.notify_all();
    lock.unlock();
    for (const auto& pending : callbacks) {
      if (options_.run_callback) {
        options_.run_callback(
            [done = std::move(pending->done), result = pending->result] { done(result); });
      } else {
        pending->done(pending->result);
      }
    }
    lock.lock();
  }
  leader_active_ = false;
  leader_done_.notify_all();
  work_ready_.notify_all();  // the background writer may have work that waited for this leader
}

}  // namespace apsis::storage
