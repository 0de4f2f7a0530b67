// Behaviour every Store implementation shares, run against MemoryStore and RocksDbStore.
#include "storage/store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/encoding.h"
#include "storage/memory_store.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

namespace apsis::storage {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

SchemaOptions TestSchema() {
  SchemaOptions schema;
  schema.cluster_id = "test-cluster";
  return schema;
}

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  virtual std::unique_ptr<Store> Make() = 0;
};

class MemoryFactory : public StoreFactory {
 public:
  std::unique_ptr<Store> Make() override {
    return std::move(MemoryStore::Open(TestSchema()).value());
  }
};

class RocksDbFactory : public StoreFactory {
 public:
  std::unique_ptr<Store> Make() override {
    RocksDbOptions options;
    options.path = dir_.Sub("db");
    options.schema = TestSchema();
    return std::move(RocksDbStore::Open(options).value());
  }

 private:
  testing::TempDir dir_;
};

template <typename Factory>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Make();
    ASSERT_NE(store_, nullptr);
  }
  Entries ScanAll(Column column, const ScanRange& range) {
    Entries out;
    Status s = store_->Scan(column, range, [&](std::string_view k, std::string_view v) {
      out.emplace_back(std::string(k), std::string(v));
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  void PutJobs(std::initializer_list<std::string> keys) {
    WriteBatch batch;
    for (const std::string& key : keys) batch.Put(Column::kJobs, key, "v-" + key);
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
};

using Factories = ::testing::Types<MemoryFactory, RocksDbFactory>;
TYPED_TEST_SUITE(StoreTest, Factories);

TYPED_TEST(StoreTest, PutThenGetReturnsValueAndMissingKeyIsNullopt) {
  WriteBatch batch;
  batch.Put(Column::kJobs, "job-1", "spec");
  ASSERT_TRUE(this->store_->Write(batch).ok());
  auto value = this->store_->Get(Column::kJobs, "job-1");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value_or(""), "spec");
  auto missing = this->store_->Get(Column::kJobs, "job-2");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TYPED_TEST(StoreTest, ColumnsAreSeparateKeySpaces) {
  WriteBatch batch;
  batch.Put(Column::kJobs, "x", "job");
  batch.Put(Column::kNodes, "x", "node");
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->store_->Get(Column::kJobs, "x")->value_or(""), "job");
  EXPECT_EQ(this->store_->Get(Column::kNodes, "x")->value_or(""), "node");
  EXPECT_FALSE(this->store_->Get(Column::kPlacements, "x")->has_value());
}

TYPED_TEST(StoreTest, BatchAcrossColumnsAppliesPutsAndDeletesInOrder) {
  this->PutJobs({"a", "b"});
  WriteBatch batch;
  batch.Delete(Column::kJobs, "a");
  batch.Put(Column::kJobs, "b", "updated");
  batch.Put(Column::kPlacements, "b", "node-1");
  batch.Put(Column::kJobs, "c", "first");
  batch.Put(Column::kJobs, "c", "second");
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::All()),
            (Entries{{"b", "updated"}, {"c", "second"}}));
  EXPECT_EQ(this->store_->Get(Column::kPlacements, "b")->value_or(""), "node-1");
}

TYPED_TEST(StoreTest, ScansByPrefixRangeAndInReverse) {
  this->PutJobs({"a/1", "a/2", "ab", "b/1", "c"});
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::WithPrefix("a/")),
            (Entries{{"a/1", "v-a/1"}, {"a/2", "v-a/2"}}));
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::Between("ab", "c")),
            (Entries{{"ab", "v-ab"}, {"b/1", "v-b/1"}}));
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::Between("ab", "c").Reversed()),
            (Entries{{"b/1", "v-b/1"}, {"ab", "v-ab"}}));
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::All().Reversed()).front().first, "c");
  EXPECT_TRUE(this->ScanAll(Column::kJobs, ScanRange::Between("c", "a")).empty());
  EXPECT_TRUE(this->ScanAll(Column::kJobs, ScanRange::WithPrefix("zz")).empty());
}

TYPED_TEST(StoreTest, ScanStopsWhenVisitorReturnsFalse) {
  this->PutJobs({"a", "b", "c"});
  int visited = 0;
  ASSERT_TRUE(this->store_
                  ->Scan(Column::kJobs, ScanRange::All(),
                         [&](std::string_view, std::string_view) { return ++visited < 2; })
                  .ok());
  EXPECT_EQ(visited, 2);
}

TYPED_TEST(StoreTest, DeleteRangeRemovesHalfOpenInterval) {
  this->PutJobs({"a", "b", "c", "d"});
  WriteBatch batch;
  batch.DeleteRange(Column::kJobs, "b", "d");
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->ScanAll(Column::kJobs, ScanRange::All()), (Entries{{"a", "v-a"}, {"d", "v-d"}}));
}

TYPED_TEST(StoreTest, InvalidDeleteRangeIsRejectedAndNothingApplied) {
  WriteBatch batch;
  batch.Put(Column::kJobs, "a", "1");
  batch.DeleteRange(Column::kJobs, "d", "b");
  Result<CommitInfo> written = this->store_->Write(batch);
  EXPECT_EQ(written.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(this->store_->Get(Column::kJobs, "a")->has_value());
}

TYPED_TEST(StoreTest, EventsGetConsecutiveSequencesAndIndexes) {
  WriteBatch first;
  first.AppendEvent({TimePoint::FromSeconds(100), "job-1", "submitted"});
  first.AppendEvent({TimePoint::FromSeconds(101), "", "node-up"});
  Result<CommitInfo> a = this->store_->Write(first);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first_event_sequence, 1u);
  EXPECT_EQ(a->event_count, 2u);
  WriteBatch second;
  second.AppendEvent({TimePoint::FromSeconds(102), "job-1", "placed"});
  Result<CommitInfo> b = this->store_->Write(second);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_event_sequence, 3u);
  EXPECT_EQ(this->store_->LastEventSequence(), 3u);

  Entries events = this->ScanAll(Column::kEvents, ScanRange::All());
  ASSERT_EQ(events.size(), 3u);
  Result<Event> decoded = DecodeEvent(events[2].first, events[2].second);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->sequence, 3u);
  EXPECT_EQ(decoded->job_id, "job-1");
  EXPECT_EQ(decoded->payload, "placed");
  EXPECT_EQ(decoded->time, TimePoint::FromSeconds(102));
  EXPECT_EQ(this->ScanAll(Column::kEventsByJob, ScanRange::All()).size(), 2u);  // not node-up
  EXPECT_EQ(this->ScanAll(Column::kEventsByTime, ScanRange::All()).size(), 3u);
  EXPECT_EQ(this->store_->Get(Column::kMeta, kMetaLastEventSequence)->value_or(""),
            EncodeBigEndian64(3));
}

TYPED_TEST(StoreTest, ParallelScanOverSplitKeysVisitsEveryEntryOnce) {
  WriteBatch batch;
  for (int i = 0; i < 1000; ++i) batch.Put(Column::kJobs, "job-" + std::to_string(i), "v");
  ASSERT_TRUE(this->store_->Write(batch).ok());
  Entries whole = this->ScanAll(Column::kJobs, ScanRange::All());
  auto computed = this->store_->SplitKeys(Column::kJobs, 4);
  ASSERT_TRUE(computed.ok());
  for (const std::vector<std::string>& splits :
       {*computed, std::vector<std::string>{"job-3", "job-6"}, std::vector<std::string>{}}) {
    std::vector<Entries> ranges(splits.size() + 1);
    Status s = ParallelScan(*this->store_, Column::kJobs, splits, [&](size_t i) -> ScanVisitor {
      return [&ranges, i](std::string_view k, std::string_view v) {
        ranges[i].emplace_back(std::string(k), std::string(v));
        return true;
      };
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    Entries joined;
    for (const Entries& r : ranges) joined.insert(joined.end(), r.begin(), r.end());
    EXPECT_EQ(joined, whole);
  }
}

TEST(SplitKeysTest, RocksDbSplitsAFlushedColumnIntoBalancedRanges) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema = TestSchema();
  options.write_buffer_bytes = 256 << 10;  // many small SST files
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok());
  for (int b = 0; b < 20; ++b) {
    WriteBatch batch;
    for (int i = 0; i < 1000; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "job-%06d", b * 1000 + i);
      batch.Put(Column::kJobs, key, std::string(200, 'x'));
    }
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  ASSERT_TRUE((*store)->Flush().ok());
  auto splits = (*store)->SplitKeys(Column::kJobs, 2);
  ASSERT_TRUE(splits.ok());
  ASSERT_EQ(splits->size(), 1u);
  // The cut lands near the middle of the 20,000 keys.
  EXPECT_GT(splits->front(), "job-005000");
  EXPECT_LT(splits->front(), "job-015000");
}

TYPED_TEST(StoreTest, JobIdWithNulByteIsRejected) {
  WriteBatch batch;
  batch.AppendEvent({TimePoint::FromSeconds(1), std::string("a\0b", 3), "x"});
  EXPECT_EQ(this->store_->Write(batch).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->LastEventSequence(), 0u);
}

TEST(EncodingTest, BigEndianAndOrderedTimeSortBytewise) {
  EXPECT_LT(EncodeBigEndian64(255), EncodeBigEndian64(256));
  EXPECT_EQ(DecodeBigEndian64(EncodeBigEndian64(0x0102030405060708ull)), 0x0102030405060708ull);
  EXPECT_FALSE(DecodeBigEndian64("short").has_value());
  EXPECT_LT(EncodeOrderedTime(TimePoint::FromMicros(-5)),
            EncodeOrderedTime(TimePoint::FromMicros(3)));
  EXPECT_EQ(DecodeOrderedTime(EncodeOrderedTime(TimePoint::FromMicros(-5))),
            TimePoint::FromMicros(-5));
  EXPECT_EQ(PrefixSuccessor("ab\xff"), "ac");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
}

TEST(EncodingTest, TruncatedEventValueIsDataLoss) {
  EXPECT_EQ(DecodeEvent(EventKey(7), "short").status().code(), StatusCode::kDataLoss);
  std::string value = EventValue({TimePoint::FromSeconds(1), "job", "p"});
  value.resize(13);  // job id length says 3, only 1 byte left
  EXPECT_EQ(DecodeEvent(EventKey(7), value).status().code(), StatusCode::kDataLoss);
}

TEST(RocksDbStoreTest, DataAndSequencesSurviveReopen) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema = TestSchema();
  options.flush_on_close = false;  // leave everything in the WAL, as after a crash
  {
    auto store = RocksDbStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    WriteBatch batch;
    batch.Put(Column::kNodes, "node-1", "spec");
    batch.AppendEvent({TimePoint::FromSeconds(5), "job-1", "e"});
    batch.AppendEvent({TimePoint::FromSeconds(6), "job-1", "f"});
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Get(Column::kNodes, "node-1")->value_or(""), "spec");
  EXPECT_EQ((*store)->LastEventSequence(), 2u);
  WriteBatch next;
  next.AppendEvent({TimePoint::FromSeconds(7), "job-1", "g"});
  EXPECT_EQ((*store)->Write(next)->first_event_sequence, 3u);
}

TEST(RocksDbStoreTest, SecondOpenOfSameDirectoryIsRefusedWhileFirstIsOpen) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.Sub("db");
  options.schema = TestSchema();
  auto first = RocksDbStore::Open(options);
  ASSERT_TRUE(first.ok());
  auto second = RocksDbStore::Open(options);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition) << second.status().ToString();
  EXPECT_NE(second.status().message().find("Another process"), std::string::npos);
}

}  // namespace
}  // namespace apsis::storage
