// Engine::AdoptRunningJob and Engine::Reconfigure: changes to a running engine from outside the
// planning loop (scheduler restarts and configuration reloads).
#include <algorithm>

#include "scheduler/core/engine.h"
#include "scheduler/core/engine_records.h"

namespace apsis::core {

Status Engine::AdoptRunningJob(const JobSpec& job, std::string_view node_id, TimePoint started_at,
                               double done_gpu_hours) {
  auto node_it = nodes_.find(node_id);
  if (node_it == nodes_.end()) return NotFoundError("unknown node " + std::string(node_id));
  NodeRecord& node = *node_it->second;
  if (!node.ledger) {
    return FailedPreconditionError("node " + std::string(node_id) +
                                   " has no forecast yet; adopt its jobs after its first forecast");
  }
  RETURN_IF_ERROR(Submit(job));
  JobRecord& record = *jobs_.find(job.id)->second;
  maybe_pending_.erase(job.id);
  record.state = JobState::kRunning;
  record.input_node_id = std::string(node_id);
  record.progress_gpu_hours = done_gpu_hours;
  record.checkpointed_gpu_hours = done_gpu_hours;

  Reservation r;
  r.job_id = job.id;
  r.node_id = std::string(node_id);
  r.start = std::max(started_at, node.ledger->forecast().start);
  r.gpus = job.gpus;
  r.it_load_w = job.gpus * job.watts_per_gpu;
  r.running = true;
  r.input_on_node = true;
  if (job.kind == JobKind::kTraining) {
    r.work_gpu_hours = std::max(0.0, job.training.gpu_hours - done_gpu_hours);
    r.end = r.start + Hours(r.work_gpu_hours / std::max(1, job.gpus));
  } else {
    r.end = std::max(r.start, job.inference.serve_end);
  }
  CommitReservation(std::move(r), job.id);
  return Status::Ok();
}

Status Engine::Reconfigure(EngineConfig config) {
  RETURN_IF_ERROR(ValidateEngineConfig(config));
  ASSIGN_OR_RETURN(auto policy, MakePlacementPolicy(config.policy));
  config_ = std::move(config);
  policy_ = std::move(policy);
  search_nodes_valid_ = false;
  ++capacity_version_;  // a new policy or weights may place what could not be placed before
  return Status::Ok();
}

}  // namespace apsis::core
