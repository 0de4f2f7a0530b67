// What the benches that run the real apsis-scheduler as a child process share: a free loopback
// port for its endpoints and the spawn of the scheduler itself. Not thread-safe (environ).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "apsis/v1/common.pb.h"
#include "tests/support/loopback_port.h"

extern char** environ;

namespace apsis::bench {

using apsis::testing::FreeLoopbackPort;

// The benches' ground node: 8 H100 at 700 W, PUE 1.2, alternately in us-west and eu-west.
inline void FillGroundNodeSpec(const std::string& id, int index, apsis::v1::NodeSpec* spec) {
  spec->set_id(id);
  spec->set_kind(apsis::v1::NODE_KIND_GROUND);
  spec->mutable_gpus()->set_count(8);
  spec->mutable_gpus()->set_type("H100");
  spec->mutable_gpus()->set_watts_each(700);
  spec->mutable_ground()->set_pue(1.2);
  spec->mutable_ground()->set_region(index % 2 ? "us-west" : "eu-west");
}

// Starts `binary --config config --insecure` with its stderr appended to `log` (so repeated
// starts keep every run's lines). Returns the child's pid, or -1 after printing why.
inline pid_t SpawnScheduler(const std::string& binary, const std::string& config,
                            const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args{const_cast<char*>(binary.c_str()), const_cast<char*>("--config"),
                          const_cast<char*>(config.c_str()), const_cast<char*>("--insecure"),
                          nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    std::perror("posix_spawn");
    return -1;
  }
  return pid;
}

}  // namespace apsis::bench
