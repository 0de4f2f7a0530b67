// Engine's private bookkeeping records, shared by engine.cc and engine_plan.cc only.
// Not part of the API; not thread-safe (owned by the Engine).
#pragma once

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
  TimePoint earliest;                 // not before (e.g. end of a stopping checkpoint)
  std::string last_reason;
};

// Key suffix of a stopping job's tail reservation.
inline const char kStoppingSuffix[] = "/stopping";

}  // namespace apsis::core
