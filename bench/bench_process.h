// What the benches that run the real apsis-scheduler as a child process share: a free loopback
// port for its endpoints and the spawn of the scheduler itself. Not thread-safe (environ).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace apsis::bench {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
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
