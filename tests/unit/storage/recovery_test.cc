// Recovery from what a power loss leaves behind: a WAL whose last record is cut short or followed
// by garbage. Recovery keeps every earlier batch whole and drops the torn one whole.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/encoding.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

namespace apsis::storage {
namespace {

namespace fs = std::filesystem;

RocksDbOptions Options(const testing::TempDir& dir) {
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema.cluster_id = "c";
  options.flush_on_close = false;  // everything stays in the WAL
  return options;
}

// Batch i writes jobs/job-i and placements/job-i (same value) and one event.
void WriteBatches(const RocksDbOptions& options, int count) {
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < count; ++i) {
    WriteBatch batch;
    std::string id = "job-" + std::to_string(i), value(300, static_cast<char>('a' + i % 26));
    batch.Put(Column::kJobs, id, value);
    batch.Put(Column::kPlacements, id, value);
    batch.AppendEvent({TimePoint::FromSeconds(i), id, "e"});
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
}

fs::path NewestWal(const std::string& dir) {
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log" &&
        (newest.empty() || entry.path().filename() > newest.filename())) {
      newest = entry.path();
    }
  }
  return newest;
}

// Opens the store and checks that batches 0..n-1 are all present, whole, and nothing else is.
void ExpectExactlyBatches(const RocksDbOptions& options, int n) {
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int jobs = 0;
  ASSERT_TRUE((*store)
                  ->Scan(Column::kJobs, ScanRange::All(),
                         [&](std::string_view k, std::string_view v) {
                           ++jobs;
                           auto placement = (*store)->Get(Column::kPlacements, k);
                           EXPECT_TRUE(placement.ok() && placement->value_or("") == v) << k;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(jobs, n);
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE((*store)->Get(Column::kJobs, "job-" + std::to_string(i))->has_value()) << i;
  }
  EXPECT_EQ((*store)->LastEventSequence(), static_cast<uint64_t>(n));
}

TEST(RecoveryTest, WalCutInsideItsLastRecordLosesOnlyThatBatch) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteBatches(options, 20);
  fs::path wal = NewestWal(options.path);
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 100);  // the last batch is ~700 bytes
  ExpectExactlyBatches(options, 19);
}

TEST(RecoveryTest, GarbageAfterTheLastRecordIsIgnored) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteBatches(options, 20);
  fs::path wal = NewestWal(options.path);
  ASSERT_FALSE(wal.empty());
  {
    std::ofstream out(wal, std::ios::binary | std::ios::app);
    out << std::string(1000, '\x5a');
  }
  ExpectExactlyBatches(options, 20);
}

TEST(RecoveryTest, EventBeyondTheRecordedLastSequenceIsReportedAsDataLoss) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteBatches(options, 3);
  {
    auto store = RocksDbStore::Open(options);
    ASSERT_TRUE(store.ok());
    WriteBatch stray;  // an event written around the store's sequence bookkeeping
    stray.Put(Column::kEvents, EventKey(99), EventValue({TimePoint::FromSeconds(1), "x", "e"}));
    ASSERT_TRUE((*store)->Write(stray).ok());
  }
  auto store = RocksDbStore::Open(options);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
  EXPECT_NE(store.status().message().find("event 99"), std::string::npos);
}

}  // namespace
}  // namespace apsis::storage
