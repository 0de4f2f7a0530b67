// Disk full at the filesystem level, below RocksDB: the WAL append fails with ENOSPC as it would
// on a full disk. RocksDbStore must report it clearly, lose nothing it acknowledged, and accept
// writes again once space is back (it resumes RocksDB out of its error state).
//
// RocksDB also recovers by itself from a full disk, polling free space every 5 s; this filesystem
// reports free space as unsupported, which turns that off, so the test drives the store's own
// Resume path deterministically and without waiting.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

#include "storage/group_committer.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

namespace apsis::storage {
namespace {

class FullDiskFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FullDiskFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& full)
      : FSWritableFileOwnerWrapper(std::move(file)), full_(full) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (full_.load()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (full_.load()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }

 private:
  const std::atomic<bool>& full_;
};

class FullDiskFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FullDiskFileSystem"; }
  rocksdb::IOStatus GetFreeSpace(const std::string&, const rocksdb::IOOptions&, uint64_t*,
                                 rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("free space is not known");
  }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (full.load()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    rocksdb::IOStatus s = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<FullDiskFile>(std::move(*result), full);
    return s;
  }
  std::atomic<bool> full{false};
};

WriteBatch Job(int i) {
  WriteBatch batch;
  batch.Put(Column::kJobs, "job-" + std::to_string(i), "spec");
  batch.AppendEvent({TimePoint::FromSeconds(i), "job-" + std::to_string(i), "submitted"});
  return batch;
}

TEST(RocksDbDiskFullTest, EnospcIsReportedNothingAcknowledgedIsLostAndWritesResume) {
  testing::TempDir dir;
  auto file_system = std::make_shared<FullDiskFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema.cluster_id = "c";
  options.env = env.get();
  {
    auto store = RocksDbStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    GroupCommitter committer(**store);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(committer.Commit(Job(i)).ok());

    file_system->full = true;
    Result<CommitInfo> failed = committer.Commit(Job(3));
    ASSERT_EQ(failed.status().code(), StatusCode::kResourceExhausted) << failed.status().ToString();
    EXPECT_NE(failed.status().message().find("disk holding the store is full"), std::string::npos);
    EXPECT_NE(failed.status().message().find(options.path), std::string::npos);
    // Still full: the next write fails the same clear way (RocksDB cannot resume yet).
    Result<CommitInfo> still = committer.Commit(Job(4));
    EXPECT_EQ(still.status().code(), StatusCode::kResourceExhausted) << still.status().ToString();
    EXPECT_TRUE((*store)->Get(Column::kJobs, "job-2")->has_value());  // reads keep working

    file_system->full = false;
    Result<CommitInfo> resumed = committer.Commit(Job(5));
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_EQ(resumed->first_event_sequence, 4u);
  }
  options.env = nullptr;
  auto reopened = RocksDbStore::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  for (int i : {0, 1, 2, 5}) {
    EXPECT_TRUE((*reopened)->Get(Column::kJobs, "job-" + std::to_string(i))->has_value()) << i;
  }
  for (int i : {3, 4}) {
    EXPECT_FALSE((*reopened)->Get(Column::kJobs, "job-" + std::to_string(i))->has_value()) << i;
  }
  EXPECT_EQ((*reopened)->LastEventSequence(), 4u);
}

}  // namespace
}  // namespace apsis::storage
