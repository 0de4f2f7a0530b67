#include "scheduler/core/plan_format.h"

#include <cstdio>

namespace apsis::core {

namespace {
std::string F(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6f", v);
  return buf;
}
}  // namespace

std::string FormatAction(const Action& action) {
  if (const auto* s = std::get_if<StartJob>(&action)) {
    return "start " + s->job_id + " on " + s->node_id + " at " + FormatRfc3339(s->at) + " until " +
           FormatRfc3339(s->expected_end) + " work " + F(s->work_gpu_hours);
  }
  if (const auto* s = std::get_if<StopJob>(&action)) {
    return "stop " + s->job_id + " on " + s->node_id + " at " + FormatRfc3339(s->at) +
           (s->checkpoint ? " checkpoint" : " no-checkpoint") + " reason " + s->reason;
  }
  const auto& r = std::get<Reject>(action);
  return "reject " + r.job_id + " [" + std::string(ConstraintName(r.constraint)) + "] " + r.reason;
}

std::string SerializeActions(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) out += FormatAction(a) + "\n";
  return out;
}

std::string SerializeReservations(const std::vector<Reservation>& rs) {
  std::string out;
  for (const Reservation& r : rs) {
    out += "reservation " + r.job_id + " node " + r.node_id + " " + FormatRfc3339(r.start) +
           " .. " + FormatRfc3339(r.end) + " gpus " + std::to_string(r.gpus) + " load " +
           F(r.it_load_w) + " work " + F(r.work_gpu_hours) + (r.running ? " running" : "") +
           (r.stopping ? " stopping" : "") + (r.checkpoint_downlink ? " checkpoint-downlink" : "") +
           (r.output_waiting_bytes > 0 ? " output-waiting " + F(r.output_waiting_bytes) : "") +
           " cost " + F(r.cost.energy_usd) + "/" + F(r.cost.carbon_usd) + "/" +
           F(r.cost.battery_wear_usd) + "/" + F(r.cost.transfer_usd) + "/" + F(r.cost.latency_usd) +
           "/" + F(r.cost.delay_usd) + "\n";
    for (const TransferAllocation& t : r.transfers) {
      out += "  " + std::string(t.direction == TransferDirection::kUplink ? "up" : "down") +
             " window " + std::to_string(t.window_index) + " " + t.station + " " +
             FormatRfc3339(t.aos) + " bytes " + F(t.bytes) +
             (t.purpose == TransferPurpose::kCheckpoint ? " checkpoint"
              : t.purpose == TransferPurpose::kServing  ? " serving"
                                                        : "") +
             "\n";
    }
  }
  return out;
}

}  // namespace apsis::core
