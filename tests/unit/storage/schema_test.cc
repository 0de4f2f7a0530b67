#include "storage/schema.h"

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

RocksDbOptions Options(const testing::TempDir& dir, uint32_t version = kCurrentSchemaVersion,
                       std::string cluster = "cluster-a") {
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema.cluster_id = std::move(cluster);
  options.schema.version = version;
  return options;
}

std::string ReadMeta(Store& store, std::string_view key) {
  return store.Get(Column::kMeta, key)->value_or("<missing>");
}

TEST(SchemaTest, NewStoreRecordsVersionAndClusterId) {
  testing::TempDir dir;
  auto store = RocksDbStore::Open(Options(dir));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(ReadMeta(**store, kMetaSchemaVersion), std::to_string(kCurrentSchemaVersion));
  EXPECT_EQ(ReadMeta(**store, kMetaClusterId), "cluster-a");
}

TEST(SchemaTest, NewStoreIsCreatedWithMissingParentDirectories) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  options.path = dir.Sub("var/lib/apsis/state");
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(fs::exists(options.path + "/CURRENT"));
}

TEST(SchemaTest, MissingStoreIsNotCreatedWhenCreationIsNotAllowed) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  options.create_if_missing = false;
  auto store = RocksDbStore::Open(options);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir.Sub("db")));
}

TEST(SchemaTest, EmptyClusterIdIsRejected) {
  testing::TempDir dir;
  auto store = RocksDbStore::Open(Options(dir, kCurrentSchemaVersion, ""));
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
}

TEST(SchemaTest, NewerSchemaVersionIsRefusedWithAdvice) {
  testing::TempDir dir;
  ASSERT_TRUE(RocksDbStore::Open(Options(dir, 7)).ok());
  auto store = RocksDbStore::Open(Options(dir, 3));
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = store.status().message();
  EXPECT_NE(message.find("schema version 7"), std::string::npos) << message;
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.Sub("db")), std::string::npos) << message;
  // The refusal changed nothing.
  auto again = RocksDbStore::Open(Options(dir, 7));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadMeta(**again, kMetaSchemaVersion), "7");
}

TEST(SchemaTest, OtherClusterIdIsRefusedWithBothNames) {
  testing::TempDir dir;
  ASSERT_TRUE(RocksDbStore::Open(Options(dir, 1, "cluster-a")).ok());
  auto store = RocksDbStore::Open(Options(dir, 1, "cluster-b"));
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("'cluster-a'"), std::string::npos);
  EXPECT_NE(store.status().message().find("'cluster-b'"), std::string::npos);
}

TEST(SchemaTest, OlderSchemaIsMigratedStepByStep) {
  testing::TempDir dir;
  {
    auto v1 = RocksDbStore::Open(Options(dir, 1));
    ASSERT_TRUE(v1.ok());
    WriteBatch batch;
    batch.Put(Column::kJobs, "job-1", "old-format");
    batch.Put(Column::kJobs, "job-2", "old-format");
    ASSERT_TRUE((*v1)->Write(batch).ok());
  }
  SchemaMigrations migrations;
  std::vector<uint32_t> ran;
  ASSERT_TRUE(migrations
                  .Register({1, "rewrite job records",
                             [&](const Store& store, WriteBatch& changes) {
                               ran.push_back(1);
                               return store.Scan(Column::kJobs, ScanRange::All(),
                                                 [&](std::string_view k, std::string_view v) {
                                                   changes.Put(Column::kJobs, k,
                                                               "v2:" + std::string(v));
                                                   return true;
                                                 });
                             }})
                  .ok());
  ASSERT_TRUE(migrations
                  .Register({2, "add default node",
                             [&](const Store&, WriteBatch& changes) {
                               ran.push_back(2);
                               changes.Put(Column::kNodes, "default", "node");
                               return Status::Ok();
                             }})
                  .ok());
  EXPECT_EQ(
      migrations.Register({2, "duplicate", [](const Store&, WriteBatch&) { return Status::Ok(); }})
          .code(),
      StatusCode::kAlreadyExists);

  RocksDbOptions options = Options(dir, 3);
  options.schema.migrations = &migrations;
  auto v3 = RocksDbStore::Open(options);
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  EXPECT_EQ(ran, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(ReadMeta(**v3, kMetaSchemaVersion), "3");
  EXPECT_EQ((*v3)->Get(Column::kJobs, "job-2")->value_or(""), "v2:old-format");
  EXPECT_TRUE((*v3)->Get(Column::kNodes, "default")->has_value());
}

TEST(SchemaTest, FailedMigrationStepLeavesStoreAtLastCompleteVersion) {
  testing::TempDir dir;
  ASSERT_TRUE(RocksDbStore::Open(Options(dir, 1)).ok());
  SchemaMigrations migrations;
  ASSERT_TRUE(migrations
                  .Register({1, "ok",
                             [](const Store&, WriteBatch& changes) {
                               changes.Put(Column::kNodes, "step1", "done");
                               return Status::Ok();
                             }})
                  .ok());
  ASSERT_TRUE(migrations
                  .Register({2, "fails",
                             [](const Store&, WriteBatch& changes) {
                               changes.Put(Column::kNodes, "step2", "partial");
                               return InternalError("cannot convert record");
                             }})
                  .ok());
  RocksDbOptions options = Options(dir, 3);
  options.schema.migrations = &migrations;
  auto failed = RocksDbStore::Open(options);
  ASSERT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("from schema version 2"), std::string::npos);

  auto v2 = RocksDbStore::Open(Options(dir, 2));
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(ReadMeta(**v2, kMetaSchemaVersion), "2");
  EXPECT_TRUE((*v2)->Get(Column::kNodes, "step1")->has_value());
  EXPECT_FALSE((*v2)->Get(Column::kNodes, "step2")->has_value());
}

TEST(SchemaTest, MissingMigrationStepIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(RocksDbStore::Open(Options(dir, 1)).ok());
  auto store = RocksDbStore::Open(Options(dir, 2));
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("no migration step"), std::string::npos);
}

// --- Corruption: reported as DataLoss with the path and advice, never silently reset. ---

void FlipBytes(const fs::path& file, uint64_t offset, size_t count) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << file;
  std::vector<char> bytes(count);
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(bytes.data(), static_cast<std::streamsize>(count));
  for (char& b : bytes) b = static_cast<char>(~b);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(count));
}

std::vector<fs::path> FilesNamed(const std::string& dir, std::string_view needle) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(needle) != std::string::npos) {
      out.push_back(entry.path());
    }
  }
  return out;
}

void ExpectDataLossNamingStore(const Status& s, const std::string& path) {
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("restore"), std::string::npos) << s.message();
}

// Writes 2,000 jobs and flushes them into SST files.
void WriteJobsToSst(const RocksDbOptions& options) {
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok());
  WriteBatch batch;
  for (int i = 0; i < 2000; ++i) {
    batch.Put(Column::kJobs, "job-" + std::to_string(i), std::string(200, 'a' + i % 26));
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  ASSERT_TRUE((*store)->Flush().ok());
}

// Status of opening the store and scanning all jobs.
Status OpenAndScanJobs(const RocksDbOptions& options) {
  auto store = RocksDbStore::Open(options);
  if (!store.ok()) return store.status();
  return (*store)->Scan(Column::kJobs, ScanRange::All(),
                        [](std::string_view, std::string_view) { return true; });
}

TEST(CorruptionTest, CorruptedSstBlockIsReportedOnReadAndNotReset) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteJobsToSst(options);
  // The biggest SST holds the jobs; its first data block starts at offset 0.
  std::vector<fs::path> ssts = FilesNamed(options.path, ".sst");
  ASSERT_FALSE(ssts.empty());
  fs::path jobs_sst = *std::max_element(ssts.begin(), ssts.end(), [](auto& a, auto& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  FlipBytes(jobs_sst, 100, 16);

  ExpectDataLossNamingStore(OpenAndScanJobs(options), options.path);
  // Checking on open finds it before anything else runs.
  RocksDbOptions verify = options;
  verify.verify_checksums_on_open = true;
  auto verified = RocksDbStore::Open(verify);
  ExpectDataLossNamingStore(verified.status(), options.path);
  // Still reported on the next attempt: nothing was reset or rewritten.
  ExpectDataLossNamingStore(OpenAndScanJobs(options), options.path);
  EXPECT_TRUE(fs::exists(jobs_sst));
}

TEST(CorruptionTest, CorruptedManifestIsReportedOnOpen) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteJobsToSst(options);
  std::vector<fs::path> manifests = FilesNamed(options.path, "MANIFEST-");
  ASSERT_EQ(manifests.size(), 1u);
  uint64_t size = fs::file_size(manifests[0]);
  ASSERT_GT(size, 64u);
  FlipBytes(manifests[0], size / 2, 16);
  auto store = RocksDbStore::Open(options);
  ExpectDataLossNamingStore(store.status(), options.path);
  auto again = RocksDbStore::Open(options);
  ExpectDataLossNamingStore(again.status(), options.path);
}

TEST(CorruptionTest, DirectoryWithoutCurrentFileIsNotOverwrittenByANewStore) {
  testing::TempDir dir;
  RocksDbOptions options = Options(dir);
  WriteJobsToSst(options);
  fs::remove(fs::path(options.path) / "CURRENT");
  auto store = RocksDbStore::Open(options);
  ExpectDataLossNamingStore(store.status(), options.path);
  EXPECT_FALSE(fs::exists(fs::path(options.path) / "CURRENT"));  // no new store was created
}

}  // namespace
}  // namespace apsis::storage
