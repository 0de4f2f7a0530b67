#include "storage/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/faulty_store.h"
#include "storage/memory_store.h"

namespace apsis::storage {
namespace {

// Counts writes and can hold the first one until released, so a test can queue submissions
// behind a write in flight without sleeping.
class GatedStore final : public Store {
 public:
  explicit GatedStore(Store& target) : target_(target) {}
  void HoldNextWrite() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  int writes() const { return writes_.load(); }

  Result<CommitInfo> Write(const WriteBatch& batch) override {
    {
      std::unique_lock lock(mu_);
      if (hold_) {
        held_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !hold_; });
      }
    }
    ++writes_;
    return target_.Write(batch);
  }
  Result<std::optional<std::string>> Get(Column c, std::string_view k) const override {
    return target_.Get(c, k);
  }
  Status Scan(Column c, const ScanRange& r, const ScanVisitor& v) const override {
    return target_.Scan(c, r, v);
  }
  uint64_t LastEventSequence() const override { return target_.LastEventSequence(); }
  Status BackupTo(const std::string& dir) override { return target_.BackupTo(dir); }
  Status VerifyIntegrity() const override { return Status::Ok(); }
  std::string Describe() const override { return "gated store"; }

 private:
  Store& target_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  bool held_ = false;
  std::atomic<int> writes_{0};
};

SchemaOptions TestSchema() {
  SchemaOptions schema;
  schema.cluster_id = "test-cluster";
  return schema;
}

WriteBatch JobBatch(const std::string& id) {
  WriteBatch batch;
  batch.Put(Column::kJobs, id, "spec-" + id);
  batch.AppendEvent({TimePoint::FromSeconds(1), id, "submitted"});
  return batch;
}

TEST(GroupCommitterTest, SubmissionsOfOneLoopTurnShareOneWrite) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GatedStore store(**memory);
  boost::asio::io_context io;
  int flushes_scheduled = 0;
  GroupCommitter::Options options;
  std::unique_ptr<GroupCommitter> committer;
  options.schedule_flush = [&] {
    ++flushes_scheduled;
    boost::asio::post(io, [&] { committer->Flush(); });
  };
  committer = std::make_unique<GroupCommitter>(store, options);

  std::vector<std::string> acknowledged;
  std::vector<uint64_t> sequences;
  boost::asio::post(io, [&] {
    for (int i = 0; i < 10; ++i) {
      std::string id = "job-" + std::to_string(i);
      committer->Submit(JobBatch(id), [&, id](const Result<CommitInfo>& r) {
        ASSERT_TRUE(r.ok());
        acknowledged.push_back(id);
        sequences.push_back(r->first_event_sequence);
      });
    }
    EXPECT_TRUE(acknowledged.empty());  // nothing is acknowledged before the flush
  });
  io.run();

  EXPECT_EQ(flushes_scheduled, 1);
  EXPECT_EQ(store.writes(), 1);
  ASSERT_EQ(acknowledged.size(), 10u);
  EXPECT_EQ(acknowledged.front(), "job-0");  // completion in submission order
  EXPECT_EQ(acknowledged.back(), "job-9");
  for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], i + 1);
  EXPECT_EQ(committer->stats().writes, 1u);
  EXPECT_EQ(committer->stats().largest_group, 10u);
  EXPECT_EQ((*memory)->Get(Column::kJobs, "job-9")->value_or(""), "spec-job-9");
}

TEST(GroupCommitterTest, BackgroundWriterRunsCallbacksOnTheLoopAndKeepsTheLoopFree) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GatedStore store(**memory);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::unique_ptr<GroupCommitter> committer;
  GroupCommitter::Options options;
  options.background_writer = true;
  options.schedule_flush = [&] { boost::asio::post(io, [&] { committer->Flush(); }); };
  options.run_callback = [&](std::function<void()> f) { boost::asio::post(io, std::move(f)); };
  committer = std::make_unique<GroupCommitter>(store, options);

  std::thread::id loop_thread = std::this_thread::get_id();
  int acknowledged = 0;
  bool all_on_loop = true;
  auto submit = [&](const std::string& id) {
    committer->Submit(JobBatch(id), [&](const Result<CommitInfo>& r) {
      all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
      if (r.ok() && ++acknowledged == 7) work.reset();
    });
  };
  store.HoldNextWrite();
  boost::asio::post(io, [&] {
    for (int i = 0; i < 3; ++i) submit("turn1-" + std::to_string(i));
    // The turn's Flush runs after this handler; the next handler runs while its write is held,
    // which only works because Flush returned without waiting for the disk.
    boost::asio::post(io, [&] {
      store.WaitUntilHeld();
      for (int i = 0; i < 4; ++i) submit("turn2-" + std::to_string(i));
      boost::asio::post(io, [&] { store.Release(); });
    });
  });
  io.run();

  EXPECT_EQ(acknowledged, 7);
  EXPECT_TRUE(all_on_loop);
  GroupCommitter::Stats stats = committer->stats();
  EXPECT_EQ(stats.writes, 2u);  // one write per turn
  EXPECT_EQ(stats.largest_group, 4u);
  committer.reset();  // stops the writer thread
  EXPECT_EQ((*memory)->LastEventSequence(), 7u);
}

TEST(GroupCommitterTest, CommitsArrivingDuringAWriteAreMergedIntoTheNext) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GatedStore store(**memory);
  GroupCommitter committer(store);

  store.HoldNextWrite();
  std::thread leader([&] { EXPECT_TRUE(committer.Commit(JobBatch("first")).ok()); });
  store.WaitUntilHeld();  // "first" is being written; everything below queues behind it

  constexpr int kFollowers = 8;
  std::vector<std::thread> followers;
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back(
        [&, i] { EXPECT_TRUE(committer.Commit(JobBatch("f" + std::to_string(i))).ok()); });
  }
  // Async submissions also queue; they cannot be written while the gate holds the leader.
  std::atomic<int> async_done{0};
  for (int i = 0; i < 5; ++i) {
    committer.Submit(JobBatch("a" + std::to_string(i)),
                     [&](const Result<CommitInfo>& r) { async_done += r.ok(); });
  }
  // Wait (without sleeping) until every follower has queued behind the held write.
  while (committer.queued() < kFollowers + 5) std::this_thread::yield();
  store.Release();
  leader.join();
  for (std::thread& t : followers) t.join();

  EXPECT_EQ(async_done.load(), 5);
  // 14 submissions: the held write carried the first, one more write carried the other 13.
  GroupCommitter::Stats stats = committer.stats();
  EXPECT_EQ(stats.submissions, 14u);
  EXPECT_EQ(stats.writes, 2u);
  EXPECT_EQ(stats.largest_group, 13u);
  EXPECT_EQ((*memory)->LastEventSequence(), 14u);
}

TEST(GroupCommitterTest, CommitLeaderDoesNotStayToWriteLaterAsyncSubmissions) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GatedStore store(**memory);
  GroupCommitter committer(store);
  store.HoldNextWrite();
  std::thread leader([&] { EXPECT_TRUE(committer.Commit(JobBatch("own")).ok()); });
  store.WaitUntilHeld();
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    committer.Submit(JobBatch("a" + std::to_string(i)),
                     [&](const Result<CommitInfo>& r) { done += r.ok(); });
  }
  store.Release();
  leader.join();  // returns after its own write, leaving the async submissions to Flush
  EXPECT_EQ(committer.queued(), 5u);
  EXPECT_EQ(done, 0);
  committer.Flush();
  EXPECT_EQ(done, 5);
  EXPECT_EQ(committer.stats().writes, 2u);
}

TEST(GroupCommitterTest, ConcurrentCommitsAreAllDurableWithUniqueSequences) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GroupCommitter committer(**memory);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  std::vector<std::vector<uint64_t>> sequences(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<CommitInfo> r =
            committer.Commit(JobBatch(std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(r.ok());
        sequences[t].push_back(r->first_event_sequence);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<uint64_t> all;
  for (auto& s : sequences) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), size_t{kThreads * kPerThread});
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1);
  EXPECT_EQ(committer.stats().submissions, uint64_t{kThreads * kPerThread});
}

TEST(GroupCommitterTest, FailedWriteFailsEveryMemberOfItsGroupAndNothingIsApplied) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  FaultyStore faulty(**memory);
  GroupCommitter committer(faulty);
  faulty.FailNthWrite(1);
  std::vector<StatusCode> codes;
  for (int i = 0; i < 3; ++i) {
    committer.Submit(JobBatch("j" + std::to_string(i)),
                     [&](const Result<CommitInfo>& r) { codes.push_back(r.status().code()); });
  }
  committer.Flush();
  EXPECT_EQ(codes, std::vector<StatusCode>(3, StatusCode::kUnavailable));
  EXPECT_FALSE((*memory)->Get(Column::kJobs, "j0")->has_value());
  EXPECT_TRUE(committer.Commit(JobBatch("j3")).ok());
  EXPECT_EQ((*memory)->LastEventSequence(), 1u);
}

TEST(GroupCommitterTest, InvalidBatchFailsAloneWithoutHurtingOthers) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GroupCommitter committer(**memory);
  WriteBatch bad;
  bad.AppendEvent({TimePoint::FromSeconds(1), std::string("a\0b", 3), ""});
  StatusCode bad_code = StatusCode::kOk;
  bool good_ok = false;
  committer.Submit(std::move(bad),
                   [&](const Result<CommitInfo>& r) { bad_code = r.status().code(); });
  committer.Submit(JobBatch("good"), [&](const Result<CommitInfo>& r) { good_ok = r.ok(); });
  committer.Flush();
  EXPECT_EQ(bad_code, StatusCode::kInvalidArgument);
  EXPECT_TRUE(good_ok);
}

TEST(GroupCommitterTest, GroupsRespectTheSubmissionCap) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  GroupCommitter::Options options;
  options.max_group_submissions = 4;
  GroupCommitter committer(**memory, options);
  int done = 0;
  for (int i = 0; i < 10; ++i) {
    committer.Submit(JobBatch(std::to_string(i)),
                     [&](const Result<CommitInfo>& r) { done += r.ok(); });
  }
  committer.Flush();
  EXPECT_EQ(done, 10);
  EXPECT_EQ(committer.stats().writes, 3u);
  EXPECT_EQ(committer.stats().largest_group, 4u);
}

TEST(GroupCommitterTest, DestructorWritesWhatIsStillQueued) {
  auto memory = MemoryStore::Open(TestSchema());
  ASSERT_TRUE(memory.ok());
  bool acknowledged = false;
  {
    GroupCommitter committer(**memory);
    committer.Submit(JobBatch("late"), [&](const Result<CommitInfo>& r) { acknowledged = r.ok(); });
  }
  EXPECT_TRUE(acknowledged);
  EXPECT_TRUE((*memory)->Get(Column::kJobs, "late")->has_value());
}

}  // namespace
}  // namespace apsis::storage
