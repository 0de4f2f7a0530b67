// Crash test: a child process (storage_crash_child) writes through the group committer and is
// killed with SIGKILL at random moments; after every kill the store is reopened and must hold every
// change the child acknowledged, with no transition half-applied.
//
// SIGKILL loses the process, not the page cache; power loss (unsynced data gone) is covered by the
// sync=true contract of RocksDbStore::Write, which this test cannot emulate without a fault-
// injecting filesystem.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "storage/encoding.h"
#include "storage/event_log.h"
#include "storage/rocksdb_store.h"
#include "temp_dir.h"

extern char** environ;

namespace apsis::storage {
namespace {

struct Acks {
  std::vector<std::string> submitted;
  uint64_t transitions = 0;
  std::map<std::string, int> generation;  // highest acknowledged generation per job
};

int GenerationOf(std::string_view value) {
  if (value.size() < 2 || value[0] != 'g') return -1;
  return std::atoi(std::string(value.substr(1, value.find('|') - 1)).c_str());
}

// When to kill a child: `after_acks` acknowledgements after "ready", then `delay` more (so the
// kill lands at a random point between writes and during fsyncs); or, with after_acks == 0,
// `delay` after the spawn (during open and WAL recovery).
struct KillPlan {
  int after_acks = 0;
  std::chrono::microseconds delay{0};
};

// Runs one child, kills it as planned and collects what it acknowledged.
void RunChildAndKill(const std::string& db, int round, uint64_t seed, const KillPlan& plan,
                     Acks& acks) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string round_text = std::to_string(round), seed_text = std::to_string(seed);
  std::string path = STORAGE_CRASH_CHILD_PATH;
  char* argv[] = {path.data(), const_cast<char*>(db.c_str()), round_text.data(), seed_text.data(),
                  nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ), 0) << path;
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);

  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline =
      plan.after_acks == 0 ? Clock::now() + plan.delay : Clock::time_point::max();
  int acks_this_round = 0;
  std::string buffer;
  bool killed = false;
  auto handle_line = [&](const std::string& line) {
    if (line == "ready") return;
    if (plan.after_acks > 0 && ++acks_this_round == plan.after_acks) {
      deadline = Clock::now() + plan.delay;
    }
    std::istringstream in(line);
    std::string kind, id;
    int gen = 0;
    in >> kind >> id;
    if (kind == "S") {
      acks.submitted.push_back(id);
      acks.generation.emplace(id, 0);
    } else if (kind == "T") {
      in >> gen;
      ++acks.transitions;
      int& known = acks.generation[id];
      known = std::max(known, gen);
    }
  };
  while (true) {
    int timeout_ms = -1;
    if (!killed && deadline != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
      if (timeout_ms == 0 && Clock::now() < deadline) timeout_ms = 1;
    }
    if (!killed && timeout_ms == 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      continue;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms);
    if (ready == 0) continue;  // deadline reached; kill on the next pass
    char chunk[4096];
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;  // EOF: the child is gone and everything it printed has been read
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      handle_line(buffer.substr(0, newline));
      buffer.erase(0, newline + 1);
    }
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
      << "), round " << round;
  EXPECT_TRUE(buffer.empty()) << "partial line from child: " << buffer;
}

void VerifyStore(const std::string& db, const Acks& acks, int round) {
  RocksDbOptions options;
  options.path = db;
  options.schema.cluster_id = "crash-test";
  auto store = RocksDbStore::Open(options);
  ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();

  std::map<std::string, int> jobs, placements;
  auto collect = [](std::map<std::string, int>& into) {
    return [&into](std::string_view k, std::string_view v) {
      into.emplace(std::string(k), GenerationOf(v));
      return true;
    };
  };
  ASSERT_TRUE((*store)->Scan(Column::kJobs, ScanRange::All(), collect(jobs)).ok());
  ASSERT_TRUE((*store)->Scan(Column::kPlacements, ScanRange::All(), collect(placements)).ok());
  // No partial transition: both keys of every transition carry the same generation.
  ASSERT_EQ(jobs, placements) << "round " << round << ": jobs and placements disagree";
  // Every acknowledged change is present.
  for (const auto& [id, gen] : acks.generation) {
    auto it = jobs.find(id);
    ASSERT_NE(it, jobs.end()) << "round " << round << ": acknowledged job " << id << " lost";
    ASSERT_GE(it->second, gen) << "round " << round << ": acknowledged transition of " << id
                               << " to generation " << gen << " lost";
  }
  // The event log and its indexes agree with each other and with the meta record.
  uint64_t events = 0, by_job = 0, by_time = 0, newest = 0;
  ASSERT_TRUE((*store)
                  ->Scan(Column::kEvents, ScanRange::All(),
                         [&](std::string_view k, std::string_view) {
                           ++events;
                           newest = *DecodeBigEndian64(k);
                           return true;
                         })
                  .ok());
  auto count = [](uint64_t& n) {
    return [&n](std::string_view, std::string_view) { return ++n > 0; };
  };
  ASSERT_TRUE((*store)->Scan(Column::kEventsByJob, ScanRange::All(), count(by_job)).ok());
  ASSERT_TRUE((*store)->Scan(Column::kEventsByTime, ScanRange::All(), count(by_time)).ok());
  EXPECT_EQ(events, by_job);
  EXPECT_EQ(events, by_time);
  EXPECT_EQ(events, newest) << "event sequence numbers have gaps";
  EXPECT_EQ((*store)->LastEventSequence(), newest);
  // Each job has at least its submission event (one event per durable transition).
  EXPECT_GE(events, jobs.size());
}

TEST(CrashTest, AcknowledgedChangesSurviveSigkillAndNoTransitionIsPartial) {
  testing::TempDir dir;
  std::string db = dir.Sub("db");
  std::mt19937_64 rng(20261129);
  constexpr int kRounds = 24;
  Acks acks;
  uint64_t previous = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Every fourth round kills during start-up (open, WAL recovery); the others while writing.
    // Every fourth round kills during start-up (open, WAL recovery); the others while writing,
    // after 1-1000 acknowledgements and 0-5 ms more.
    KillPlan plan;
    if (round % 4 == 3) {
      plan.delay = std::chrono::microseconds(rng() % 40'000);
    } else {
      plan.after_acks = 1 + static_cast<int>(rng() % 1000);
      plan.delay = std::chrono::microseconds(rng() % 5'000);
    }
    RunChildAndKill(db, round, rng(), plan, acks);
    if (HasFatalFailure()) return;
    VerifyStore(db, acks, round);
    if (HasFatalFailure()) return;
    if (plan.after_acks > 0) {
      EXPECT_GE(acks.submitted.size() + acks.transitions, previous + plan.after_acks)
          << "round " << round;
    }
    previous = acks.submitted.size() + acks.transitions;
  }
  RecordProperty("acknowledged_submissions", static_cast<int>(acks.submitted.size()));
  std::printf(
      "crash test: %d rounds, %zu acknowledged submissions, %llu acknowledged "
      "transitions\n",
      kRounds, acks.submitted.size(), static_cast<unsigned long long>(acks.transitions));
}

}  // namespace
}  // namespace apsis::storage
