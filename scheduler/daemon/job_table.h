// JobTable: the scheduler daemon's jobs by id, with the indexes its periodic work reads.
//
// A long-lived cluster's store holds mostly finished jobs (a million after a few months). Decoded,
// each is a tree of protobuf messages (~450 bytes of small allocations); the daemon needs them only
// when a client asks. So a finished job is kept as its stored bytes ("packed") plus its state and
// kind, and decoded on first use; PackFinished() packs decoded finished jobs again. Every job that
// is not finished is kept decoded.
//
// Indexes, brought up to date by Sync() from the records changed through mutable_status():
// - counts by (state, kind), for gauges and status without visiting every job;
// - jobs holding a placement by node (placed, starting, running, checkpointing, suspended, lost:
//   not pending, not finished), so losing a node or describing it visits only its jobs;
// - inference jobs that may still be due to serve (not cancelled), for the SLO gauge.
//
// Thread-safety: not thread-safe; owned by the daemon's event loop. References returned by
// status() and mutable_status() stay valid until the next PackFinished().
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "apsis/v1/common.pb.h"
#include "common/status.h"

namespace apsis::daemon {

class JobTable;

class JobRecord {
 public:
  // The job's record, decoded when it was packed.
  const v1::JobStatus& status() const;
  // For changing the record; the table re-indexes it at the next Sync().
  v1::JobStatus& mutable_status();
  v1::JobState state() const;

  bool in_engine = false;  // the planner holds the job

 private:
  friend class JobTable;
  JobRecord(JobTable* table, const std::string* id) : table_(table), id_(id) {}
  void Decode() const;

  JobTable* table_;
  const std::string* id_;  // the table's key
  mutable std::unique_ptr<v1::JobStatus> decoded_;
  mutable std::string packed_;  // the serialized v1.JobStatus while not decoded
  v1::JobState packed_state_ = v1::JOB_STATE_UNSPECIFIED;
  bool changed_ = false;
  // What the indexes hold for this job.
  int counted_state_ = -1;  // -1: not counted yet
  bool counted_inference_ = false;
  std::string indexed_node_;
  bool indexed_inference_ = false;
};

class JobTable {
 public:
  using Map = std::map<std::string, JobRecord, std::less<>>;

  JobTable() = default;
  JobTable(const JobTable&) = delete;
  JobTable& operator=(const JobTable&) = delete;

  // Adds a job (replacing nothing: AlreadyExists when the id is taken).
  Result<JobRecord*> Insert(v1::JobStatus status);
  // Adds a job from its stored bytes, decoding it; a finished job stays packed. Jobs added in id
  // order are appended in constant time (the start-up scan). InvalidArgument for unreadable bytes.
  Result<JobRecord*> InsertStored(std::string_view id, std::string_view bytes);

  Map::iterator find(std::string_view id) { return jobs_.find(id); }
  Map::const_iterator find(std::string_view id) const { return jobs_.find(id); }
  Map::iterator begin() { return jobs_.begin(); }
  Map::iterator end() { return jobs_.end(); }
  Map::const_iterator begin() const { return jobs_.begin(); }
  Map::const_iterator end() const { return jobs_.end(); }
  size_t count(std::string_view id) const { return jobs_.count(id); }
  size_t size() const { return jobs_.size(); }
  bool empty() const { return jobs_.empty(); }

  // The record without keeping it decoded: `scratch` receives a packed one (for scans over many
  // jobs, such as listing).
  const v1::JobStatus& Peek(const JobRecord& job, v1::JobStatus& scratch) const;

  // Re-indexes the records changed since the last Sync(). Every index read below calls it.
  void Sync();
  // Number of jobs in `state` of that kind (inference or training).
  size_t Count(v1::JobState state, bool inference);
  // Every count: state → {training, inference}.
  std::map<int, std::array<size_t, 2>> Counts();
  // Ids of the jobs holding a placement on `node_id`, in id order.
  const std::set<std::string>& OnNode(std::string_view node_id);
  // Nodes with at least one job holding a placement there.
  std::vector<std::string> NodesWithJobs();
  // Inference jobs, not cancelled, that may still be due to serve at or after `now_us` (id →
  // end of serving). Drops those whose serving ended at or before `now_us`; a change re-adds them.
  const std::map<std::string, int64_t>& InferenceDue(int64_t now_us);

  // Packs every decoded finished job that is not changed. Invalidates references to them.
  void PackFinished();
  size_t decoded_count() const { return decoded_.size(); }

 private:
  friend class JobRecord;
  void Changed(JobRecord& job);
  void Decoded(const JobRecord& job);
  void Reindex(JobRecord& job, const v1::JobStatus& status);

  Map jobs_;
  std::vector<JobRecord*> changed_;
  std::unordered_set<const JobRecord*> decoded_;
  std::map<int, std::array<size_t, 2>> counts_;  // state → {training, inference}
  std::map<std::string, std::set<std::string>, std::less<>> by_node_;
  std::map<std::string, int64_t> inference_;
  std::vector<char> arena_block_ = std::vector<char>(64 << 10);  // InsertStored's scratch
};

}  // namespace apsis::daemon
