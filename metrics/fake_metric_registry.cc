#include <mutex>
#include <sstream>

#include "metrics/metrics.h"

namespace apsis::metrics {

std::vector<double> LatencyBuckets() {
  std::vector<double> buckets;
  for (double b = 1e-5; b < 20; b *= 2.5) buckets.push_back(b);
  return buckets;
}

struct FakeMetricRegistry::Series final : public Counter, public Gauge, public Histogram {
  void Increment(double by) override {
    std::lock_guard lock(mu);
    value += by;
  }
  void Set(double v) override {
    std::lock_guard lock(mu);
    value = v;
  }
  void Add(double by) override { Increment(by); }
  void Observe(double v) override {
    std::lock_guard lock(mu);
    value += v;
    ++observations;
  }
  mutable std::mutex mu;
  double value = 0;
  size_t observations = 0;
};

FakeMetricRegistry::FakeMetricRegistry() = default;
FakeMetricRegistry::~FakeMetricRegistry() = default;

Counter& FakeMetricRegistry::GetCounter(const std::string& name, const std::string&,
                                        const Labels& labels) {
  auto& s = series_[{name, labels}];
  if (!s) s = std::make_unique<Series>();
  return *s;
}

Gauge& FakeMetricRegistry::GetGauge(const std::string& name, const std::string&,
                                    const Labels& labels) {
  auto& s = series_[{name, labels}];
  if (!s) s = std::make_unique<Series>();
  return *s;
}

Histogram& FakeMetricRegistry::GetHistogram(const std::string& name, const std::string&,
                                            const std::vector<double>&, const Labels& labels) {
  auto& s = series_[{name, labels}];
  if (!s) s = std::make_unique<Series>();
  return *s;
}

void FakeMetricRegistry::RemoveGauge(const std::string& name, const Labels& labels) {
  series_.erase({name, labels});
}

std::string FakeMetricRegistry::Exposition() const {
  std::ostringstream out;
  for (const auto& [key, s] : series_) {
    out << key.first;
    if (!key.second.empty()) {
      out << "{";
      bool first = true;
      for (const auto& [k, v] : key.second) {
        out << (first ? "" : ",") << k << "=\"" << v << "\"";
        first = false;
      }
      out << "}";
    }
    std::lock_guard lock(s->mu);
    out << " " << s->value << "\n";
  }
  return out.str();
}

double FakeMetricRegistry::Value(const std::string& name, const Labels& labels) const {
  auto it = series_.find({name, labels});
  if (it == series_.end()) return 0;
  std::lock_guard lock(it->second->mu);
  return it->second->value;
}

size_t FakeMetricRegistry::Observations(const std::string& name, const Labels& labels) const {
  auto it = series_.find({name, labels});
  if (it == series_.end()) return 0;
  std::lock_guard lock(it->second->mu);
  return it->second->observations;
}

}  // namespace apsis::metrics
