// How jobs, explanations, events and the scheduler status are shown: JSON shapes and tables.
#include "cli/job_views.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "cli/job_spec_file.h"
#include "cli/output_format.h"
#include "common/time.h"

namespace apsis::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int64_t Micros(const char* rfc3339) { return ParseRfc3339(rfc3339)->micros(); }

v1::JobStatus PlacedTrainingJob() {
  v1::JobStatus job;
  v1::JobSpec* spec = job.mutable_spec();
  spec->set_id("job-000007");
  spec->set_name("pretrain");
  spec->set_kind(v1::JOB_KIND_TRAINING);
  spec->set_gpus(16);
  spec->set_gpu_type("H100");
  spec->set_watts_per_gpu(700);
  spec->set_owner("alice");
  spec->mutable_training()->set_gpu_hours(100);
  spec->mutable_training()->set_checkpoint_interval_us(1'800'000'000);
  job.set_state(v1::JOB_STATE_RUNNING);
  job.set_message("running on leo-3");
  job.set_submitted_us(Micros("2026-12-01T00:00:00Z"));
  v1::Placement* p = job.mutable_placement();
  p->set_node_id("leo-3");
  p->set_start_us(Micros("2026-12-01T01:00:00Z"));
  p->set_end_us(Micros("2026-12-01T07:15:00Z"));
  p->mutable_cost()->set_energy_usd(12.5);
  p->mutable_cost()->set_total(14.25);
  return job;
}

TEST(JobViewsTest, JobJsonCarriesStatePlacementAndSpec) {
  const nlohmann::json json = JobStatusJson(PlacedTrainingJob());
  EXPECT_EQ(json["id"], "job-000007");
  EXPECT_EQ(json["state"], "running");
  EXPECT_EQ(json["kind"], "training");
  EXPECT_EQ(json["owner"], "alice");
  EXPECT_EQ(json["submitted"], "2026-12-01T00:00:00Z");
  EXPECT_TRUE(json["updated"].is_null());
  EXPECT_EQ(json["placement"]["node"], "leo-3");
  EXPECT_EQ(json["placement"]["start"], "2026-12-01T01:00:00Z");
  EXPECT_DOUBLE_EQ(json["placement"]["cost"]["total"].get<double>(), 14.25);
  EXPECT_EQ(json["spec"]["training"]["checkpoint_interval"], "30m");
  EXPECT_FALSE(json["spec"].contains("inference"));
}

TEST(JobViewsTest, UnplacedJobHasNullPlacement) {
  v1::JobStatus job;
  job.mutable_spec()->set_id("j");
  job.set_state(v1::JOB_STATE_PENDING);
  EXPECT_TRUE(JobStatusJson(job)["placement"].is_null());
}

// `apsisctl job ID -o yaml` shows a spec that reads back as a job spec file.
TEST(JobViewsTest, SpecRenderedAsYamlLoadsBackAsTheSameSpec) {
  auto specs = LoadJobSpecFile(std::string(APSIS_SOURCE_DIR) + "/configs/jobs/example-jobs.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  for (const v1::JobSpec& spec : *specs) {
    const std::string yaml = JsonToYaml(JobSpecJson(spec));
    auto reread = ParseJobSpecText(yaml, "rendered.yaml");
    ASSERT_TRUE(reread.ok()) << reread.status().message() << "\n" << yaml;
    ASSERT_EQ(reread->size(), 1u);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*reread)[0], spec))
        << (*reread)[0].DebugString() << "\nvs\n"
        << spec.DebugString();
  }
}

TEST(JobViewsTest, JobsTableHasOneRowPerJob) {
  v1::JobStatus pending;
  pending.mutable_spec()->set_id("job-000008");
  pending.mutable_spec()->set_name("eval");
  pending.mutable_spec()->set_kind(v1::JOB_KIND_INFERENCE);
  pending.mutable_spec()->set_gpus(1);
  pending.set_state(v1::JOB_STATE_PENDING);
  pending.set_message(std::string(100, 'x'));
  std::ostringstream out;
  PrintJobsTable(out, {PlacedTrainingJob(), pending});
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_THAT(text, HasSubstr("ID          NAME      KIND       STATE    GPUS  NODE   START"));
  EXPECT_THAT(text, HasSubstr("job-000007  pretrain  training   running  16    leo-3  "
                              "2026-12-01T01:00:00Z  2026-12-01T07:15:00Z  running on leo-3"));
  EXPECT_THAT(text, HasSubstr("job-000008  eval      inference  pending  1     -      -"));
  EXPECT_THAT(text, Not(HasSubstr(std::string(100, 'x'))));  // long messages are cut

  std::ostringstream empty;
  PrintJobsTable(empty, {});
  EXPECT_EQ(empty.str(), "no jobs\n");
}

TEST(JobViewsTest, JobDetailShowsProgressPlacementAndCost) {
  v1::JobStatus job = PlacedTrainingJob();
  job.set_progress_gpu_hours(25);
  std::ostringstream out;
  PrintJobDetail(out, job);
  EXPECT_THAT(out.str(), HasSubstr("work:         25.0 of 100.0 GPU-hours done\n"));
  EXPECT_THAT(out.str(), HasSubstr("checkpoints:  every 30m"));
  EXPECT_THAT(out.str(), HasSubstr("node:         leo-3\n"));
  EXPECT_THAT(out.str(), HasSubstr("cost:         $14.25 (energy $12.50)\n"));
  EXPECT_THAT(out.str(), Not(HasSubstr("checkpoint:")));

  // Stopped: where its checkpoint waits for it.
  job.set_resume_node_id("leo-3");
  job.set_checkpoint_written_us(Micros("2026-12-01T01:00:00Z"));
  std::ostringstream stopped;
  PrintJobDetail(stopped, job);
  EXPECT_THAT(stopped.str(), HasSubstr("checkpoint:   on leo-3, written 2026-12-01T01:00:00Z\n"));
  EXPECT_EQ(JobStatusJson(job)["checkpoint"]["node"], "leo-3");
}

TEST(JobViewsTest, ExplanationTableShowsCostsOfFeasibleNodesAndReasonsOfRejectedOnes) {
  v1::Explanation explanation;
  explanation.set_job_id("job-000007");
  explanation.set_decision("placed on leo-3 at 2026-12-01T01:00:00Z");
  v1::CandidateExplanation* chosen = explanation.add_candidates();
  chosen->set_node_id("leo-3");
  chosen->set_feasible(true);
  chosen->set_start_us(Micros("2026-12-01T01:00:00Z"));
  chosen->mutable_cost()->set_energy_usd(1.5);
  chosen->mutable_cost()->set_battery_wear_usd(0.25);
  chosen->mutable_cost()->set_total(1.75);
  chosen->mutable_cost()->set_energy_kwh(42);
  v1::CandidateExplanation* rejected = explanation.add_candidates();
  rejected->set_node_id("dc-oregon");
  rejected->set_feasible(false);
  rejected->set_rejected_because("needs 16 GPUs, 8 free");
  std::ostringstream out;
  PrintExplanation(out, explanation);
  EXPECT_EQ(out.str(),
            "job job-000007: placed on leo-3 at 2026-12-01T01:00:00Z\n"
            "\n"
            "NODE       FEASIBLE  START                 ENERGY  BATTERY  TRANSFER  LATENCY  DELAY  "
            "TOTAL  KWH   REJECTED BECAUSE\n"
            "leo-3      yes       2026-12-01T01:00:00Z  $1.50   $0.250   $0.00     $0.00    "
            "$0.00  $1.75  42.0  -\n"
            "dc-oregon  no        -                     -       -        -         -        -      "
            "-      -     needs 16 GPUs, 8 free\n");
  const nlohmann::json json = ExplanationJson(explanation);
  EXPECT_EQ(json["candidates"][1]["rejected_because"], "needs 16 GPUs, 8 free");
  EXPECT_EQ(json["candidates"][0]["feasible"], true);
}

TEST(JobViewsTest, StatusCountsJobsByLowerCaseState) {
  v1::SchedulerStatus status;
  status.set_cluster_id("test");
  status.set_version("0.1.0");
  status.set_nodes(3);
  status.set_nodes_ready(2);
  (*status.mutable_jobs_by_state())["JOB_STATE_RUNNING"] = 4;
  (*status.mutable_jobs_by_state())["JOB_STATE_PENDING"] = 2;
  const nlohmann::json json = SchedulerStatusJson(status);
  EXPECT_EQ(json["jobs"], 6);
  EXPECT_EQ(json["jobs_by_state"]["running"], 4);
  EXPECT_EQ(json["nodes_ready"], 2);
  std::ostringstream out;
  PrintSchedulerStatus(out, status);
  EXPECT_THAT(out.str(), HasSubstr("nodes:           3 (2 ready)\n"));
  EXPECT_THAT(out.str(), HasSubstr("jobs:            6 (2 pending, 4 running)\n"));
}

TEST(JobViewsTest, SubmittedListsIdsWithNames) {
  v1::JobSpec a, b;
  a.set_name("first");
  b.set_name("second");
  v1::SubmitJobsResponse response;
  response.add_job_ids("job-000001");
  response.add_job_ids("job-000002");
  std::ostringstream out;
  PrintSubmitted(out, {a, b}, response);
  EXPECT_EQ(out.str(), "submitted job-000001 (first)\nsubmitted job-000002 (second)\n");
  const nlohmann::json json = SubmittedJson({a, b}, response);
  EXPECT_EQ(json["job_ids"], nlohmann::json({"job-000001", "job-000002"}));
  EXPECT_EQ(json["jobs"][1]["name"], "second");
}

TEST(JobViewsTest, EventsAreListedOldestFirstAsGiven) {
  v1::EventList events;
  v1::EventRecord* e = events.add_events();
  e->set_sequence(5);
  e->set_at_us(Micros("2026-12-01T00:00:01Z"));
  e->set_job_id("job-000001");
  e->set_kind("submitted");
  e->set_message("by alice");
  std::ostringstream out;
  PrintEventsTable(out, events);
  EXPECT_EQ(out.str(),
            "SEQ  TIME                  JOB         NODE  EVENT      MESSAGE\n"
            "5    2026-12-01T00:00:01Z  job-000001  -     submitted  by alice\n");
  EXPECT_EQ(EventListJson(events)["events"][0]["at"], "2026-12-01T00:00:01Z");
}

}  // namespace
}  // namespace apsis::cli
