#include "agents/process_executor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "agents/child_process.h"
#include "temp_dir.h"

namespace apsis::agents {
namespace {

using namespace std::chrono_literals;

class ProcessExecutorTest : public ::testing::Test {
 protected:
  ProcessExecutorTest() : clock_(TimePoint::FromSeconds(1'767'225'600)) {}

  void MakeExecutor(std::chrono::milliseconds grace = 5000ms) {
    ProcessExecutorOptions options;
    options.work_root = dir_.path();
    options.grace = grace;
    executor_ = std::make_unique<ProcessExecutor>(
        io_, clock_, options, [this](ExecutorEvent e) { events_.push_back(std::move(e)); });
  }

  JobLaunch Shell(const std::string& id, const std::string& script, uint32_t gpus = 2) {
    JobLaunch launch;
    launch.spec.set_id(id);
    launch.spec.set_gpus(gpus);
    launch.spec.set_watts_per_gpu(700);
    launch.spec.add_command("/bin/sh");
    launch.spec.add_command("-c");
    launch.spec.add_command(script);
    for (uint32_t i = 0; i < gpus; ++i) launch.gpu_indices.push_back(i + 1);
    return launch;
  }

  // Runs the loop until an event of `kind` for `job` arrives (bounded: 20 s of real time).
  const ExecutorEvent* WaitFor(const std::string& job, v1::JobEventKind kind) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const ExecutorEvent& e : events_) {
        if (e.job_id == job && e.kind == kind) return &e;
      }
      io_.run_for(10ms);
      io_.restart();
    }
    return nullptr;
  }

  static bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  ManualClock clock_;
  std::unique_ptr<ProcessExecutor> executor_;
  std::vector<ExecutorEvent> events_;
};

TEST_F(ProcessExecutorTest, ReportsExitCodeZeroAsFinished) {
  MakeExecutor();
  ASSERT_TRUE(executor_->Start(Shell("ok", "exit 0")).ok());
  ASSERT_NE(WaitFor("ok", v1::JOB_EVENT_STARTED), nullptr);
  const ExecutorEvent* done = WaitFor("ok", v1::JOB_EVENT_FINISHED);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_TRUE(executor_->Running().empty());
}

TEST_F(ProcessExecutorTest, ReportsNonZeroExitCodeAsFailed) {
  MakeExecutor();
  ASSERT_TRUE(executor_->Start(Shell("bad", "exit 3")).ok());
  const ExecutorEvent* failed = WaitFor("bad", v1::JOB_EVENT_FAILED);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->exit_code, 3);
  EXPECT_EQ(failed->message, "exited with code 3");
}

TEST_F(ProcessExecutorTest, ReportsDeathBySignalAs128PlusSignal) {
  MakeExecutor();
  ASSERT_TRUE(executor_->Start(Shell("segv", "kill -SEGV $$")).ok());
  const ExecutorEvent* failed = WaitFor("segv", v1::JOB_EVENT_FAILED);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->exit_code, 128 + SIGSEGV);
}

TEST_F(ProcessExecutorTest, GivesTheJobItsEnvironmentWorkingDirectoryAndLogs) {
  MakeExecutor();
  ASSERT_TRUE(executor_
                  ->Start(Shell("env1",
                                "echo \"$APSIS_JOB_ID|$CUDA_VISIBLE_DEVICES|$(pwd)|"
                                "$APSIS_CHECKPOINT_DIR\"; echo oops >&2"))
                  .ok());
  ASSERT_NE(WaitFor("env1", v1::JOB_EVENT_FINISHED), nullptr);
  const std::string job_dir = dir_.File("env1");
  EXPECT_EQ(ReadWholeFile(job_dir + "/stdout.log").value_or(""),
            "env1|1,2|" + job_dir + "|" + job_dir + "/checkpoint\n");
  EXPECT_EQ(ReadWholeFile(job_dir + "/stderr.log").value_or(""), "oops\n");
}

TEST_F(ProcessExecutorTest, StopWithCheckpointSendsSigtermAndTheJobSavesItsState) {
  MakeExecutor();
  // The job writes a checkpoint on SIGTERM and exits cleanly; it announces it is ready first.
  ASSERT_TRUE(executor_
                  ->Start(Shell("ckpt",
                                "trap 'echo saved > \"$APSIS_CHECKPOINT_DIR/state\"; exit 0' TERM; "
                                "touch ready; while true; do sleep 0.05; done"))
                  .ok());
  const std::string ready = dir_.File("ckpt/ready");
  for (int i = 0; i < 2000 && !std::filesystem::exists(ready); ++i) {
    io_.run_for(5ms);
    io_.restart();
  }
  ASSERT_TRUE(std::filesystem::exists(ready));
  clock_.Advance(Hours(1));
  ASSERT_TRUE(executor_->Stop("ckpt", /*checkpoint=*/true).ok());
  const ExecutorEvent* stopped = WaitFor("ckpt", v1::JOB_EVENT_STOPPED);
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ(stopped->exit_code, 0);
  EXPECT_DOUBLE_EQ(stopped->progress_gpu_hours, 2.0);  // 2 GPUs for one hour
  EXPECT_EQ(ReadWholeFile(dir_.File("ckpt/checkpoint/state")).value_or(""), "saved\n");
}

TEST_F(ProcessExecutorTest, KillsAJobThatIgnoresSigtermAfterTheGracePeriod) {
  MakeExecutor(200ms);
  ASSERT_TRUE(
      executor_
          ->Start(Shell("stubborn", "trap '' TERM; touch ready; while true; do sleep 0.05; done"))
          .ok());
  const std::string ready = dir_.File("stubborn/ready");
  for (int i = 0; i < 2000 && !std::filesystem::exists(ready); ++i) {
    io_.run_for(5ms);
    io_.restart();
  }
  ASSERT_TRUE(std::filesystem::exists(ready));
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(executor_->Stop("stubborn", true).ok());
  const ExecutorEvent* stopped = WaitFor("stubborn", v1::JOB_EVENT_STOPPED);
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ(stopped->exit_code, 128 + SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 200ms);
}

TEST_F(ProcessExecutorTest, LeavesNoOrphansWhenTheMainProcessExits) {
  MakeExecutor();
  // The job starts a long-running grandchild, records its pid and exits.
  ASSERT_TRUE(executor_->Start(Shell("parent", "sleep 300 & echo $! > child.pid; exit 0")).ok());
  ASSERT_NE(WaitFor("parent", v1::JOB_EVENT_FINISHED), nullptr);
  const pid_t child = std::stoi(ReadWholeFile(dir_.File("parent/child.pid")).value());
  // The grandchild was reparented to init (or a subreaper) and killed; wait until it is gone.
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    gone = !Alive(child) ||
           ReadWholeFile("/proc/" + std::to_string(child) + "/stat").value_or(" Z ").find(" Z ") !=
               std::string::npos;
    if (!gone) std::this_thread::sleep_for(5ms);  // bounded poll of another process's state
  }
  EXPECT_TRUE(gone) << "grandchild " << child << " survived its job";
}

TEST_F(ProcessExecutorTest, StopWithoutCheckpointKillsTheWholeGroupAtOnce) {
  MakeExecutor();
  ASSERT_TRUE(
      executor_->Start(Shell("group", "sleep 300 & echo $! > child.pid; touch ready; wait")).ok());
  const std::string ready = dir_.File("group/ready");
  for (int i = 0; i < 2000 && !std::filesystem::exists(ready); ++i) {
    io_.run_for(5ms);
    io_.restart();
  }
  ASSERT_TRUE(std::filesystem::exists(ready));
  const pid_t child = std::stoi(ReadWholeFile(dir_.File("group/child.pid")).value());
  ASSERT_TRUE(executor_->Stop("group", false).ok());
  const ExecutorEvent* stopped = WaitFor("group", v1::JOB_EVENT_STOPPED);
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ(stopped->exit_code, 128 + SIGKILL);
  EXPECT_DOUBLE_EQ(stopped->progress_gpu_hours, 0.0);  // no checkpoint: back to the resume point
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    gone = !Alive(child) ||
           ReadWholeFile("/proc/" + std::to_string(child) + "/stat").value_or(" Z ").find(" Z ") !=
               std::string::npos;
    if (!gone) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(gone);
}

TEST_F(ProcessExecutorTest, RefusesUnknownProgramsAndDuplicateJobs) {
  MakeExecutor();
  JobLaunch missing = Shell("missing", "");
  missing.spec.clear_command();
  missing.spec.add_command("/definitely/not/a/program");
  const Status status = executor_->Start(missing);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/definitely/not/a/program"), std::string::npos);

  ASSERT_TRUE(executor_->Start(Shell("dup", "sleep 5")).ok());
  EXPECT_EQ(executor_->Start(Shell("dup", "sleep 5")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(executor_->Running().size(), 1u);
  EXPECT_DOUBLE_EQ(executor_->PowerDrawW(), 1400.0);
  ASSERT_TRUE(executor_->Stop("dup", false).ok());
  ASSERT_NE(WaitFor("dup", v1::JOB_EVENT_STOPPED), nullptr);
}

TEST_F(ProcessExecutorTest, RefusesJobIdsThatWouldEscapeTheWorkRoot) {
  MakeExecutor();
  EXPECT_EQ(executor_->Start(Shell("../evil", "true")).code(), StatusCode::kInvalidArgument);
}

TEST_F(ProcessExecutorTest, AfterAnAgentRestartKillsTheJobsLeftoverProcessesInsteadOfAdopting) {
  ProcessExecutorOptions options;
  options.work_root = dir_.path();
  options.kill_on_destroy = false;  // as when the agent is killed: the job outlives it
  auto first = std::make_unique<ProcessExecutor>(io_, clock_, options, [](ExecutorEvent) {});
  const JobLaunch launch = Shell("j1", "sleep 30 & wait");
  ASSERT_TRUE(first->Start(launch).ok());
  const pid_t pid = first->PidOf("j1");
  first.reset();
  ASSERT_TRUE(Alive(pid));
  MakeExecutor();
  Status adopted = executor_->Adopt(launch);
  EXPECT_EQ(adopted.code(), StatusCode::kUnimplemented);
  EXPECT_NE(adopted.message().find("killed its process group"), std::string::npos)
      << adopted.message();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);  // reaped here: it was this test's child
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // Its pid file no longer matches a live process: a second attempt kills nothing.
  EXPECT_EQ(executor_->Adopt(launch).message().find("killed"), std::string::npos);
}

}  // namespace
}  // namespace apsis::agents
