#include "storage/event_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "storage/memory_store.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

namespace apsis::storage {
namespace {

const TimePoint kT0 = TimePoint::FromSeconds(1'767'225'600);  // 2026-01-01T00:00:00Z

RetentionPolicy KeepAtMost(uint64_t events, size_t batch_size) {
  RetentionPolicy policy;
  policy.max_events = events;
  policy.delete_batch_size = batch_size;
  return policy;
}

RetentionPolicy KeepFor(Duration age) {
  RetentionPolicy policy;
  policy.max_age = age;
  return policy;
}

SchemaOptions Schema() {
  SchemaOptions schema;
  schema.cluster_id = "c";
  return schema;
}

std::vector<uint64_t> Sequences(const std::vector<Event>& events) {
  std::vector<uint64_t> out;
  for (const Event& e : events) out.push_back(e.sequence);
  return out;
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = MemoryStore::Open(Schema());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }
  // Appends one event per entry, each in its own batch: (minutes after kT0, job id).
  void Append(std::vector<std::pair<int, std::string>> events) {
    for (auto& [minutes, job] : events) {
      WriteBatch batch;
      batch.AppendEvent({kT0 + Minutes(minutes), job, "payload-" + std::to_string(minutes)});
      ASSERT_TRUE(store_->Write(batch).ok());
    }
  }
  std::unique_ptr<MemoryStore> store_;
};

TEST_F(EventLogTest, QueriesByJobReturnOnlyThatJobInSequenceOrder) {
  Append({{0, "job-a"}, {1, "job-b"}, {2, "job-a"}, {3, ""}, {4, "job-ab"}, {5, "job-a"}});
  auto events = ReadEventsForJob(*store_, "job-a", 100);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(Sequences(*events), (std::vector<uint64_t>{1, 3, 6}));
  EXPECT_EQ((*events)[1].payload, "payload-2");
  EXPECT_EQ((*events)[1].time, kT0 + Minutes(2));
  auto newest = ReadEventsForJob(*store_, "job-a", 2, EventOrder::kNewestFirst);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(Sequences(*newest), (std::vector<uint64_t>{6, 3}));
  EXPECT_TRUE(ReadEventsForJob(*store_, "job-z", 10)->empty());
  EXPECT_EQ(ReadEventsForJob(*store_, "", 10).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EventLogTest, QueriesByTimeUseTheTimeIndexEvenWhenTimesAreOutOfOrder) {
  // Sequence order 1..5, time order differs (an agent's late report carries an older time).
  Append({{10, "a"}, {30, "b"}, {20, "c"}, {40, "d"}, {5, "e"}});
  auto window = ReadEventsByTime(*store_, kT0 + Minutes(10), kT0 + Minutes(40), 100);
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(Sequences(*window), (std::vector<uint64_t>{1, 3, 2}));  // [10, 40): times 10, 20, 30
  auto latest = ReadEventsByTime(*store_, kT0, kT0 + Hours(1), 2, EventOrder::kNewestFirst);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(Sequences(*latest), (std::vector<uint64_t>{4, 2}));
  EXPECT_TRUE(ReadEventsByTime(*store_, kT0 + Minutes(40), kT0 + Minutes(40), 10)->empty());
}

TEST_F(EventLogTest, ReadsEventsAfterASequence) {
  Append({{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}});
  EXPECT_EQ(Sequences(*ReadEventsAfter(*store_, 1, 2)), (std::vector<uint64_t>{2, 3}));
  EXPECT_TRUE(ReadEventsAfter(*store_, 4, 10)->empty());
}

TEST_F(EventLogTest, RetentionByCountKeepsTheNewestAndRemovesIndexEntries) {
  Append({{0, "a"}, {1, "b"}, {2, "a"}, {3, "c"}, {4, "a"}});
  ManualClock clock(kT0);
  auto result = ApplyEventRetention(*store_, KeepAtMost(2, 2), clock);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->deleted_events, 3u);
  EXPECT_EQ(Sequences(*ReadEventsAfter(*store_, 0, 100)), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(Sequences(*ReadEventsForJob(*store_, "a", 100)), (std::vector<uint64_t>{5}));
  EXPECT_EQ(ReadEventsByTime(*store_, kT0 - Hours(1), kT0 + Hours(1), 100)->size(), 2u);
  int index_entries = 0;
  auto count = [&](std::string_view, std::string_view) { return ++index_entries > 0; };
  ASSERT_TRUE(store_->Scan(Column::kEventsByJob, ScanRange::All(), count).ok());
  ASSERT_TRUE(store_->Scan(Column::kEventsByTime, ScanRange::All(), count).ok());
  EXPECT_EQ(index_entries, 4);  // 2 by job + 2 by time
  // New events continue the sequence; retention never reuses numbers.
  Append({{5, "a"}});
  EXPECT_EQ(store_->LastEventSequence(), 6u);
}

TEST_F(EventLogTest, RetentionByAgeUsesTheClockAndEventTimes) {
  Append({{0, "a"}, {60 * 24, "b"}, {60 * 24 * 3, "c"}, {60, "late-report"}});
  ManualClock clock(kT0 + Hours(24 * 3));
  auto result = ApplyEventRetention(*store_, KeepFor(Hours(48)), clock);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->deleted_events, 2u);  // minute 0 and minute 60 are older than 48 h
  EXPECT_EQ(Sequences(*ReadEventsAfter(*store_, 0, 100)), (std::vector<uint64_t>{2, 3}));
  EXPECT_TRUE(ReadEventsForJob(*store_, "late-report", 10)->empty());
  clock.Advance(Hours(24));
  EXPECT_EQ(ApplyEventRetention(*store_, KeepFor(Hours(48)), clock)->deleted_events, 1u);
}

TEST(EventLogRocksDbTest, QueriesAndRetentionWorkOnRocksDbAcrossReopen) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema.cluster_id = "c";
  {
    auto store = RocksDbStore::Open(options);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) {
      batch.AppendEvent({kT0 + Seconds(i), "job-" + std::to_string(i % 10), std::to_string(i)});
    }
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok());
  auto job3 = ReadEventsForJob(**store, "job-3", 100);
  ASSERT_TRUE(job3.ok());
  ASSERT_EQ(job3->size(), 10u);
  EXPECT_EQ(job3->back().payload, "93");
  ManualClock clock(kT0 + Seconds(100));
  auto result = ApplyEventRetention(**store, KeepFor(Seconds(50)), clock);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->deleted_events, 50u);
  EXPECT_EQ(ReadEventsForJob(**store, "job-3", 100)->size(), 5u);
  EXPECT_EQ(ReadEventsByTime(**store, kT0, kT0 + Seconds(50), 100)->size(), 0u);
}

}  // namespace
}  // namespace apsis::storage
