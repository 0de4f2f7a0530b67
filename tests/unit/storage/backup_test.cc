#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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

namespace fs = std::filesystem;

RocksDbOptions Options(const std::string& path) {
  RocksDbOptions options;
  options.path = path;
  options.schema.cluster_id = "cluster-a";
  return options;
}

WriteBatch Job(const std::string& id) {
  WriteBatch batch;
  batch.Put(Column::kJobs, id, "spec-" + id);
  batch.AppendEvent({TimePoint::FromSeconds(1), id, "submitted"});
  return batch;
}

TEST(BackupTest, OnlineBackupRestoresTheStateAtBackupTime) {
  testing::TempDir dir;
  auto store = RocksDbStore::Open(Options(dir.Sub("live")));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Write(Job("before")).ok());
  ASSERT_TRUE((*store)->BackupTo(dir.Sub("backup")).ok());
  ASSERT_TRUE((*store)->Write(Job("after")).ok());  // the live store keeps working

  ASSERT_TRUE(RestoreBackup(dir.Sub("backup"), dir.Sub("restored")).ok());
  auto restored = RocksDbStore::Open(Options(dir.Sub("restored")));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ((*restored)->Get(Column::kJobs, "before")->value_or(""), "spec-before");
  EXPECT_FALSE((*restored)->Get(Column::kJobs, "after")->has_value());
  EXPECT_EQ((*restored)->LastEventSequence(), 1u);
  EXPECT_EQ((*restored)->Get(Column::kMeta, "cluster_id")->value_or(""), "cluster-a");
  EXPECT_FALSE(fs::exists(dir.Sub("restored.restoring")));
}

TEST(BackupTest, BackupRefusesAnExistingDirectory) {
  testing::TempDir dir;
  auto store = RocksDbStore::Open(Options(dir.Sub("live")));
  ASSERT_TRUE(store.ok());
  fs::create_directories(dir.Sub("backup"));
  EXPECT_EQ((*store)->BackupTo(dir.Sub("backup")).code(), StatusCode::kAlreadyExists);
}

TEST(BackupTest, RestoreRefusesANonEmptyTargetAndAMissingBackup) {
  testing::TempDir dir;
  {
    auto store = RocksDbStore::Open(Options(dir.Sub("live")));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->BackupTo(dir.Sub("backup")).ok());
  }
  EXPECT_EQ(RestoreBackup(dir.Sub("backup"), dir.Sub("live")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(RestoreBackup(dir.Sub("nothing"), dir.Sub("target")).code(), StatusCode::kNotFound);
  fs::create_directories(dir.Sub("empty-target"));
  EXPECT_TRUE(RestoreBackup(dir.Sub("backup"), dir.Sub("empty-target")).ok());
}

TEST(BackupTest, MemoryStoreHasNothingToBackUp) {
  auto store = MemoryStore::Open(Schema());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->BackupTo("/tmp/unused").code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace apsis::storage
