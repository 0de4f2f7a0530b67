#include "agents/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace apsis::agents {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// Everything the child needs, prepared before fork so the child only makes async-signal-safe calls.
struct PreparedChild {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
};

void Prepare(const SpawnOptions& options, PreparedChild* out) {
  out->argv_storage = options.argv;
  for (std::string& a : out->argv_storage) out->argv.push_back(a.data());
  out->argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (options.env.count(key) == 0) out->env_storage.push_back(std::move(entry));
  }
  for (const auto& [key, value] : options.env) out->env_storage.push_back(key + "=" + value);
  for (std::string& e : out->env_storage) out->envp.push_back(e.data());
  out->envp.push_back(nullptr);
}

Result<int> OpenLog(const std::string& path) {
  const int fd = path.empty() ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                              : open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError("cannot open log file '" + path + "': " + ErrnoText(errno) +
                            "; check that its directory exists and is writable");
  }
  return fd;
}

}  // namespace

Result<pid_t> SpawnChild(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return InvalidArgumentError("empty command: a job needs at least a program name");
  }
  PreparedChild prepared;
  Prepare(options, &prepared);
  ASSIGN_OR_RETURN(int out_fd, OpenLog(options.stdout_path));
  auto err_fd_or = OpenLog(options.stderr_path);
  if (!err_fd_or.ok()) {
    close(out_fd);
    return err_fd_or.status();
  }
  const int err_fd = *err_fd_or;
  const int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // The child reports a failed chdir/exec through this close-on-exec pipe: EOF means exec worked.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(out_fd);
    close(err_fd);
    if (null_in >= 0) close(null_in);
    return InternalError("pipe2 failed: " + ErrnoText(errno));
  }
  const char* dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t pid = fork();
  if (pid == 0) {
    if (options.new_process_group) setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (null_in >= 0) dup2(null_in, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int stage = 0;  // 0: chdir, 1: exec
    if (dir != nullptr && chdir(dir) != 0) {
      int msg[2] = {stage, errno};
      (void)!write(report[1], msg, sizeof msg);
      _exit(127);
    }
    stage = 1;
    execvpe(prepared.argv[0], prepared.argv.data(), prepared.envp.data());
    int msg[2] = {stage, errno};
    (void)!write(report[1], msg, sizeof msg);
    _exit(127);
  }
  const int fork_errno = errno;
  close(out_fd);
  close(err_fd);
  if (null_in >= 0) close(null_in);
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    return UnavailableError("fork failed: " + ErrnoText(fork_errno));
  }
  // Also set the group from the parent so a kill(-pid) right after spawn cannot miss the child.
  if (options.new_process_group) setpgid(pid, pid);
  int msg[2] = {0, 0};
  ssize_t n;
  do {
    n = read(report[0], msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof msg)) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (msg[0] == 0) {
      return InvalidArgumentError("cannot enter working directory '" + options.working_dir +
                                  "': " + ErrnoText(msg[1]));
    }
    return InvalidArgumentError("cannot run '" + options.argv[0] + "': " + ErrnoText(msg[1]) +
                                (msg[1] == ENOENT ? " (not found on PATH; give a full path)" : ""));
  }
  return pid;
}

std::string ChildExit::Describe() const {
  if (signal != 0) {
    const char* name = strsignal(signal);
    return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "?") + ")";
  }
  return "exited with code " + std::to_string(exit_code);
}

ChildReaper::ChildReaper(boost::asio::io_context& io, std::chrono::milliseconds poll_interval)
    : timer_(io), poll_interval_(poll_interval) {}

ChildReaper::~ChildReaper() { timer_.cancel(); }

void ChildReaper::Watch(pid_t pid, std::function<void(ChildExit)> on_exit) {
  watched_[pid] = std::move(on_exit);
  Arm();
}

void ChildReaper::Arm() {
  if (armed_ || watched_.empty()) return;
  armed_ = true;
  timer_.expires_after(poll_interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    armed_ = false;
    if (ec) return;
    Poll();
  });
}

void ChildReaper::Poll() {
  std::vector<std::pair<std::function<void(ChildExit)>, ChildExit>> exited;
  for (auto it = watched_.begin(); it != watched_.end();) {
    int status = 0;
    const pid_t r = waitpid(it->first, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) {
      ++it;
      continue;
    }
    ChildExit exit;
    if (r > 0 && WIFEXITED(status)) {
      exit.exit_code = WEXITSTATUS(status);
    } else if (r > 0 && WIFSIGNALED(status)) {
      exit.signal = WTERMSIG(status);
      exit.exit_code = 128 + exit.signal;
    } else if (r < 0) {
      exit.exit_code = -1;  // ECHILD: someone else reaped it; the status is lost
    } else {
      ++it;  // stopped/continued: still alive
      continue;
    }
    exited.emplace_back(std::move(it->second), exit);
    it = watched_.erase(it);
  }
  for (auto& [callback, exit] : exited) callback(exit);
  Arm();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read '" + path + "': " + ErrnoText(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandRunner::CommandRunner(boost::asio::io_context& io, std::string scratch_dir,
                             std::map<std::string, std::string> env)
    : reaper_(io), scratch_dir_(std::move(scratch_dir)), env_(std::move(env)) {}

void CommandRunner::Run(std::vector<std::string> argv, Done done) {
  const std::string base =
      scratch_dir_ + "/cmd-" + std::to_string(getpid()) + "-" + std::to_string(next_id_++);
  SpawnOptions options;
  options.argv = std::move(argv);
  options.env = env_;
  options.stdout_path = base + ".out";
  options.stderr_path = base + ".err";
  options.new_process_group = false;
  unlink(options.stdout_path.c_str());
  unlink(options.stderr_path.c_str());
  Result<pid_t> pid = SpawnChild(options);
  if (!pid.ok()) {
    unlink(options.stdout_path.c_str());
    unlink(options.stderr_path.c_str());
    done(pid.status());
    return;
  }
  ++running_;
  reaper_.Watch(*pid, [this, base, done = std::move(done)](ChildExit exit) {
    --running_;
    Output output;
    output.exit = exit;
    output.stdout_text = ReadWholeFile(base + ".out").value_or("");
    output.stderr_text = ReadWholeFile(base + ".err").value_or("");
    unlink((base + ".out").c_str());
    unlink((base + ".err").c_str());
    done(std::move(output));
  });
}

}  // namespace apsis::agents
