// The scheduler's metric families, created once at start on a MetricRegistry.
// Names follow Prometheus conventions; configs/grafana and configs/prometheus/rules.yml use them.
// Thread-safety: as MetricRegistry (instruments are thread-safe).
#pragma once

#include <map>
#include <string>

#include "metrics/metrics.h"

namespace apsis::daemon {

struct NodeGaugeValues {
  std::string node_id;
  std::string kind;  // ground | orbital
  std::string state;
  double power_available_w = 0;
  double power_used_w = 0;
  double battery_soc_ratio = -1;  // < 0: no battery
  bool contact_open = false;
  bool sunlit = false;
  double last_heard_seconds = 0;  // Unix time of the last message from the node
  double gpus_busy = 0;
  double gpus_total = 0;
};

class SchedulerMetrics {
 public:
  explicit SchedulerMetrics(metrics::MetricRegistry& registry);

  metrics::Counter& jobs_submitted;
  metrics::Counter& submissions_refused;
  metrics::Counter& placements;
  metrics::Counter& preemptions;
  metrics::Counter& agent_messages;
  metrics::Counter& client_requests;
  metrics::Counter& job_events;
  metrics::Counter& job_events_duplicate;
  metrics::Counter& requests_denied;
  metrics::Counter& store_errors;
  metrics::Histogram& plan_seconds;
  metrics::Histogram& request_seconds;
  metrics::Histogram& store_commit_seconds;
  metrics::Histogram& placement_wait_seconds;
  metrics::Gauge& queue_length;
  metrics::Gauge& reconciling;

  void SetNode(const NodeGaugeValues& v);
  // Keys: (state, kind).
  void SetJobsByStateAndKind(const std::map<std::pair<std::string, std::string>, double>& counts);
  void CountRejection(const std::string& constraint);
  // Transport counters are cumulative; these add what is new since the last call.
  void SetTransportTotals(const std::string& endpoint, uint64_t malformed, uint64_t undecodable,
                          uint64_t oversized, uint64_t version_mismatch);
  void SetAuthRefusedTotal(uint64_t refused);
  void AddEnergy(const std::string& node_id, const std::string& kind, double kwh, double usd);
  void SetSloAttainment(double ratio);

 private:
  // One node's gauges, looked up once: a lookup by labels hashes them, and the gauges of every
  // node are set after every planning pass.
  struct NodeGauges {
    std::string kind;
    metrics::Gauge* power_available = nullptr;
    metrics::Gauge* power_used = nullptr;
    metrics::Gauge* battery_soc = nullptr;  // created once the node reports a battery
    metrics::Gauge* contact_open = nullptr;
    metrics::Gauge* sunlit = nullptr;
    metrics::Gauge* last_heartbeat = nullptr;
    metrics::Gauge* gpus_busy = nullptr;
    metrics::Gauge* gpus = nullptr;
    std::string state;  // last exported state label
    metrics::Gauge* state_gauge = nullptr;
  };

  metrics::MetricRegistry& registry_;
  std::map<std::string, NodeGauges, std::less<>> node_gauges_;
  std::map<std::string, uint64_t> exported_totals_;  // last cumulative value per counter series
};

}  // namespace apsis::daemon
