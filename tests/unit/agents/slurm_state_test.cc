#include <gtest/gtest.h>

#include "agents/slurm_executor.h"

namespace apsis::agents {
namespace {

TEST(SlurmStateTest, MapsSlurmStatesToJobStates) {
  EXPECT_EQ(ClassifySlurmState("PENDING"), SlurmStateClass::kPending);
  EXPECT_EQ(ClassifySlurmState("CONFIGURING"), SlurmStateClass::kPending);
  EXPECT_EQ(ClassifySlurmState("RUNNING"), SlurmStateClass::kRunning);
  EXPECT_EQ(ClassifySlurmState("COMPLETING"), SlurmStateClass::kRunning);
  EXPECT_EQ(ClassifySlurmState("SUSPENDED"), SlurmStateClass::kSuspended);
  EXPECT_EQ(ClassifySlurmState("COMPLETED"), SlurmStateClass::kCompleted);
  EXPECT_EQ(ClassifySlurmState("CANCELLED+"), SlurmStateClass::kCancelled);
  EXPECT_EQ(ClassifySlurmState("CANCELLED by 0"), SlurmStateClass::kCancelled);
  for (const char* failed : {"FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL"}) {
    EXPECT_EQ(ClassifySlurmState(failed), SlurmStateClass::kFailed) << failed;
  }
  EXPECT_EQ(ToJobState(SlurmStateClass::kPending), v1::JOB_STATE_STARTING);
  EXPECT_EQ(ToJobState(SlurmStateClass::kRunning), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(ToJobState(SlurmStateClass::kCompleted), v1::JOB_STATE_SUCCEEDED);
}

TEST(SlurmStateTest, ParsesScontrolOneLineOutput) {
  auto record = ParseScontrolJobLine(
      "JobId=12 JobName=apsis-x UserId=root(0) JobState=FAILED Reason=NonZeroExitCode "
      "Dependency=(null) ExitCode=7:0 RunTime=00:00:01");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->job_state, "FAILED");
  EXPECT_EQ(record->reason, "NonZeroExitCode");
  EXPECT_EQ(record->exit_code, 7);
  EXPECT_EQ(record->exit_signal, 0);
  EXPECT_FALSE(ParseScontrolJobLine("JobId=12 nothing useful").ok());
  EXPECT_FALSE(ParseScontrolJobLine("JobState=FAILED ExitCode=x:y").ok());
}

}  // namespace
}  // namespace apsis::agents
