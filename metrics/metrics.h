// The narrow metrics interface every Apsis component records through.
//
// Components receive a `MetricRegistry&` and create their instruments once at start; recording
// is then a virtual call on a stable pointer. Only metrics/prometheus_registry.* knows
// prometheus-cpp; tests use FakeMetricRegistry. Instruments are thread-safe; creating them is
// meant for start-up (also thread-safe).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::metrics {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  virtual ~Counter() = default;
  virtual void Increment(double by = 1.0) = 0;
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void Set(double value) = 0;
  virtual void Add(double by) = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void Observe(double value) = 0;
};

class MetricRegistry {
 public:
  virtual ~MetricRegistry() = default;
  // `name` follows Prometheus conventions (apsis_*_total for counters, base units: seconds,
  // bytes, watts). The same name with other labels adds a series to the same family.
  virtual Counter& GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels = {}) = 0;
  virtual Gauge& GetGauge(const std::string& name, const std::string& help,
                          const Labels& labels = {}) = 0;
  virtual Histogram& GetHistogram(const std::string& name, const std::string& help,
                                  const std::vector<double>& buckets,
                                  const Labels& labels = {}) = 0;
  // Removes a gauge series (e.g. of a node that left the fleet).
  virtual void RemoveGauge(const std::string& name, const Labels& labels) = 0;
  // The Prometheus text exposition of everything registered.
  virtual std::string Exposition() const = 0;
};

// Buckets for latencies from 10 µs to ~10 s, in seconds.
std::vector<double> LatencyBuckets();

// A registry that only remembers values, for tests.
class FakeMetricRegistry final : public MetricRegistry {
 public:
  FakeMetricRegistry();
  ~FakeMetricRegistry() override;
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const Labels& labels) override;
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels) override;
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& buckets, const Labels& labels) override;
  void RemoveGauge(const std::string& name, const Labels& labels) override;
  std::string Exposition() const override;

  // Current value of a counter or gauge (0 when absent); count of observations of a histogram.
  double Value(const std::string& name, const Labels& labels = {}) const;
  size_t Observations(const std::string& name, const Labels& labels = {}) const;

 private:
  struct Series;
  std::map<std::pair<std::string, Labels>, std::unique_ptr<Series>> series_;
};

// A Prometheus registry served over HTTP at `listen_address` ("127.0.0.1:9464", "0.0.0.0:9464",
// or port 0 for any free port) on path /metrics.
class PrometheusEndpoint {
 public:
  static Result<std::unique_ptr<PrometheusEndpoint>> Create(const std::string& listen_address);
  virtual ~PrometheusEndpoint() = default;
  virtual MetricRegistry& registry() = 0;
  virtual int port() const = 0;
};

// A registry without an HTTP endpoint (e.g. the simulator, or tests that read Exposition()).
std::unique_ptr<MetricRegistry> CreatePrometheusRegistry();

}  // namespace apsis::metrics
