#include "agents/event_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace apsis::agents {
namespace {

v1::JobEvent Event(const std::string& job, v1::JobEventKind kind) {
  v1::JobEvent event;
  event.set_node_id("n1");
  event.set_job_id(job);
  event.set_kind(kind);
  return event;
}

TEST(EventJournalTest, NumbersEventsAndKeepsUnacknowledgedOnesAcrossReopen) {
  testing::TempDir dir;
  const std::string path = dir.File("events.journal");
  {
    auto journal = EventJournal::Open(path);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    for (int i = 0; i < 5; ++i) {
      auto appended = (*journal)->Append(Event("j" + std::to_string(i), v1::JOB_EVENT_STARTED));
      ASSERT_TRUE(appended.ok());
      EXPECT_EQ(appended->sequence(), static_cast<uint64_t>(i + 1));
    }
    ASSERT_TRUE((*journal)->Acknowledge(2).ok());
    EXPECT_EQ((*journal)->pending().size(), 3u);
  }
  auto reopened = EventJournal::Open(path);
  ASSERT_TRUE(reopened.ok());
  ASSERT_EQ((*reopened)->pending().size(), 3u);
  EXPECT_EQ((*reopened)->pending().front().sequence(), 3u);
  EXPECT_EQ((*reopened)->pending().front().job_id(), "j2");
  EXPECT_EQ((*reopened)->pending().back().sequence(), 5u);
  EXPECT_EQ((*reopened)->next_sequence(), 6u);
  EXPECT_EQ((*reopened)->acknowledged(), 2u);
}

TEST(EventJournalTest, DropsATornLastRecordAndKeepsTheRest) {
  testing::TempDir dir;
  const std::string path = dir.File("events.journal");
  {
    auto journal = EventJournal::Open(path);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->Append(Event("a", v1::JOB_EVENT_STARTED)).ok());
    ASSERT_TRUE((*journal)->Append(Event("a", v1::JOB_EVENT_FINISHED)).ok());
  }
  // A crash in the middle of the second write leaves half a record.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 7);
  auto journal = EventJournal::Open(path);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_EQ((*journal)->pending().size(), 1u);
  auto next = (*journal)->Append(Event("a", v1::JOB_EVENT_FINISHED));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->sequence(), 2u);
  auto again = EventJournal::Open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->pending().size(), 2u);
}

TEST(EventJournalTest, CorruptionInTheMiddleIsDataLoss) {
  testing::TempDir dir;
  const std::string path = dir.File("events.journal");
  {
    auto journal = EventJournal::Open(path);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->Append(Event("a", v1::JOB_EVENT_STARTED)).ok());
    ASSERT_TRUE((*journal)->Append(Event("b", v1::JOB_EVENT_STARTED)).ok());
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('\x7f');
  }
  auto journal = EventJournal::Open(path);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(journal.status().message().find("byte 0"), std::string::npos);
}

TEST(EventJournalTest, SequenceFloorFromTheSchedulerSurvivesReopenAndCompaction) {
  testing::TempDir dir;
  const std::string path = dir.File("events.journal");
  {
    auto journal = EventJournal::Open(path, /*compact_at_bytes=*/2048);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->EnsureSequenceAbove(41).ok());
    // Enough acknowledged traffic to trigger compactions.
    for (int i = 0; i < 60; ++i) {
      auto e = (*journal)->Append(Event(std::string(40, 'x'), v1::JOB_EVENT_PROGRESS));
      ASSERT_TRUE(e.ok());
      ASSERT_TRUE((*journal)->Acknowledge(e->sequence()).ok());
    }
    EXPECT_LT(std::filesystem::file_size(path), 2048u);
  }
  auto journal = EventJournal::Open(path);
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE((*journal)->pending().empty());
  EXPECT_EQ((*journal)->next_sequence(), 42u + 60u);
}

}  // namespace
}  // namespace apsis::agents
