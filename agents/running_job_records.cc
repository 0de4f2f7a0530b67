#include "agents/running_job_records.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace apsis::agents {
namespace {

constexpr const char* kSuffix = ".start";

Status WriteDurably(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot write '" + tmp + "': " + std::strerror(errno));
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      return UnavailableError("cannot write '" + tmp + "': " + why);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!synced) return UnavailableError("cannot sync '" + tmp + "': " + std::strerror(errno));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return UnavailableError("cannot rename '" + tmp + "': " + std::strerror(errno));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<RunningJobRecords>> RunningJobRecords::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create '" + dir + "': " + ec.message());
  std::unique_ptr<RunningJobRecords> records(new RunningJobRecords(dir));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != kSuffix) {
      if (entry.path().extension() == ".tmp") std::filesystem::remove(entry.path(), ec);
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    v1::StartJob start;
    if (!in || !start.ParseFromString(bytes.str()) || start.job().id().empty()) {
      return DataLossError("running-job record '" + path +
                           "' is unreadable; if no job of that name runs on this node, delete it");
    }
    records->records_[start.job().id()] = std::move(start);
  }
  if (ec) return UnavailableError("cannot read '" + dir + "': " + ec.message());
  return records;
}

std::string RunningJobRecords::PathOf(const std::string& job_id) const {
  return dir_ + "/" + job_id + kSuffix;
}

Status RunningJobRecords::Save(const v1::StartJob& start) {
  RETURN_IF_ERROR(WriteDurably(PathOf(start.job().id()), start.SerializeAsString()));
  records_[start.job().id()] = start;
  return Status::Ok();
}

Status RunningJobRecords::Checkpointed(const std::string& job_id, double progress_gpu_hours) {
  auto it = records_.find(job_id);
  if (it == records_.end()) return Status::Ok();
  v1::StartJob updated = it->second;
  updated.set_resume_from_gpu_hours(std::max(updated.resume_from_gpu_hours(), progress_gpu_hours));
  return Save(updated);
}

Status RunningJobRecords::Forget(const std::string& job_id) {
  if (records_.erase(job_id) == 0) return Status::Ok();
  std::error_code ec;
  std::filesystem::remove(PathOf(job_id), ec);
  if (ec) return UnavailableError("cannot remove '" + PathOf(job_id) + "': " + ec.message());
  return Status::Ok();
}

}  // namespace apsis::agents
