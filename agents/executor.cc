#include "agents/executor.h"

#include <cctype>
#include <cmath>
#include <set>

namespace apsis::agents {

double RequiredGpuHours(const v1::JobSpec& spec) {
  if (spec.kind() == v1::JOB_KIND_INFERENCE) return 0;
  return spec.training().gpu_hours();
}

Result<JobLaunch> JobLaunchFromStartJob(const v1::StartJob& start, uint32_t node_gpus) {
  const std::string job = "StartJob for job '" + start.job().id() + "'";
  const uint32_t gpus = start.job().gpus();
  if (gpus > node_gpus) {
    return InvalidArgumentError(job + ": job.gpus = " + std::to_string(gpus) +
                                " exceeds this node's " + std::to_string(node_gpus) + " GPUs");
  }
  if (!std::isfinite(start.resume_from_gpu_hours()) || start.resume_from_gpu_hours() < 0) {
    return InvalidArgumentError(job + ": resume_from_gpu_hours must be a finite number >= 0");
  }
  JobLaunch launch;
  launch.spec = start.job();
  launch.resume_from_gpu_hours = start.resume_from_gpu_hours();
  std::set<uint32_t> seen;
  for (uint32_t index : start.gpu_indices()) {
    if (index >= node_gpus) {
      return InvalidArgumentError(job + ": gpu_indices names GPU " + std::to_string(index) +
                                  "; this node's GPUs are 0.." + std::to_string(node_gpus - 1));
    }
    if (!seen.insert(index).second) {
      return InvalidArgumentError(job + ": gpu_indices names GPU " + std::to_string(index) +
                                  " twice");
    }
    launch.gpu_indices.push_back(index);
  }
  if (launch.gpu_indices.empty()) {
    for (uint32_t i = 0; i < gpus; ++i) launch.gpu_indices.push_back(i);
  }
  return launch;
}

bool IsSafeJobId(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

Result<std::filesystem::path> PrepareCommandJobDirectory(const v1::JobSpec& spec,
                                                         const std::string& work_root,
                                                         std::string_view executor) {
  const std::string& id = spec.id();
  if (!IsSafeJobId(id)) {
    return InvalidArgumentError("job id '" + id +
                                "' is not usable as a directory name (letters, digits, '-', '_', "
                                "'.' only)");
  }
  if (spec.command().empty()) {
    return InvalidArgumentError("job '" + id + "' has no command; the " + std::string(executor) +
                                " executor needs one");
  }
  const std::filesystem::path dir = std::filesystem::path(work_root) / id;
  const std::filesystem::path checkpoint_dir = dir / "checkpoint";
  std::error_code ec;
  std::filesystem::create_directories(checkpoint_dir, ec);
  if (ec) {
    return UnavailableError("cannot create job directory '" + checkpoint_dir.string() +
                            "': " + ec.message() + "; check executor.work_root");
  }
  return dir;
}

}  // namespace apsis::agents
