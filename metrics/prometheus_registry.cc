// The only file of Apsis that includes prometheus-cpp.
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

#include "metrics/metrics.h"

namespace apsis::metrics {
namespace {

class CounterAdapter final : public Counter {
 public:
  explicit CounterAdapter(prometheus::Counter& c) : c_(c) {}
  void Increment(double by) override { c_.Increment(by); }

 private:
  prometheus::Counter& c_;
};

class GaugeAdapter final : public Gauge {
 public:
  explicit GaugeAdapter(prometheus::Gauge& g) : g_(g) {}
  void Set(double v) override { g_.Set(v); }
  void Add(double by) override { g_.Increment(by); }

 private:
  prometheus::Gauge& g_;
};

class HistogramAdapter final : public Histogram {
 public:
  explicit HistogramAdapter(prometheus::Histogram& h) : h_(h) {}
  void Observe(double v) override { h_.Observe(v); }

 private:
  prometheus::Histogram& h_;
};

class PrometheusRegistry final : public MetricRegistry {
 public:
  PrometheusRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}

  Counter& GetCounter(const std::string& name, const std::string& help,
                      const Labels& labels) override {
    std::lock_guard lock(mu_);
    auto& family = Family(counters_, name, help);
    auto& adapter = adapters_[{name, labels}];
    if (!adapter) adapter = std::make_unique<CounterAdapter>(family.Add(labels));
    return static_cast<Counter&>(*adapter);
  }

  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels) override {
    std::lock_guard lock(mu_);
    auto& family = Family(gauges_, name, help);
    auto& adapter = gauge_adapters_[{name, labels}];
    if (!adapter) adapter = std::make_unique<GaugeAdapter>(family.Add(labels));
    return *adapter;
  }

  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& buckets, const Labels& labels) override {
    std::lock_guard lock(mu_);
    auto& family = Family(histograms_, name, help);
    auto& adapter = histogram_adapters_[{name, labels}];
    if (!adapter) {
      adapter = std::make_unique<HistogramAdapter>(
          family.Add(labels, prometheus::Histogram::BucketBoundaries(buckets)));
    }
    return *adapter;
  }

  void RemoveGauge(const std::string& name, const Labels& labels) override {
    std::lock_guard lock(mu_);
    auto family = gauges_.find(name);
    if (family == gauges_.end()) return;
    if (family->second->Has(labels)) family->second->Remove(&family->second->Add(labels));
    gauge_adapters_.erase({name, labels});
  }

  std::string Exposition() const override {
    prometheus::TextSerializer serializer;
    return serializer.Serialize(registry_->Collect());
  }

  std::shared_ptr<prometheus::Registry> registry() { return registry_; }

 private:
  template <typename T>
  prometheus::Family<T>& Family(std::map<std::string, prometheus::Family<T>*>& families,
                                const std::string& name, const std::string& help) {
    auto it = families.find(name);
    if (it != families.end()) return *it->second;
    auto& family = prometheus::detail::Builder<T>().Name(name).Help(help).Register(*registry_);
    families.emplace(name, &family);
    return family;
  }

  std::mutex mu_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counters_;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauges_;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*> histograms_;
  std::map<std::pair<std::string, Labels>, std::unique_ptr<CounterAdapter>> adapters_;
  std::map<std::pair<std::string, Labels>, std::unique_ptr<GaugeAdapter>> gauge_adapters_;
  std::map<std::pair<std::string, Labels>, std::unique_ptr<HistogramAdapter>> histogram_adapters_;
};

class PrometheusEndpointImpl final : public PrometheusEndpoint {
 public:
  MetricRegistry& registry() override { return registry_; }
  int port() const override { return port_; }

  PrometheusRegistry registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace

std::unique_ptr<MetricRegistry> CreatePrometheusRegistry() {
  return std::make_unique<PrometheusRegistry>();
}

Result<std::unique_ptr<PrometheusEndpoint>> PrometheusEndpoint::Create(
    const std::string& listen_address) {
  auto endpoint = std::make_unique<PrometheusEndpointImpl>();
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(listen_address, 2);
  } catch (const std::exception& e) {
    return UnavailableError("cannot serve metrics on '" + listen_address + "': " + e.what() +
                            " (is the port in use? set metrics.listen in the config)");
  }
  endpoint->exposer_->RegisterCollectable(endpoint->registry_.registry());
  auto ports = endpoint->exposer_->GetListeningPorts();
  endpoint->port_ = ports.empty() ? 0 : ports.front();
  return std::unique_ptr<PrometheusEndpoint>(std::move(endpoint));
}

}  // namespace apsis::metrics
