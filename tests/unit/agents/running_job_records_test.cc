#include "agents/running_job_records.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace apsis::agents {
namespace {

v1::StartJob Start(const std::string& id, double resume) {
  v1::StartJob start;
  start.mutable_job()->set_id(id);
  start.mutable_job()->set_gpus(2);
  start.set_resume_from_gpu_hours(resume);
  start.add_gpu_indices(3);
  return start;
}

TEST(RunningJobRecordsTest, RecordsSurviveReopeningWithTheirLastCheckpoint) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/running";
  {
    auto records = RunningJobRecords::Open(path);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    ASSERT_TRUE((*records)->Save(Start("a", 0)).ok());
    ASSERT_TRUE((*records)->Save(Start("b", 1)).ok());
    ASSERT_TRUE((*records)->Checkpointed("a", 2.5).ok());
    ASSERT_TRUE((*records)->Checkpointed("a", 1.0).ok());  // never backwards
    ASSERT_TRUE((*records)->Forget("b").ok());
    ASSERT_TRUE((*records)->Checkpointed("unknown", 1).ok());
  }
  auto reopened = RunningJobRecords::Open(path);
  ASSERT_TRUE(reopened.ok());
  ASSERT_EQ((*reopened)->records().size(), 1u);
  const v1::StartJob& a = (*reopened)->records().at("a");
  EXPECT_DOUBLE_EQ(a.resume_from_gpu_hours(), 2.5);
  EXPECT_EQ(a.gpu_indices(0), 3u);
}

TEST(RunningJobRecordsTest, AnUnreadableRecordIsReportedWithItsPath) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/running";
  std::filesystem::create_directories(path);
  std::ofstream(path + "/x.start") << "\xff\xff not a record";
  auto records = RunningJobRecords::Open(path);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(records.status().message().find("x.start"), std::string::npos);
}

}  // namespace
}  // namespace apsis::agents
