#include "storage/faulty_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/group_committer.h"
#include "storage/memory_store.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

namespace apsis::storage {
namespace {

SchemaOptions Schema() {
  SchemaOptions schema;
  schema.cluster_id = "c";
  return schema;
}

RocksDbOptions Options(const testing::TempDir& dir) {
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema.cluster_id = "test-cluster";
  options.flush_on_close = false;
  return options;
}

WriteBatch JobBatch(int i) {
  WriteBatch batch;
  batch.Put(Column::kJobs, "job-" + std::to_string(i), "spec");
  batch.Put(Column::kPlacements, "job-" + std::to_string(i), "node-a");
  batch.AppendEvent({TimePoint::FromSeconds(i), "job-" + std::to_string(i), "submitted"});
  return batch;
}

TEST(FaultyStoreTest, DiskFullFailsClearlyKeepsAcknowledgedDataAndRecoversWhenCleared) {
  testing::TempDir dir;
  std::vector<int> acknowledged;
  {
    auto store = RocksDbStore::Open(Options(dir));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    FaultyStore faulty(**store);
    GroupCommitter committer(faulty);
    for (int i = 0; i < 5; ++i) {
      if (committer.Commit(JobBatch(i)).ok()) acknowledged.push_back(i);
    }
    faulty.SetDiskFull(true);
    std::vector<Status> failures;
    for (int i = 5; i < 10; ++i) {
      committer.Submit(JobBatch(i),
                       [&](const Result<CommitInfo>& r) { failures.push_back(r.status()); });
    }
    committer.Flush();
    Result<CommitInfo> blocked = committer.Commit(JobBatch(10));
    EXPECT_EQ(blocked.status().code(), StatusCode::kResourceExhausted);
    ASSERT_EQ(failures.size(), 5u);
    for (const Status& s : failures) {
      EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
      EXPECT_NE(s.message().find("no space left"), std::string::npos) << s.message();
      EXPECT_NE(s.message().find(dir.Sub("db")), std::string::npos) << "message names the store";
    }
    // Reads keep working while the disk is full.
    EXPECT_TRUE(faulty.Get(Column::kJobs, "job-4")->has_value());
    EXPECT_FALSE(faulty.Get(Column::kJobs, "job-5")->has_value());

    faulty.SetDiskFull(false);
    Result<CommitInfo> after = committer.Commit(JobBatch(11));
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    acknowledged.push_back(11);
    EXPECT_EQ(after->first_event_sequence, 6u);  // failed writes consumed no sequence numbers
  }
  auto reopened = RocksDbStore::Open(Options(dir));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  for (int i : acknowledged) {
    EXPECT_TRUE((*reopened)->Get(Column::kJobs, "job-" + std::to_string(i))->has_value()) << i;
  }
  for (int i = 5; i <= 10; ++i) {
    EXPECT_FALSE((*reopened)->Get(Column::kJobs, "job-" + std::to_string(i))->has_value()) << i;
  }
  EXPECT_EQ((*reopened)->LastEventSequence(), 6u);
}

TEST(FaultyStoreTest, FailsExactlyTheNthWrite) {
  auto memory = MemoryStore::Open(Schema());
  ASSERT_TRUE(memory.ok());
  FaultyStore faulty(**memory);
  faulty.FailNthWrite(3);
  std::vector<bool> ok;
  for (int i = 0; i < 5; ++i) ok.push_back(faulty.Write(JobBatch(i)).ok());
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false, true, true}));
  EXPECT_EQ(faulty.failed_writes(), 1u);
  EXPECT_FALSE((*memory)->Get(Column::kJobs, "job-2")->has_value());
  EXPECT_FALSE((*memory)->Get(Column::kPlacements, "job-2")->has_value());
  EXPECT_TRUE((*memory)->Get(Column::kJobs, "job-3")->has_value());
}

TEST(FaultyStoreTest, CorruptedReadReturnsDifferentBytesInGetAndScanUntilCleared) {
  auto memory = MemoryStore::Open(Schema());
  ASSERT_TRUE(memory.ok());
  FaultyStore faulty(**memory);
  ASSERT_TRUE(faulty.Write(JobBatch(1)).ok());
  ASSERT_TRUE(faulty.Write(JobBatch(2)).ok());
  faulty.CorruptReads(Column::kJobs, "job-1");
  std::string read = faulty.Get(Column::kJobs, "job-1")->value_or("");
  EXPECT_EQ(read.size(), 4u);
  EXPECT_NE(read, "spec");
  EXPECT_EQ(faulty.Get(Column::kJobs, "job-2")->value_or(""), "spec");
  EXPECT_EQ(faulty.Get(Column::kPlacements, "job-1")->value_or(""), "node-a");
  std::vector<std::string> scanned;
  ASSERT_TRUE(faulty
                  .Scan(Column::kJobs, ScanRange::All(),
                        [&](std::string_view, std::string_view v) {
                          scanned.emplace_back(v);
                          return true;
                        })
                  .ok());
  ASSERT_EQ(scanned.size(), 2u);
  EXPECT_NE(scanned[0], "spec");
  EXPECT_EQ(scanned[1], "spec");
  faulty.ClearFaults();
  EXPECT_EQ(faulty.Get(Column::kJobs, "job-1")->value_or(""), "spec");
  EXPECT_EQ((*memory)->Get(Column::kJobs, "job-1")->value_or(""), "spec");  // store untouched
}

}  // namespace
}  // namespace apsis::storage
