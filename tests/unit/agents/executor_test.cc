#include "agents/executor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace apsis::agents {
namespace {

v1::StartJob Start(uint32_t gpus) {
  v1::StartJob start;
  start.mutable_job()->set_id("train-1");
  start.mutable_job()->set_gpus(gpus);
  start.set_resume_from_gpu_hours(1.5);
  return start;
}

TEST(JobLaunchFromStartJob, GivesTheFirstGpusWhenNoIndicesAreNamed) {
  auto launch = JobLaunchFromStartJob(Start(3), 8);
  ASSERT_TRUE(launch.ok()) << launch.status().ToString();
  EXPECT_EQ(launch->gpu_indices, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(launch->resume_from_gpu_hours, 1.5);
  EXPECT_EQ(launch->spec.id(), "train-1");
}

TEST(JobLaunchFromStartJob, KeepsTheNamedIndices) {
  v1::StartJob start = Start(2);
  start.add_gpu_indices(6);
  start.add_gpu_indices(7);
  auto launch = JobLaunchFromStartJob(start, 8);
  ASSERT_TRUE(launch.ok()) << launch.status().ToString();
  EXPECT_EQ(launch->gpu_indices, (std::vector<uint32_t>{6, 7}));
}

TEST(JobLaunchFromStartJob, RefusesMoreGpusThanTheNodeHasInsteadOfAllocatingForThem) {
  // Without the check, gpus = 4294967295 makes the agent build four billion GPU indices.
  auto launch = JobLaunchFromStartJob(Start(std::numeric_limits<uint32_t>::max()), 8);
  ASSERT_FALSE(launch.ok());
  EXPECT_EQ(launch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(launch.status().message().find("exceeds this node's 8 GPUs"), std::string::npos)
      << launch.status().message();
}

TEST(JobLaunchFromStartJob, RefusesIndicesOutsideTheNodeOrRepeated) {
  v1::StartJob outside = Start(1);
  outside.add_gpu_indices(8);
  EXPECT_NE(JobLaunchFromStartJob(outside, 8).status().message().find("GPUs are 0..7"),
            std::string::npos);
  v1::StartJob twice = Start(2);
  twice.add_gpu_indices(3);
  twice.add_gpu_indices(3);
  EXPECT_NE(JobLaunchFromStartJob(twice, 8).status().message().find("twice"), std::string::npos);
}

TEST(JobLaunchFromStartJob, RefusesUnusableResumePoints) {
  v1::StartJob start = Start(1);
  start.set_resume_from_gpu_hours(std::nan(""));
  EXPECT_FALSE(JobLaunchFromStartJob(start, 8).ok());
  start.set_resume_from_gpu_hours(-1);
  EXPECT_FALSE(JobLaunchFromStartJob(start, 8).ok());
}

}  // namespace
}  // namespace apsis::agents
