// Engine's private bookkeeping records, shared by engine.cc and engine_plan.cc only.
// Not part of the API; not thread-safe (owned by the Engine).
#pragma once

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "scheduler/core/engine.h"

namespace apsis::core {

struct Engine::NodeRecord {
  NodeSpec spec;
  NodeState state = NodeState::kReady;
  std::unique_ptr<NodeLedger> ledger;      // null until the first forecast
  std::set<std::string> reservation_keys;  // keys into reservations_
  bool dirty = false;                      // forecast or state changed since the last Plan()
};

struct Engine::JobRecord {
  JobSpec spec;
  JobState state = JobState::kPending;
  uint64_t seq = 0;                   // submission order
  double checkpointed_gpu_hours = 0;  // work safe in the last checkpoint
  double progress_gpu_hours = 0;      // latest progress report
  std::string input_node_id;          // node holding input + checkpoint, if any
  double resume_stage_gb = 0;         // checkpoint size to move when resuming elsewhere
  // Stopped with its checkpoint on orbital node input_node_id (written at checkpoint_written_at)
  // and not run since: resuming on any other node waits until the checkpoint is on the ground,
  // carried by the downlinks of the "<id>/checkpoint" reservation once such a placement is made.
  bool checkpoint_in_orbit = false;
  TimePoint checkpoint_written_at;
  TimePoint earliest;  // not before (e.g. end of a stopping checkpoint)
  std::string last_reason;
  Constraint last_constraint = Constraint::kNone;
  // A job that could not be placed is not retried until capacity may have been freed (the
  // engine's capacity version moved) or `now` changed: more commitments never make room.
  bool tried = false;
  uint64_t tried_version = 0;
  TimePoint tried_now;
};

// Key suffix of a stopping job's tail reservation.
inline const char kStoppingSuffix[] = "/stopping";
// Key suffix of the reservation that brings a stopped job's checkpoint down from orbit.
inline const char kCheckpointSuffix[] = "/checkpoint";

// The part of a running reservation that remains while a job stopping at `stop_at` writes its
// checkpoint until `tail_end`: never longer than the reservation, no output downlink, serving
// traffic only in windows that open before the tail ends.
inline Reservation StoppingTail(const Reservation& res, TimePoint stop_at, TimePoint tail_end) {
  Reservation tail = res;
  tail.end = std::min(res.end, std::max(res.start, tail_end));
  tail.stopping = true;
  const double ran_h = std::max(0.0, ToSeconds(std::min(stop_at, res.end) - res.start) / 3600.0);
  tail.work_gpu_hours = std::min(res.work_gpu_hours, ran_h * res.gpus);
  std::erase_if(tail.transfers, [&](const TransferAllocation& t) {
    if (t.purpose == TransferPurpose::kServing) return t.aos >= tail.end;
    return t.direction == TransferDirection::kDownlink;
  });
  return tail;
}

// "uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z carries 6 GB > capacity 3 GB"
std::string DescribeWindowOverload(const NodeLedger& ledger, int window, bool uplink);

}  // namespace apsis::core
