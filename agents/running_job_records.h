// RunningJobRecords: the jobs this agent has started and not yet seen end, one file per job under
// <state_dir>/running/, so that an agent restarted mid-job can take its jobs over again.
//
// Each record is the StartJob that would resume the job now: its resume point moves to every
// checkpoint the job reports. A record is written to a temporary file, synced and renamed over the
// old one, so a crash leaves either the old or the new record, never a torn one.
//
// Not thread-safe: used from the agent's loop thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "apsis/v1/agent.pb.h"
#include "common/status.h"

namespace apsis::agents {

class RunningJobRecords {
 public:
  // Opens (creating it if needed) `dir` and reads the records in it. An unreadable record is
  // reported, not skipped: a job might be running that the agent would not know about.
  static Result<std::unique_ptr<RunningJobRecords>> Open(const std::string& dir);

  Status Save(const v1::StartJob& start);
  // Moves the job's resume point to `progress_gpu_hours` (no-op for an unknown job).
  Status Checkpointed(const std::string& job_id, double progress_gpu_hours);
  Status Forget(const std::string& job_id);

  const std::map<std::string, v1::StartJob>& records() const { return records_; }

 private:
  explicit RunningJobRecords(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(const std::string& job_id) const;

  std::string dir_;
  std::map<std::string, v1::StartJob> records_;
};

}  // namespace apsis::agents
