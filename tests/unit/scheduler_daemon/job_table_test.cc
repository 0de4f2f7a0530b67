#include "scheduler/daemon/job_table.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace apsis::daemon {
namespace {

v1::JobStatus Job(const std::string& id, v1::JobState state, const std::string& node = "",
                  v1::JobKind kind = v1::JOB_KIND_TRAINING) {
  v1::JobStatus job;
  job.mutable_spec()->set_id(id);
  job.mutable_spec()->set_kind(kind);
  job.mutable_spec()->set_owner("alice");
  job.set_state(state);
  job.set_message("state " + v1::JobState_Name(state));
  if (!node.empty()) job.mutable_placement()->set_node_id(node);
  return job;
}

std::vector<std::string> OnNode(JobTable& table, const std::string& node) {
  const std::set<std::string>& ids = table.OnNode(node);
  return {ids.begin(), ids.end()};
}

using Ids = std::vector<std::string>;

TEST(JobTable, NodeIndexFollowsSubmitPlaceStartFinishAndLoss) {
  JobTable table;
  ASSERT_TRUE(table.Insert(Job("a", v1::JOB_STATE_PENDING)).ok());
  ASSERT_TRUE(table.Insert(Job("b", v1::JOB_STATE_PENDING)).ok());
  EXPECT_EQ(table.Insert(Job("a", v1::JOB_STATE_PENDING)).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(table.NodesWithJobs().empty());

  // Placed on n1, then started.
  for (const char* id : {"a", "b"}) {
    v1::JobStatus& st = table.find(id)->second.mutable_status();
    st.set_state(v1::JOB_STATE_PLACED);
    st.mutable_placement()->set_node_id("n1");
  }
  EXPECT_EQ(OnNode(table, "n1"), (Ids{"a", "b"}));
  table.find("a")->second.mutable_status().set_state(v1::JOB_STATE_RUNNING);
  EXPECT_EQ(OnNode(table, "n1"), (Ids{"a", "b"}));
  EXPECT_EQ(table.Count(v1::JOB_STATE_RUNNING, false), 1u);
  EXPECT_EQ(table.Count(v1::JOB_STATE_PLACED, false), 1u);

  // a finishes; b is lost and re-queued (pending), then placed on n2.
  table.find("a")->second.mutable_status().set_state(v1::JOB_STATE_SUCCEEDED);
  table.find("b")->second.mutable_status().set_state(v1::JOB_STATE_PENDING);
  EXPECT_TRUE(OnNode(table, "n1").empty());
  EXPECT_TRUE(table.NodesWithJobs().empty());
  v1::JobStatus& b = table.find("b")->second.mutable_status();
  b.set_state(v1::JOB_STATE_PLACED);
  b.mutable_placement()->set_node_id("n2");
  EXPECT_EQ(OnNode(table, "n2"), (Ids{"b"}));
  EXPECT_EQ(table.NodesWithJobs(), (Ids{"n2"}));
  EXPECT_EQ(table.Count(v1::JOB_STATE_SUCCEEDED, false), 1u);
  EXPECT_EQ(table.Count(v1::JOB_STATE_PENDING, false), 0u);
  EXPECT_EQ(table.Count(v1::JOB_STATE_PLACED, false), 1u);
}

TEST(JobTable, StoredFinishedJobsStayPackedUntilReadAndKeepEveryField) {
  JobTable table;
  const v1::JobStatus done = Job("job-1", v1::JOB_STATE_SUCCEEDED, "n1");
  const v1::JobStatus running = Job("job-2", v1::JOB_STATE_RUNNING, "n1");
  const v1::JobStatus serving = Job("job-3", v1::JOB_STATE_PLACED, "n2", v1::JOB_KIND_INFERENCE);
  for (const v1::JobStatus* job : {&done, &running, &serving})
    ASSERT_TRUE(table.InsertStored(job->spec().id(), job->SerializeAsString()).ok());
  EXPECT_FALSE(table.InsertStored("job-4", "\xff\xff").ok());
  EXPECT_EQ(table.InsertStored("job-2", running.SerializeAsString()).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.decoded_count(), 2u);  // only the finished one is packed
  EXPECT_EQ(table.find("job-1")->second.state(), v1::JOB_STATE_SUCCEEDED);
  // Finished jobs hold no placement, whatever their record says.
  EXPECT_EQ(OnNode(table, "n1"), (Ids{"job-2"}));
  EXPECT_EQ(OnNode(table, "n2"), (Ids{"job-3"}));
  EXPECT_EQ(table.Count(v1::JOB_STATE_PLACED, true), 1u);
  EXPECT_EQ(table.Count(v1::JOB_STATE_SUCCEEDED, false), 1u);

  v1::JobStatus scratch;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      table.Peek(table.find("job-1")->second, scratch), done));
  EXPECT_EQ(table.decoded_count(), 2u);  // a peek does not keep it decoded
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      table.find("job-1")->second.status(), done));
  EXPECT_EQ(table.decoded_count(), 3u);
  table.PackFinished();
  EXPECT_EQ(table.decoded_count(), 2u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      table.find("job-1")->second.status(), done));

  // A job that finishes is packed by the next PackFinished, with its last changes.
  table.find("job-2")->second.mutable_status().set_state(v1::JOB_STATE_FAILED);
  table.find("job-2")->second.mutable_status().set_message("exit code 3");
  table.PackFinished();
  EXPECT_EQ(table.decoded_count(), 1u);
  EXPECT_EQ(table.find("job-2")->second.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(table.find("job-2")->second.status().message(), "exit code 3");
  EXPECT_TRUE(OnNode(table, "n1").empty());
  EXPECT_EQ(table.Count(v1::JOB_STATE_RUNNING, false), 0u);
  EXPECT_EQ(table.Count(v1::JOB_STATE_FAILED, false), 1u);
}

TEST(JobTable, InferenceDueDropsEndedAndCancelledServingPeriods) {
  JobTable table;
  v1::JobStatus early = Job("early", v1::JOB_STATE_RUNNING, "n1", v1::JOB_KIND_INFERENCE);
  early.mutable_spec()->mutable_inference()->set_serve_until_us(100);
  v1::JobStatus late = Job("late", v1::JOB_STATE_PENDING, "", v1::JOB_KIND_INFERENCE);
  late.mutable_spec()->mutable_inference()->set_serve_until_us(500);
  ASSERT_TRUE(table.Insert(early).ok());
  ASSERT_TRUE(table.Insert(late).ok());
  ASSERT_TRUE(table.Insert(Job("training", v1::JOB_STATE_PENDING)).ok());
  EXPECT_EQ(table.InferenceDue(50).size(), 2u);
  EXPECT_EQ(table.InferenceDue(100).size(), 1u);
  EXPECT_EQ(table.InferenceDue(100).count("late"), 1u);
  table.find("late")->second.mutable_status().set_state(v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(table.InferenceDue(100).empty());
}

TEST(JobTable, InsertingStoredJobsInIdOrderAndOutOfOrderGivesTheSameTable) {
  JobTable in_order, shuffled;
  std::vector<v1::JobStatus> jobs;
  for (int i = 0; i < 50; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "job-%03d", i);
    jobs.push_back(Job(id, i % 5 == 0 ? v1::JOB_STATE_RUNNING : v1::JOB_STATE_SUCCEEDED,
                       "n" + std::to_string(i % 3)));
  }
  for (const auto& job : jobs)
    ASSERT_TRUE(in_order.InsertStored(job.spec().id(), job.SerializeAsString()).ok());
  for (size_t k = 0; k < jobs.size(); ++k) {
    const auto& job = jobs[(k * 17) % jobs.size()];
    ASSERT_TRUE(shuffled.InsertStored(job.spec().id(), job.SerializeAsString()).ok());
  }
  ASSERT_EQ(in_order.size(), shuffled.size());
  for (auto a = in_order.begin(), b = shuffled.begin(); a != in_order.end(); ++a, ++b) {
    EXPECT_EQ(a->first, b->first);
    EXPECT_EQ(a->second.state(), b->second.state());
  }
  for (const char* node : {"n0", "n1", "n2"})
    EXPECT_EQ(OnNode(in_order, node), OnNode(shuffled, node));
}

}  // namespace
}  // namespace apsis::daemon
