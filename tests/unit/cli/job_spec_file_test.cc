// Job spec files: the example loads field by field, and every kind of mistake is reported with
// its file:line:col.
#include "cli/job_spec_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "common/time.h"

namespace apsis::cli {
namespace {

using ::testing::HasSubstr;

int64_t Micros(const char* rfc3339) { return ParseRfc3339(rfc3339)->micros(); }

std::string ErrorOf(const std::string& text) {
  auto specs = ParseJobSpecText(text, "jobs.yaml");
  EXPECT_FALSE(specs.ok()) << "expected an error for:\n" << text;
  if (specs.ok()) return "";
  EXPECT_EQ(specs.status().code(), StatusCode::kInvalidArgument);
  return specs.status().message();
}

constexpr const char* kMinimalTraining =
    "name: t\n"
    "kind: training\n"
    "gpus: 2\n"
    "watts_per_gpu: 500\n"
    "training:\n"
    "  gpu_hours: 10\n";

TEST(JobSpecFileTest, LoadsEveryFieldOfTheExampleFile) {
  auto specs = LoadJobSpecFile(std::string(APSIS_SOURCE_DIR) + "/configs/jobs/example-jobs.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  ASSERT_EQ(specs->size(), 4u);

  const v1::JobSpec& training = (*specs)[0];
  EXPECT_EQ(training.name(), "llm-pretrain-7b");
  EXPECT_EQ(training.id(), "pretrain-7b-run3");
  EXPECT_EQ(training.kind(), v1::JOB_KIND_TRAINING);
  EXPECT_EQ(training.gpus(), 64u);
  EXPECT_EQ(training.gpu_type(), "H100");
  EXPECT_DOUBLE_EQ(training.watts_per_gpu(), 700);
  EXPECT_DOUBLE_EQ(training.input_gb(), 200);
  EXPECT_DOUBLE_EQ(training.output_gb(), 20);
  EXPECT_EQ(training.priority(), 10);
  EXPECT_THAT(training.command(),
              ::testing::ElementsAre("python", "train.py", "--config", "7b.yaml"));
  EXPECT_EQ(training.user_region(), "eu-west");
  EXPECT_EQ(training.not_before_us(), Micros("2026-12-01T00:00:00Z"));
  EXPECT_DOUBLE_EQ(training.training().gpu_hours(), 5000);
  EXPECT_EQ(training.training().checkpoint_interval_us(), 3'600'000'000);
  EXPECT_DOUBLE_EQ(training.training().checkpoint_gb(), 30);
  EXPECT_EQ(training.training().deadline_us(), Micros("2027-01-15T00:00:00Z"));
  EXPECT_TRUE(training.training().deferrable());
  EXPECT_TRUE(training.training().preemptible());
  EXPECT_FALSE(training.has_inference());

  const v1::JobSpec& inference = (*specs)[1];
  EXPECT_EQ(inference.kind(), v1::JOB_KIND_INFERENCE);
  EXPECT_EQ(inference.id(), "");
  EXPECT_EQ(inference.inference().serve_from_us(), Micros("2026-12-01T08:00:00Z"));
  EXPECT_EQ(inference.inference().serve_until_us(), Micros("2027-01-01T20:00:00Z"));
  EXPECT_DOUBLE_EQ(inference.inference().latency_slo_ms(), 80);
  EXPECT_EQ(inference.inference().user_region(), "eu-west");
  EXPECT_DOUBLE_EQ(inference.inference().request_mbps(), 50);
  EXPECT_FALSE(inference.has_training());

  EXPECT_EQ((*specs)[2].name(), "finetune-small");
  EXPECT_EQ((*specs)[3].name(), "eval-sweep");
  EXPECT_EQ((*specs)[3].priority(), -5);
  EXPECT_TRUE((*specs)[3].training().deferrable());
}

TEST(JobSpecFileTest, OptionalFieldsTakeTheirDefaults) {
  auto specs = ParseJobSpecText(kMinimalTraining, "jobs.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  ASSERT_EQ(specs->size(), 1u);
  const v1::JobSpec& spec = (*specs)[0];
  EXPECT_EQ(spec.id(), "");
  EXPECT_EQ(spec.gpu_type(), "");
  EXPECT_EQ(spec.priority(), 0);
  EXPECT_EQ(spec.input_gb(), 0);
  EXPECT_EQ(spec.not_before_us(), 0);
  EXPECT_EQ(spec.training().checkpoint_interval_us(), 0);
  EXPECT_EQ(spec.training().deadline_us(), 0);
  EXPECT_FALSE(spec.training().deferrable());
  EXPECT_FALSE(spec.training().preemptible());
}

TEST(JobSpecFileTest, AcceptsSeveralDocumentsAndJobLists) {
  const std::string text = std::string(kMinimalTraining) + "---\n" +
                           "jobs:\n"
                           "  - {name: a, kind: training, gpus: 1, watts_per_gpu: 1, "
                           "training: {gpu_hours: 1}}\n"
                           "  - {name: b, kind: training, gpus: 1, watts_per_gpu: 1, "
                           "training: {gpu_hours: 1}}\n"
                           "---\n";  // a trailing empty document is skipped
  auto specs = ParseJobSpecText(text, "jobs.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_EQ((*specs)[1].name(), "a");
  EXPECT_EQ((*specs)[2].name(), "b");
}

TEST(JobSpecFileTest, UnknownKeyIsReportedWithItsPositionAndASuggestion) {
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "priorty: 3\n"),
            "jobs.yaml:7:1: unknown key 'priorty' in the top level (did you mean 'priority'?)");
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "  gpu_hour: 3\n"),
            "jobs.yaml:7:3: unknown key 'gpu_hour' in 'training' (did you mean 'gpu_hours'?)");
}

TEST(JobSpecFileTest, WrongTypesAreReportedAtTheValue) {
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: two\nwatts_per_gpu: 1\n"
                    "training: {gpu_hours: 1}\n"),
            "jobs.yaml:3:7: 'gpus' must be an integer, got 'two'");
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "  deferrable: maybe\n"),
            "jobs.yaml:7:15: 'training.deferrable' must be true or false, got 'maybe'");
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "command: python train.py\n"),
            "jobs.yaml:7:10: 'command' must be a list");
}

TEST(JobSpecFileTest, BadTimesAndDurationsSayWhatIsExpected) {
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "  deadline: tomorrow\n"),
            "jobs.yaml:7:13: 'training.deadline' must be an RFC 3339 UTC time such as "
            "2026-12-01T00:00:00Z, got 'tomorrow'");
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "  checkpoint_interval: often\n"),
            "jobs.yaml:7:24: 'training.checkpoint_interval' must be a duration such as 90s, 15m "
            "or 2h, got 'often'");
}

TEST(JobSpecFileTest, MissingRequiredFieldsAreReportedAtTheirMapping) {
  EXPECT_EQ(ErrorOf("kind: training\ngpus: 1\nwatts_per_gpu: 1\ntraining: {gpu_hours: 1}\n"),
            "jobs.yaml:1:1: missing required key 'name' in the top level");
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: 1\nwatts_per_gpu: 1\n"),
            "jobs.yaml:1:1: missing required key 'training' for kind: training (see "
            "configs/jobs/example-jobs.yaml)");
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: 1\nwatts_per_gpu: 1\ntraining:\n"
                    "  checkpoint_gb: 1\n"),
            "jobs.yaml:6:3: missing required key 'gpu_hours' in 'training'");
}

TEST(JobSpecFileTest, OutOfRangeValuesAreRefused) {
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: 0\nwatts_per_gpu: 1\n"
                    "training: {gpu_hours: 1}\n"),
            "jobs.yaml:3:7: 'gpus' = 0 is out of range [1, 100000]");
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "priority: 5000\n"),
            "jobs.yaml:7:11: 'priority' = 5000 is out of range [-1000, 1000]");
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: 1\nwatts_per_gpu: 0\n"
                    "training: {gpu_hours: 1}\n"),
            "jobs.yaml:4:16: 'watts_per_gpu' must be > 0");
  EXPECT_EQ(ErrorOf("name: t\nkind: training\ngpus: 1\nwatts_per_gpu: 1\n"
                    "training: {gpu_hours: 0}\n"),
            "jobs.yaml:5:23: 'training.gpu_hours' must be > 0");
}

TEST(JobSpecFileTest, TheSectionOfTheOtherKindIsRefused) {
  EXPECT_THAT(ErrorOf(std::string(kMinimalTraining) +
                      "inference: {from: 2026-12-01T00:00:00Z, until: 2026-12-02T00:00:00Z, "
                      "latency_slo_ms: 5, user_region: x}\n"),
              HasSubstr("jobs.yaml:7:12: 'inference' is only for kind: inference; remove it or "
                        "change kind"));
  EXPECT_EQ(ErrorOf("name: t\nkind: serving\ngpus: 1\nwatts_per_gpu: 1\n"),
            "jobs.yaml:2:7: 'kind' must be one of training, inference, got 'serving'");
}

TEST(JobSpecFileTest, InferenceChecksItsPeriodAndRegion) {
  const std::string head = "name: s\nkind: inference\ngpus: 1\nwatts_per_gpu: 300\ninference:\n";
  EXPECT_EQ(ErrorOf(head + "  from: 2026-12-02T00:00:00Z\n"
                           "  until: 2026-12-01T00:00:00Z\n"
                           "  latency_slo_ms: 50\n"
                           "  user_region: us-east\n"),
            "jobs.yaml:7:10: 'inference.until' (2026-12-01T00:00:00Z) must be after "
            "'inference.from' (2026-12-02T00:00:00Z)");
  EXPECT_EQ(ErrorOf(head + "  from: 2026-12-01T00:00:00Z\n"
                           "  until: 2026-12-02T00:00:00Z\n"
                           "  latency_slo_ms: 50\n"),
            "jobs.yaml:6:3: missing 'inference.user_region' (or a top-level user_region): the "
            "region the requests come from, e.g. us-east");
  // The top-level user_region is enough.
  auto specs = ParseJobSpecText("user_region: us-east\n" + head +
                                    "  from: 2026-12-01T00:00:00Z\n"
                                    "  until: 2026-12-02T00:00:00Z\n"
                                    "  latency_slo_ms: 50\n",
                                "jobs.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  EXPECT_EQ((*specs)[0].user_region(), "us-east");
}

TEST(JobSpecFileTest, PositionsCountFromTheStartOfTheFileAcrossDocuments) {
  const std::string text = std::string(kMinimalTraining) + "---\n" +
                           "jobs:\n"
                           "  - name: a\n"
                           "    kind: training\n"
                           "    gpus: 1\n"
                           "    watts_per_gpu: lots\n"
                           "    training: {gpu_hours: 1}\n";
  EXPECT_EQ(ErrorOf(text), "jobs.yaml:12:20: 'jobs[0].watts_per_gpu' must be a number, got 'lots'");
}

TEST(JobSpecFileTest, EveryProblemIsReportedInOnePass) {
  const std::string message = ErrorOf(
      "name: t\nkind: training\ngpus: -1\nwatts_per_gpu: x\ncolour: red\n"
      "training: {gpu_hours: 1}\n");
  EXPECT_THAT(message, HasSubstr("jobs.yaml:3:7:"));
  EXPECT_THAT(message, HasSubstr("jobs.yaml:4:16:"));
  EXPECT_THAT(message, HasSubstr("jobs.yaml:5:1: unknown key 'colour'"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2);
}

TEST(JobSpecFileTest, IdsAreCheckedForCharactersAndUniqueness) {
  EXPECT_EQ(ErrorOf(std::string(kMinimalTraining) + "id: my job\n"),
            "jobs.yaml:7:5: 'id' = 'my job' may contain only letters, digits, '-', '_' and '.'");
  EXPECT_EQ(
      ErrorOf(std::string(kMinimalTraining) + "id: j1\n---\n" + kMinimalTraining + "id: j1\n"),
      "jobs.yaml:15:5: id 'j1' is already used at jobs.yaml:7:5; ids must be unique");
}

TEST(JobSpecFileTest, MalformedYamlIsReportedWithItsPosition) {
  EXPECT_THAT(ErrorOf("name: t\nkind: [training\n"), HasSubstr("jobs.yaml:3:1: malformed YAML"));
}

// yaml-cpp 0.7's LoadAll returns an empty document for a stray ',' at a document's start (after
// an anchor or a tag, too) without consuming it, forever: without the guard this child allocates
// until the alarm kills it.
TEST(JobSpecFileDeathTest, AStrayCommaWhereADocumentStartsIsAnErrorNotAnEndlessLoad) {
  for (const char* text : {",", ", a", "name: t\n---\n,\n", "---\n,\n", "&anchor ,", "!tag ,"}) {
    EXPECT_EXIT(
        {
          alarm(3);
          auto specs = ParseJobSpecText(text, "jobs.yaml");
          std::cerr << (specs.ok() ? "parsed" : specs.status().message());
          std::_Exit(0);
        },
        ::testing::ExitedWithCode(0), "jobs.yaml:[0-9]+:[0-9]+: malformed YAML: unexpected ','")
        << text;
  }
}

TEST(JobSpecFileTest, DocumentsMustBeJobsOrJobLists) {
  EXPECT_EQ(ErrorOf("- name: t\n"),
            "jobs.yaml:1:1: each document must be one job (a mapping of key: value) or 'jobs:' "
            "with a list of jobs");
  EXPECT_EQ(ErrorOf("jobs: []\n"), "jobs.yaml:1:7: 'jobs' is empty: give at least one job");
  EXPECT_THAT(ErrorOf("# nothing here\n"), HasSubstr("jobs.yaml: no jobs in the file"));
}

TEST(JobSpecFileTest, SchedulerProblemsAreRewordedWithTheFileKeys) {
  EXPECT_EQ(WithSpecFileKeys("2 problem(s)\n  jobs[0].training.deadline_us: is in the past\n"
                             "  jobs[3].inference.serve_until_us: must be after "
                             "inference.serve_from_us\n  jobs[1].not_before_us: x"),
            "2 problem(s)\n  jobs[0].training.deadline: is in the past\n"
            "  jobs[3].inference.until: must be after inference.from\n"
            "  jobs[1].not_before: x");
  EXPECT_EQ(WithSpecFileKeys("jobs[0].gpus: must be at least 1"),
            "jobs[0].gpus: must be at least 1");
}

TEST(JobSpecFileTest, MissingFileIsNotFound) {
  auto specs = LoadJobSpecFile("/nonexistent/jobs.yaml");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(specs.status().message(), HasSubstr("cannot read job spec file '/nonexistent/jobs"));
}

}  // namespace
}  // namespace apsis::cli
