#include "scheduler/daemon/scheduler_metrics.h"

namespace apsis::daemon {

SchedulerMetrics::SchedulerMetrics(metrics::MetricRegistry& r)
    : jobs_submitted(r.GetCounter("apsis_jobs_submitted_total", "Jobs accepted by submit")),
      submissions_refused(r.GetCounter("apsis_submissions_refused_total",
                                       "Submit requests refused (invalid spec, limits, storage)")),
      placements(r.GetCounter("apsis_placements_total", "StartJob decisions sent to agents")),
      preemptions(r.GetCounter("apsis_preemptions_total", "StopJob decisions for running jobs")),
      agent_messages(r.GetCounter("apsis_agent_messages_total", "Messages received from agents")),
      client_requests(r.GetCounter("apsis_client_requests_total", "Requests from clients")),
      job_events(r.GetCounter("apsis_job_events_total", "Job events recorded")),
      job_events_duplicate(
          r.GetCounter("apsis_job_events_duplicate_total",
                       "Job events received again and ignored (already recorded)")),
      requests_denied(r.GetCounter("apsis_requests_denied_total",
                                   "Client requests refused for lack of permission")),
      store_errors(r.GetCounter("apsis_store_errors_total", "Failed durable writes")),
      plan_seconds(r.GetHistogram("apsis_plan_duration_seconds", "Time of one planning pass",
                                  metrics::LatencyBuckets())),
      request_seconds(r.GetHistogram("apsis_request_duration_seconds",
                                     "Time to handle one agent or client message",
                                     metrics::LatencyBuckets())),
      store_commit_seconds(r.GetHistogram("apsis_store_commit_seconds",
                                          "Time from a change to its durable write",
                                          metrics::LatencyBuckets())),
      placement_wait_seconds(r.GetHistogram(
          "apsis_placement_wait_seconds", "Clock time from submission to first placement",
          {1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600})),
      queue_length(r.GetGauge("apsis_queue_length", "Jobs pending placement")),
      reconciling(r.GetGauge("apsis_reconciling",
                             "1 while waiting for agents to re-register after a restart")),
      registry_(r) {}

void SchedulerMetrics::SetNode(const NodeGaugeValues& v) {
  NodeGauges& g = node_gauges_[v.node_id];
  const metrics::Labels labels{{"node", v.node_id}, {"kind", v.kind}};
  if (g.power_available == nullptr || g.kind != v.kind) {
    g.kind = v.kind;
    g.power_available = &registry_.GetGauge("apsis_node_power_available_watts",
                                            "Power the node can give jobs now", labels);
    g.power_used = &registry_.GetGauge("apsis_node_power_used_watts",
                                       "Power the node's jobs draw now", labels);
    g.battery_soc = nullptr;
    g.contact_open = &registry_.GetGauge("apsis_node_contact_open",
                                         "1 while the node can reach the ground", labels);
    g.sunlit = &registry_.GetGauge("apsis_node_sunlit",
                                   "1 while the node is in sunlight (ground: always)", labels);
    g.last_heartbeat =
        &registry_.GetGauge("apsis_node_last_heartbeat_timestamp_seconds",
                            "Unix time of the last message from the node's agent", labels);
    g.gpus_busy = &registry_.GetGauge("apsis_node_gpus_busy", "GPUs running jobs", labels);
    g.gpus = &registry_.GetGauge("apsis_node_gpus", "GPUs of the node", labels);
    g.state_gauge = nullptr;
  }
  g.power_available->Set(v.power_available_w);
  g.power_used->Set(v.power_used_w);
  if (v.battery_soc_ratio >= 0) {
    if (g.battery_soc == nullptr) {
      g.battery_soc = &registry_.GetGauge("apsis_node_battery_soc_ratio",
                                          "Battery state of charge (0..1)", labels);
    }
    g.battery_soc->Set(v.battery_soc_ratio);
  }
  g.contact_open->Set(v.contact_open ? 1 : 0);
  g.sunlit->Set(v.sunlit ? 1 : 0);
  g.last_heartbeat->Set(v.last_heard_seconds);
  g.gpus_busy->Set(v.gpus_busy);
  g.gpus->Set(v.gpus_total);
  if (g.state_gauge == nullptr || g.state != v.state) {
    if (g.state_gauge != nullptr) {
      registry_.RemoveGauge("apsis_node_state",
                            {{"node", v.node_id}, {"kind", v.kind}, {"state", g.state}});
    }
    g.state = v.state;
    g.state_gauge =
        &registry_.GetGauge("apsis_node_state", "1 for the node's current state",
                            {{"node", v.node_id}, {"kind", v.kind}, {"state", v.state}});
  }
  g.state_gauge->Set(1);
}

void SchedulerMetrics::SetJobsByStateAndKind(
    const std::map<std::pair<std::string, std::string>, double>& counts) {
  for (const auto& [key, n] : counts) {
    registry_
        .GetGauge("apsis_jobs", "Jobs by state and kind",
                  {{"state", key.first}, {"kind", key.second}})
        .Set(n);
  }
}

void SchedulerMetrics::CountRejection(const std::string& constraint) {
  registry_
      .GetCounter("apsis_rejections_total", "Jobs rejected as infeasible, by constraint",
                  {{"constraint", constraint}})
      .Increment();
}

void SchedulerMetrics::SetTransportTotals(const std::string& endpoint, uint64_t malformed,
                                          uint64_t undecodable, uint64_t oversized,
                                          uint64_t version_mismatch) {
  const std::pair<const char*, uint64_t> totals[] = {{"malformed", malformed},
                                                     {"undecodable", undecodable},
                                                     {"oversized", oversized},
                                                     {"version_mismatch", version_mismatch}};
  for (const auto& [reason, total] : totals) {
    uint64_t& last = exported_totals_[endpoint + "/" + reason];
    auto& counter = registry_.GetCounter("apsis_messages_dropped_total",
                                         "Messages dropped on receipt, by endpoint and reason",
                                         {{"endpoint", endpoint}, {"reason", reason}});
    if (total > last) counter.Increment(static_cast<double>(total - last));
    last = total;
  }
}

void SchedulerMetrics::SetAuthRefusedTotal(uint64_t refused) {
  uint64_t& last = exported_totals_["auth_refused"];
  auto& counter = registry_.GetCounter("apsis_auth_refused_total",
                                       "CURVE handshakes refused (key not in an allowlist)");
  if (refused > last) counter.Increment(static_cast<double>(refused - last));
  last = refused;
}

void SchedulerMetrics::AddEnergy(const std::string& node_id, const std::string& kind, double kwh,
                                 double usd) {
  const metrics::Labels labels{{"node", node_id}, {"kind", kind}};
  registry_
      .GetCounter("apsis_energy_joules_total", "Energy used by jobs, as reported by agents", labels)
      .Increment(kwh * 3.6e6);
  registry_
      .GetCounter("apsis_energy_cost_usd_total", "Energy cost of jobs at their placement's price",
                  labels)
      .Increment(usd);
}

void SchedulerMetrics::SetSloAttainment(double ratio) {
  registry_
      .GetGauge("apsis_inference_slo_attainment_ratio",
                "Share of inference jobs placed where their latency SLO holds")
      .Set(ratio);
}

}  // namespace apsis::daemon
