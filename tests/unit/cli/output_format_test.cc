// Output building blocks: tables, YAML rendering of JSON, enum names, times and amounts.
#include "cli/output_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace apsis::cli {
namespace {

TEST(OutputFormatTest, ParsesTheThreeFormatsAndRefusesOthers) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("yaml"), OutputFormat::kYaml);
  auto bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown output format 'xml': use table, json or yaml");
}

TEST(OutputFormatTest, TableColumnsAreAlignedAndLinesHaveNoTrailingBlanks) {
  TextTable table({"ID", "STATE", "NODE"});
  table.AddRow({"job-000001", "running", "leo-1"});
  table.AddRow({"j2", "pending", ""});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "ID          STATE    NODE\n"
            "job-000001  running  leo-1\n"
            "j2          pending\n");
}

TEST(OutputFormatTest, FieldsAreAlignedAfterTheirLabels) {
  std::ostringstream out;
  PrintFields(out, {{"id", "j1"}, {"last heartbeat", "never"}});
  EXPECT_EQ(out.str(),
            "id:              j1\n"
            "last heartbeat:  never\n");
}

TEST(OutputFormatTest, YamlReadsBackAsTheSameDataAsJson) {
  const nlohmann::json value = {{"id", "job-1"},
                                {"gpus", 8},
                                {"ratio", 0.1},
                                {"looks_numeric", "0042"},
                                {"looks_boolean", "yes"},
                                {"empty", ""},
                                {"unset", nullptr},
                                {"flag", true},
                                {"list", {"a", "b: c", "- d"}},
                                {"nested", {{"x", 1.5}}},
                                {"empty_list", nlohmann::json::array()}};
  const std::string yaml = JsonToYaml(value);
  const YAML::Node read = YAML::Load(yaml);
  EXPECT_EQ(read["id"].as<std::string>(), "job-1");
  EXPECT_EQ(read["gpus"].as<int>(), 8);
  EXPECT_EQ(read["ratio"].Scalar(), "0.1");
  EXPECT_EQ(read["looks_numeric"].Scalar(), "0042");
  EXPECT_EQ(read["looks_numeric"].Tag(), "!");  // quoted: a string, not the number 42
  EXPECT_EQ(read["looks_boolean"].Tag(), "!");
  EXPECT_EQ(read["empty"].as<std::string>(), "");
  EXPECT_TRUE(read["unset"].IsNull());
  EXPECT_TRUE(read["flag"].as<bool>());
  EXPECT_EQ(read["list"][1].as<std::string>(), "b: c");
  EXPECT_EQ(read["list"][2].as<std::string>(), "- d");
  EXPECT_DOUBLE_EQ(read["nested"]["x"].as<double>(), 1.5);
  EXPECT_TRUE(read["empty_list"].IsSequence());
  EXPECT_EQ(read["empty_list"].size(), 0u);
}

TEST(OutputFormatTest, EnumNamesAreLowerCaseWords) {
  EXPECT_EQ(JobStateName(v1::JOB_STATE_RUNNING), "running");
  EXPECT_EQ(JobKindName(v1::JOB_KIND_INFERENCE), "inference");
  EXPECT_EQ(NodeStateName(v1::NODE_STATE_OUT_OF_CONTACT), "out-of-contact");
  EXPECT_EQ(NodeKindName(v1::NODE_KIND_ORBITAL), "orbital");
}

TEST(OutputFormatTest, JobStatesParseInEverySpelling) {
  EXPECT_EQ(*ParseJobState("running"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(*ParseJobState("Cancelled"), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(*ParseJobState("JOB_STATE_LOST"), v1::JOB_STATE_LOST);
  auto bad = ParseJobState("done");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              ::testing::HasSubstr("unknown job state 'done': use one of pending, placed,"));
  EXPECT_FALSE(ParseJobState("unspecified").ok());
  EXPECT_EQ(*ParseJobKind("training"), v1::JOB_KIND_TRAINING);
  EXPECT_FALSE(ParseJobKind("batch").ok());
}

TEST(OutputFormatTest, TimesAreRfc3339AndUnsetTimesAreMarked) {
  const int64_t t = ParseRfc3339("2026-12-01T03:14:07.250Z")->micros();
  EXPECT_EQ(TableTime(t), "2026-12-01T03:14:07Z");
  EXPECT_EQ(TableTime(0), "-");
  EXPECT_EQ(TimeJson(t), "2026-12-01T03:14:07.25Z");
  EXPECT_TRUE(TimeJson(0).is_null());
}

TEST(OutputFormatTest, RelativeTimesAndDurationsAreCompact) {
  const TimePoint now = *ParseRfc3339("2026-12-01T00:00:00Z");
  EXPECT_EQ(RelativeTime((now + Minutes(125)).micros(), now), "in 2h05m");
  EXPECT_EQ(RelativeTime((now - Seconds(190)).micros(), now), "3m10s ago");
  EXPECT_EQ(RelativeTime(now.micros(), now), "now");
  EXPECT_EQ(CompactDuration(Seconds(45)), "45s");
  EXPECT_EQ(CompactDuration(Hours(52)), "2d04h");
}

TEST(OutputFormatTest, SinceTakesATimeOrADurationBeforeNow) {
  const TimePoint now = *ParseRfc3339("2026-12-01T12:00:00Z");
  EXPECT_EQ(*ParseTimeOrDurationAgo("2026-11-30T00:00:00Z", now),
            *ParseRfc3339("2026-11-30T00:00:00Z"));
  EXPECT_EQ(*ParseTimeOrDurationAgo("90m", now), *ParseRfc3339("2026-12-01T10:30:00Z"));
  auto bad = ParseTimeOrDurationAgo("yesterday", now);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("neither an RFC 3339 time"));
}

TEST(OutputFormatTest, AmountsKeepSignificantDigits) {
  EXPECT_EQ(Dollars(12.345), "$12.35");
  EXPECT_EQ(Dollars(0.0042), "$0.00420");
  EXPECT_EQ(Dollars(0.25), "$0.250");
  EXPECT_EQ(Dollars(0), "$0.00");
  EXPECT_EQ(Dollars(-3), "-$3.00");
  EXPECT_EQ(Truncate("abcdefghij", 6), "abc...");
  EXPECT_EQ(Truncate("abc", 6), "abc");
}

}  // namespace
}  // namespace apsis::cli
