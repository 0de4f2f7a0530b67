#include "sim/workload.h"

#include <gtest/gtest.h>

#include "agents/child_process.h"
#include "sim_test_support.h"

namespace apsis::sim {
namespace {

const TimePoint kEpoch = TimePoint::FromSeconds(1'782'000'000);
const char kHeader[] =
    "id,kind,submit_s,gpus,watts_per_gpu,gpu_hours,serve_s,latency_slo_ms,region,priority,"
    "deferrable,preemptible,deadline_s,input_gb,output_gb,checkpoint_gb\n";

TEST(WorkloadTest, ParsesApsisCsvAndRoundTrips) {
  const std::string text = std::string(kHeader) +
                           "# a comment\n"
                           "t1,training,60,8,700,16,,,,1,true,false,86400,0.1,1,2\n"
                           "i1,inference,0,2,700,,3600,80,eu-west,2,,,,0,0,0\n";
  Result<Workload> w = ParseWorkloadCsv(text, "w.csv", kEpoch);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->jobs.size(), 2u);
  const core::JobSpec& i1 = w->jobs[0];  // sorted by submission
  EXPECT_EQ(i1.id, "i1");
  EXPECT_EQ(i1.kind, core::JobKind::kInference);
  EXPECT_EQ(i1.inference.serve_end - i1.inference.serve_start, Hours(1));
  EXPECT_EQ(i1.region, "eu-west");
  const core::JobSpec& t1 = w->jobs[1];
  EXPECT_EQ(t1.submitted_at, kEpoch + Seconds(60));
  EXPECT_DOUBLE_EQ(t1.training.gpu_hours, 16);
  EXPECT_TRUE(t1.training.deferrable);
  EXPECT_FALSE(t1.training.preemptible);
  ASSERT_TRUE(t1.training.deadline.has_value());
  EXPECT_EQ(*t1.training.deadline, t1.submitted_at + Hours(24));
  Result<Workload> again = ParseWorkloadCsv(WorkloadToCsv(*w, kEpoch), "again.csv", kEpoch);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(WorkloadToCsv(*again, kEpoch), WorkloadToCsv(*w, kEpoch));
}

TEST(WorkloadTest, BadRowNamesFileLineAndColumn) {
  const std::string text = std::string(kHeader) + "t1,training,60,eight,700,16,,,,,,,,,,\n";
  Result<Workload> w = ParseWorkloadCsv(text, "w.csv", kEpoch);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("w.csv:2:16: 'gpus' must be an integer"), std::string::npos)
      << w.status().message();
  const std::string missing = std::string(kHeader) + "i1,inference,0,1,700,,3600,,us-west,,,,,,,\n";
  Result<Workload> m = ParseWorkloadCsv(missing, "w.csv", kEpoch);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("w.csv:2:"), std::string::npos) << m.status().message();
}

// Numbers beyond what the fields can hold are refused at their place rather than converted with
// undefined behaviour (found by workload_trace_fuzz).
TEST(WorkloadTest, OutOfRangePriorityAndGpuCountsAreRefusedAtTheirPlace) {
  const std::string priority = std::string(kHeader) + "i1,inference,0,2,700,,3600,80,eu-west," +
                               std::string(120, '3') + ",,,,0,0,0\n";
  Result<Workload> p = ParseWorkloadCsv(priority, "w.csv", kEpoch);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("w.csv:2:"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("priority must be in [-1000, 1000]"), std::string::npos)
      << p.status().message();
  const std::string tiresias =
      "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n"
      "1,99999999999,0,100,resnet,3600,1\n";
  Result<Workload> t = ParseTiresiasTrace(tiresias, "t.csv", ImportOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("num_gpu must be 1..1000000"), std::string::npos)
      << t.status().message();
}

TEST(WorkloadTest, ImportsTheAlibabaTrace) {
  const std::string path = testing::TracePath("alibaba-gpu-2023-openb.csv");
  if (path.empty()) GTEST_SKIP() << "../shared/data/traces is absent (public data, not bundled)";
  ImportOptions o;
  o.epoch = kEpoch;
  o.offset_s = 10'886'400;  // week 18 of the trace
  o.horizon = Hours(24 * 7);
  Result<Workload> w = LoadWorkload(path, TraceFormat::kAlibaba, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->jobs.size(), 1356u);  // GPU pods created in that week
  EXPECT_EQ(w->skipped_rows, 8152u - 1356u);
  int inference = 0, deferrable = 0;
  for (const core::JobSpec& j : w->jobs) {
    EXPECT_TRUE(core::ValidateJobSpec(j).ok()) << j.id;
    EXPECT_GE(j.submitted_at, kEpoch);
    EXPECT_LT(j.submitted_at, kEpoch + o.horizon);
    if (j.kind == core::JobKind::kInference) {
      ++inference;
      EXPECT_LE(j.inference.serve_end - j.inference.serve_start, o.max_serve);
    }
    if (j.training.deferrable) ++deferrable;
  }
  EXPECT_EQ(inference, 820);   // qos LS
  EXPECT_EQ(deferrable, 518);  // qos BE
}

TEST(WorkloadTest, AlibabaBadRowNamesItsPlace) {
  const std::string text =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
      "deletion_time,scheduled_time\n"
      "p0,1000,1024,1,1000,,LS,Running,0,100,0\n"
      "p1,1000,1024,1,1000,,XX,Running,0,100,0\n";
  ImportOptions o;
  Result<Workload> w = ParseAlibabaTrace(text, "trace.csv", o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("trace.csv:3:22: qos must be"), std::string::npos)
      << w.status().message();
}

TEST(WorkloadTest, ImportsTheTiresiasTrace) {
  const std::string path = testing::TracePath("tiresias-60job.csv");
  if (path.empty()) GTEST_SKIP() << "../shared/data/traces is absent (public data, not bundled)";
  ImportOptions o;
  o.epoch = kEpoch;
  Result<Workload> w = LoadWorkload(path, TraceFormat::kTiresias, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->jobs.size(), 60u);
  for (const core::JobSpec& j : w->jobs) {
    EXPECT_EQ(j.kind, core::JobKind::kTraining);
    EXPECT_TRUE(j.training.preemptible);
  }
  // Job 1: 8 GPUs for 147 s.
  auto it = std::find_if(w->jobs.begin(), w->jobs.end(),
                         [](const core::JobSpec& j) { return j.id == "tiresias-0001"; });
  ASSERT_NE(it, w->jobs.end());
  EXPECT_EQ(it->gpus, 8);
  EXPECT_NEAR(it->training.gpu_hours, 8 * 147 / 3600.0, 1e-9);
  EXPECT_EQ(it->submitted_at, kEpoch + Seconds(30));
  Result<Workload> bad = ParseTiresiasTrace(
      "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n"
      "0,1,0,606,vgg19,-5,30\n",
      "t.csv", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.csv:2:17"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace apsis::sim
