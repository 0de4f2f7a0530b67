// The slurm executor against a real Slurm: the test writes a one-node slurm.conf for this host in
// a temporary directory (private ports, four fake GPU device files), starts a private munged on its
// own socket, slurmctld and slurmd, submits jobs through SlurmExecutor and watches them run,
// finish, fail and get cancelled. The daemons it started are stopped by the pids in their pid
// files. Needs root and the Debian packages slurm-wlm and munge (scripts/setup installs them); it
// skips with a message saying so when they are absent.
#include "agents/slurm_executor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agents/child_process.h"
#include "common/clock.h"

namespace apsis::agents {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  const std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat").value_or("");
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// Stops a daemon by pid: SIGTERM, a bounded wait, then SIGKILL.
void StopDaemon(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 100 && !ProcessGone(pid); ++i) std::this_thread::sleep_for(50ms);
  if (!ProcessGone(pid)) kill(pid, SIGKILL);
}

pid_t PidFromFile(const std::string& path) {
  const std::string text = ReadWholeFile(path).value_or("");
  return text.empty() ? -1 : static_cast<pid_t>(std::atoi(text.c_str()));
}

// Runs a command line to completion (only for starting daemons, which fork into the background).
int RunShell(const std::string& command) { return std::system(command.c_str()); }

class SlurmCluster {
 public:
  // Empty when the cluster runs; otherwise why it could not be started.
  std::string Start() {
    for (const char* program : {"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged",
                                "/usr/bin/sbatch", "/usr/bin/scontrol", "/usr/bin/scancel"}) {
      if (!Executable(program)) {
        skip_ = std::string(program) +
                " is missing: install slurm-wlm and munge (scripts/setup) to run this test";
        return skip_;
      }
    }
    if (geteuid() != 0) {
      skip_ = "a private slurmctld/slurmd needs root (SlurmUser=root); run as root";
      return skip_;
    }
    char pattern[] = "/tmp/apsis-slurm-XXXXXX";
    dir_ = mkdtemp(pattern);
    chmod(dir_.c_str(), 0755);
    for (const char* sub : {"state", "spool", "log", "jobs", "munge"})
      fs::create_directories(dir_ + "/" + sub);
    for (int i = 0; i < 4; ++i) std::ofstream(dir_ + "/gpu" + std::to_string(i)).put('\0');

    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string short_host(host);
    short_host = short_host.substr(0, short_host.find('.'));
    // Private ports derived from the pid so parallel runs do not collide.
    const int port = 20000 + static_cast<int>(getpid() % 5000) * 2;
    std::ofstream conf(dir_ + "/slurm.conf");
    conf << "ClusterName=apsistest\n"
         << "SlurmctldHost=" << short_host << "\n"
         << "SlurmctldPort=" << port << "\nSlurmdPort=" << port + 1 << "\n"
         << "SlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\n"
         << "AuthInfo=socket=" << dir_ << "/munge/munge.socket\n"
         << "StateSaveLocation=" << dir_ << "/state\nSlurmdSpoolDir=" << dir_ << "/spool\n"
         << "SlurmctldPidFile=" << dir_ << "/slurmctld.pid\n"
         << "SlurmdPidFile=" << dir_ << "/slurmd.pid\n"
         << "SlurmctldLogFile=" << dir_ << "/log/slurmctld.log\n"
         << "SlurmdLogFile=" << dir_ << "/log/slurmd.log\n"
         << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
         << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
         << "GresTypes=gpu\nMpiDefault=none\nReturnToService=2\nMinJobAge=300\n"
         << "SchedulerType=sched/builtin\n"
         << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
         << "NodeName=" << short_host
         << " CPUs=" << std::max(1u, std::thread::hardware_concurrency())
         << " Gres=gpu:4 State=UNKNOWN\n"
         << "PartitionName=main Nodes=" << short_host << " Default=YES MaxTime=INFINITE State=UP\n";
    conf.close();
    std::ofstream(dir_ + "/gres.conf") << "Name=gpu File=" << dir_ << "/gpu[0-3]\n";

    // A private munged on its own socket, so parallel runs and a site munged are never disturbed.
    const std::string munge_dir = dir_ + "/munge";
    if (RunShell("/usr/sbin/munged --force --socket=" + munge_dir +
                 "/munge.socket --pid-file=" + munge_dir + "/munged.pid --seed-file=" + munge_dir +
                 "/munged.seed --log-file=" + dir_ + "/log/munged.log 2>" + dir_ +
                 "/log/munged.err") != 0) {
      return "munged did not start: " + ReadWholeFile(dir_ + "/log/munged.err").value_or("");
    }
    munged_pid_ = PidFromFile(munge_dir + "/munged.pid");
    const std::string env = "SLURM_CONF=" + dir_ + "/slurm.conf ";
    if (RunShell(env + "/usr/sbin/slurmctld") != 0) return "slurmctld did not start";
    if (RunShell(env + "/usr/sbin/slurmd") != 0) return "slurmd did not start";
    for (int i = 0; i < 40; ++i) {
      if (fs::exists(dir_ + "/slurmctld.pid")) ctld_pid_ = PidFromFile(dir_ + "/slurmctld.pid");
      if (fs::exists(dir_ + "/slurmd.pid")) slurmd_pid_ = PidFromFile(dir_ + "/slurmd.pid");
      if (ctld_pid_ > 0 && slurmd_pid_ > 0) break;
      std::this_thread::sleep_for(100ms);
    }
    // Bounded wait for the node to register and become idle.
    for (int i = 0; i < 100; ++i) {
      if (RunShell(env + "/usr/bin/sinfo -h -o %T 2>/dev/null | grep -q idle") == 0) return "";
      std::this_thread::sleep_for(200ms);
    }
    return "the Slurm node never became idle; see " + dir_ + "/log";
  }

  void Stop() {
    StopDaemon(slurmd_pid_);
    StopDaemon(ctld_pid_);
    StopDaemon(munged_pid_);
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string skip_;
  pid_t munged_pid_ = -1;
  pid_t ctld_pid_ = -1;
  pid_t slurmd_pid_ = -1;
};

class SlurmExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new SlurmCluster();
    problem_ = cluster_->Start();
  }
  static void TearDownTestSuite() {
    cluster_->Stop();
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    if (!problem_.empty()) GTEST_SKIP() << problem_;
    SlurmExecutorOptions options;
    options.work_root = cluster_->dir() + "/jobs";
    options.env["SLURM_CONF"] = cluster_->dir() + "/slurm.conf";
    options.poll_interval = 200ms;
    options.grace = 3000ms;
    executor_ = std::make_unique<SlurmExecutor>(
        io_, clock_, options, [this](ExecutorEvent e) { events_.push_back(std::move(e)); });
  }

  JobLaunch Shell(const std::string& id, const std::string& script, uint32_t gpus = 2) {
    JobLaunch launch;
    launch.spec.set_id(id);
    launch.spec.set_kind(v1::JOB_KIND_TRAINING);
    launch.spec.set_gpus(gpus);
    launch.spec.set_watts_per_gpu(700);
    launch.spec.mutable_training()->set_gpu_hours(0.1);
    launch.spec.add_command("/bin/sh");
    launch.spec.add_command("-c");
    launch.spec.add_command(script);
    return launch;
  }

  // Runs the loop until an event of `kind` for `job` arrives (bounded: 40 s of real time).
  const ExecutorEvent* WaitFor(const std::string& job, v1::JobEventKind kind) {
    const auto deadline = std::chrono::steady_clock::now() + 40s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const ExecutorEvent& e : events_) {
        if (e.job_id == job && e.kind == kind) return &e;
      }
      io_.run_for(20ms);
      io_.restart();
    }
    return nullptr;
  }

  std::string JobFile(const std::string& id, const std::string& name) {
    return cluster_->dir() + "/jobs/" + id + "/" + name;
  }

  static SlurmCluster* cluster_;
  static std::string problem_;
  boost::asio::io_context io_;
  SystemClock clock_;
  std::unique_ptr<SlurmExecutor> executor_;
  std::vector<ExecutorEvent> events_;
};

SlurmCluster* SlurmExecutorTest::cluster_ = nullptr;
std::string SlurmExecutorTest::problem_;

TEST_F(SlurmExecutorTest, JobRunsAndFinishes) {
  ASSERT_TRUE(executor_->Start(Shell("done1", "echo \"$APSIS_JOB_ID\"; exit 0")).ok());
  ASSERT_NE(WaitFor("done1", v1::JOB_EVENT_STARTED), nullptr);
  const ExecutorEvent* finished = WaitFor("done1", v1::JOB_EVENT_FINISHED);
  ASSERT_NE(finished, nullptr);
  EXPECT_EQ(finished->exit_code, 0);
  EXPECT_NE(finished->message.find("COMPLETED"), std::string::npos) << finished->message;
  EXPECT_EQ(ReadWholeFile(JobFile("done1", "stdout.log")).value_or(""), "done1\n");
  EXPECT_TRUE(executor_->Running().empty());
}

TEST_F(SlurmExecutorTest, JobFailureCarriesItsExitCode) {
  ASSERT_TRUE(executor_->Start(Shell("fail1", "exit 7")).ok());
  const ExecutorEvent* failed = WaitFor("fail1", v1::JOB_EVENT_FAILED);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->exit_code, 7);
  EXPECT_NE(failed->message.find("FAILED"), std::string::npos) << failed->message;
}

TEST_F(SlurmExecutorTest, RunningJobIsCancelled) {
  ASSERT_TRUE(executor_->Start(Shell("cancel1", "sleep 300")).ok());
  ASSERT_NE(WaitFor("cancel1", v1::JOB_EVENT_STARTED), nullptr);
  ASSERT_EQ(executor_->Running().size(), 1u);
  EXPECT_EQ(executor_->Running()[0].state, v1::JOB_STATE_RUNNING);
  EXPECT_DOUBLE_EQ(executor_->PowerDrawW(), 1400.0);
  ASSERT_TRUE(executor_->Stop("cancel1", /*checkpoint=*/false).ok());
  const ExecutorEvent* stopped = WaitFor("cancel1", v1::JOB_EVENT_STOPPED);
  ASSERT_NE(stopped, nullptr);
  EXPECT_NE(stopped->message.find("CANCELLED"), std::string::npos) << stopped->message;
}

TEST_F(SlurmExecutorTest, StopWithCheckpointSignalsTheJobFirst) {
  ASSERT_TRUE(executor_
                  ->Start(Shell("ckpt1",
                                "trap 'echo saved > \"$APSIS_CHECKPOINT_DIR/state\"; exit 0' TERM; "
                                "touch ready; while true; do sleep 0.1; done"))
                  .ok());
  ASSERT_NE(WaitFor("ckpt1", v1::JOB_EVENT_STARTED), nullptr);
  for (int i = 0; i < 400 && !fs::exists(JobFile("ckpt1", "ready")); ++i) {
    io_.run_for(20ms);
    io_.restart();
  }
  ASSERT_TRUE(fs::exists(JobFile("ckpt1", "ready")));
  ASSERT_TRUE(executor_->Stop("ckpt1", /*checkpoint=*/true).ok());
  ASSERT_NE(WaitFor("ckpt1", v1::JOB_EVENT_STOPPED), nullptr);
  EXPECT_EQ(ReadWholeFile(JobFile("ckpt1", "checkpoint/state")).value_or(""), "saved\n");
}

TEST_F(SlurmExecutorTest, ImpossibleGpuRequestFailsAtSubmission) {
  ASSERT_TRUE(executor_->Start(Shell("toobig", "true", /*gpus=*/64)).ok());
  const ExecutorEvent* failed = WaitFor("toobig", v1::JOB_EVENT_FAILED);
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->message.find("sbatch failed"), std::string::npos) << failed->message;
}

}  // namespace
}  // namespace apsis::agents
