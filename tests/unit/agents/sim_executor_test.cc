#include "agents/sim_executor.h"

#include <gtest/gtest.h>

namespace apsis::agents {
namespace {

class SimExecutorTest : public ::testing::Test {
 protected:
  SimExecutorTest()
      : executor_(io_, clock_, SimExecutorOptions{Minutes(30)},
                  [this](ExecutorEvent e) { events_.push_back(std::move(e)); }) {}

  JobLaunch Training(const std::string& id, uint32_t gpus, double gpu_hours,
                     Duration checkpoint_interval = Duration::zero()) {
    JobLaunch launch;
    launch.spec.set_id(id);
    launch.spec.set_kind(v1::JOB_KIND_TRAINING);
    launch.spec.set_gpus(gpus);
    launch.spec.set_watts_per_gpu(700);
    launch.spec.mutable_training()->set_gpu_hours(gpu_hours);
    launch.spec.mutable_training()->set_checkpoint_interval_us(checkpoint_interval.count());
    return launch;
  }

  void AdvanceTo(Duration since_start) {
    clock_.Set(start_ + since_start);
    io_.poll();
    io_.restart();
    io_.poll();
    io_.restart();
  }

  std::vector<v1::JobEventKind> Kinds() const {
    std::vector<v1::JobEventKind> kinds;
    for (const ExecutorEvent& e : events_) kinds.push_back(e.kind);
    return kinds;
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  TimePoint start_ = clock_.Now();
  SimExecutor executor_;
  std::vector<ExecutorEvent> events_;
};

TEST_F(SimExecutorTest, ProgressesAtTheJobsGpuRateAndCheckpointsOnSchedule) {
  // 4 GPUs, 8 GPU-hours: 2 hours of work, a checkpoint every 30 minutes.
  ASSERT_TRUE(executor_.Start(Training("t", 4, 8.0)).ok());
  AdvanceTo(Minutes(45));
  ASSERT_EQ(Kinds(),
            (std::vector<v1::JobEventKind>{v1::JOB_EVENT_STARTED, v1::JOB_EVENT_CHECKPOINTED}));
  EXPECT_EQ(events_[1].at, start_ + Minutes(30));
  EXPECT_DOUBLE_EQ(events_[1].progress_gpu_hours, 2.0);
  ASSERT_EQ(executor_.Running().size(), 1u);
  EXPECT_DOUBLE_EQ(executor_.Running()[0].progress_gpu_hours, 3.0);
  EXPECT_DOUBLE_EQ(executor_.PowerDrawW(), 2800.0);

  AdvanceTo(Hours(3));
  // Checkpoints at 30, 60 and 90 minutes, then the finish at 2 h (no checkpoint at the finish).
  ASSERT_EQ(Kinds(),
            (std::vector<v1::JobEventKind>{v1::JOB_EVENT_STARTED, v1::JOB_EVENT_CHECKPOINTED,
                                           v1::JOB_EVENT_CHECKPOINTED, v1::JOB_EVENT_CHECKPOINTED,
                                           v1::JOB_EVENT_FINISHED}));
  EXPECT_EQ(events_.back().at, start_ + Hours(2));
  EXPECT_DOUBLE_EQ(events_.back().progress_gpu_hours, 8.0);
  EXPECT_TRUE(executor_.Running().empty());
  EXPECT_DOUBLE_EQ(executor_.PowerDrawW(), 0.0);
}

TEST_F(SimExecutorTest, StopWithoutCheckpointLosesWorkSinceTheLastCheckpoint) {
  ASSERT_TRUE(executor_.Start(Training("t", 2, 10.0, Minutes(60))).ok());
  AdvanceTo(Minutes(90));
  ASSERT_TRUE(executor_.Stop("t", /*checkpoint=*/false).ok());
  io_.poll();
  ASSERT_EQ(events_.back().kind, v1::JOB_EVENT_STOPPED);
  EXPECT_DOUBLE_EQ(events_.back().progress_gpu_hours, 2.0);  // the 60-minute checkpoint
}

TEST_F(SimExecutorTest, StopWithCheckpointKeepsAllWorkAndARestartResumesFromIt) {
  ASSERT_TRUE(executor_.Start(Training("t", 2, 4.0, Minutes(60))).ok());
  AdvanceTo(Minutes(45));
  ASSERT_TRUE(executor_.Stop("t", /*checkpoint=*/true).ok());
  io_.poll();
  EXPECT_DOUBLE_EQ(events_.back().progress_gpu_hours, 1.5);
  EXPECT_DOUBLE_EQ(executor_.LastCheckpoint("t"), 1.5);

  // Restarted later with no resume point from the scheduler: continues from 1.5 GPU-hours,
  // so 2.5 GPU-hours on 2 GPUs take 75 minutes.
  AdvanceTo(Hours(5));
  ASSERT_TRUE(executor_.Start(Training("t", 2, 4.0, Minutes(60))).ok());
  AdvanceTo(Hours(5) + Minutes(75));
  ASSERT_EQ(events_.back().kind, v1::JOB_EVENT_FINISHED);
  EXPECT_EQ(events_.back().at, start_ + Hours(5) + Minutes(75));
  EXPECT_DOUBLE_EQ(events_.back().progress_gpu_hours, 4.0);
}

TEST_F(SimExecutorTest, ResumesFromTheSchedulersResumePoint) {
  JobLaunch launch = Training("t", 1, 3.0, Minutes(60));
  launch.resume_from_gpu_hours = 2.5;
  ASSERT_TRUE(executor_.Start(launch).ok());
  io_.poll();
  EXPECT_DOUBLE_EQ(events_.front().progress_gpu_hours, 2.5);
  AdvanceTo(Minutes(30));
  ASSERT_EQ(events_.back().kind, v1::JOB_EVENT_FINISHED);
}

TEST_F(SimExecutorTest, ServingJobRunsUntilItsServingPeriodEnds) {
  JobLaunch launch;
  launch.spec.set_id("serve");
  launch.spec.set_kind(v1::JOB_KIND_INFERENCE);
  launch.spec.set_gpus(1);
  launch.spec.set_watts_per_gpu(400);
  launch.spec.mutable_inference()->set_serve_until_us((start_ + Hours(6)).micros());
  ASSERT_TRUE(executor_.Start(launch).ok());
  AdvanceTo(Hours(5));
  EXPECT_EQ(executor_.Running().size(), 1u);
  AdvanceTo(Hours(7));
  ASSERT_EQ(events_.back().kind, v1::JOB_EVENT_FINISHED);
  EXPECT_EQ(events_.back().at, start_ + Hours(6));
}

TEST_F(SimExecutorTest, RejectsDuplicatesAndUnknownStops) {
  ASSERT_TRUE(executor_.Start(Training("t", 1, 1.0)).ok());
  EXPECT_EQ(executor_.Start(Training("t", 1, 1.0)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(executor_.Stop("nope", true).code(), StatusCode::kNotFound);
  EXPECT_EQ(executor_.Start(Training("zero", 0, 1.0)).code(), StatusCode::kInvalidArgument);
}

TEST_F(SimExecutorTest, AdoptResumesFromTheRecordedCheckpointWithoutANewStart) {
  JobLaunch launch = Training("t", 2, 4.0, Minutes(60));
  launch.resume_from_gpu_hours = 2.0;  // the last checkpoint before the agent restarted
  ASSERT_TRUE(executor_.Adopt(launch).ok());
  io_.poll();
  EXPECT_TRUE(events_.empty()) << "an adopted job is not started again";
  ASSERT_EQ(executor_.Running().size(), 1u);
  EXPECT_DOUBLE_EQ(executor_.Running()[0].progress_gpu_hours, 2.0);
  AdvanceTo(Minutes(60));  // 2 GPU-hours left on 2 GPUs
  EXPECT_EQ(Kinds(), std::vector<v1::JobEventKind>{v1::JOB_EVENT_FINISHED});
}

}  // namespace
}  // namespace apsis::agents
