#include "scheduler/daemon/job_spec_validation.h"

#include <gtest/gtest.h>

namespace apsis::daemon {
namespace {

const TimePoint kNow = TimePoint::FromSeconds(1'800'000'000);

TEST(JobSpecValidationTest, ValidTrainingSpecHasNoProblems) {
  v1::JobSpec spec;
  spec.set_kind(v1::JOB_KIND_TRAINING);
  spec.set_gpus(8);
  spec.set_watts_per_gpu(700);
  spec.mutable_training()->set_gpu_hours(64);
  EXPECT_TRUE(ValidateJobSpecProto(spec, "jobs[0]", kNow).empty());
}

TEST(JobSpecValidationTest, ListsEveryProblemWithItsFieldPath) {
  v1::JobSpec spec;
  spec.set_kind(v1::JOB_KIND_TRAINING);
  spec.set_gpus(0);
  spec.set_input_gb(-3);
  spec.mutable_training()->set_gpu_hours(-1);
  spec.mutable_training()->set_deadline_us((kNow - Seconds(60)).micros());
  auto problems = ValidateJobSpecProto(spec, "jobs[2]", kNow);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0], "jobs[2].gpus: must be at least 1");
  EXPECT_EQ(problems[1], "jobs[2].input_gb: must be >= 0, got -3");
  EXPECT_EQ(problems[2], "jobs[2].training.gpu_hours: must be > 0, got -1");
  EXPECT_NE(problems[3].find("jobs[2].training.deadline_us: is in the past"), std::string::npos);
}

TEST(JobSpecValidationTest, InferenceNeedsPeriodSloAndRegion) {
  v1::JobSpec spec;
  spec.set_kind(v1::JOB_KIND_INFERENCE);
  spec.set_gpus(1);
  auto problems = ValidateJobSpecProto(spec, "jobs[0]", kNow);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("serve_until_us: must be after"), std::string::npos);
  EXPECT_NE(problems[1].find("latency_slo_ms: must be > 0"), std::string::npos);
  EXPECT_NE(problems[2].find("user_region: is required"), std::string::npos);
}

TEST(JobSpecValidationTest, RunTimeBeyondTenYearsIsRefused) {
  // gpu_hours = 1e21 on one GPU made the planner convert ~10^22 steps to int64.
  v1::JobSpec spec;
  spec.set_kind(v1::JOB_KIND_TRAINING);
  spec.set_gpus(2);
  spec.mutable_training()->set_gpu_hours(1e21);
  auto problems = ValidateJobSpecProto(spec, "jobs[0]", kNow);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("jobs[0].training.gpu_hours: is 5", 0), 0u) << problems[0];
  EXPECT_NE(problems[0].find("at most 87600 (10 years)"), std::string::npos) << problems[0];
  spec.mutable_training()->set_gpu_hours(2 * 87'600);
  EXPECT_TRUE(ValidateJobSpecProto(spec, "jobs[0]", kNow).empty());
}

TEST(JobSpecValidationTest, UnknownKindIsNamed) {
  v1::JobSpec spec;
  spec.set_gpus(1);
  auto problems = ValidateJobSpecProto(spec, "jobs[0]", kNow);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "jobs[0].kind: must be training or inference");
}

}  // namespace
}  // namespace apsis::daemon
