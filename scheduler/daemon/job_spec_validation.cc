#include "scheduler/daemon/job_spec_validation.h"

#include <cmath>

namespace apsis::daemon {
namespace {

constexpr double kMaxRunHours = 87'600;

class Problems {
 public:
  Problems(std::vector<std::string>& out, const std::string& path) : out_(out), path_(path) {}
  void Add(const std::string& field, const std::string& what) {
    out_.push_back(path_ + "." + field + ": " + what);
  }
  void NonNegative(const std::string& field, double v) {
    if (!std::isfinite(v) || v < 0) Add(field, "must be >= 0, got " + Show(v));
  }
  void Positive(const std::string& field, double v) {
    if (!std::isfinite(v) || v <= 0) Add(field, "must be > 0, got " + Show(v));
  }
  static std::string Show(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

 private:
  std::vector<std::string>& out_;
  const std::string& path_;
};

}  // namespace

std::vector<std::string> ValidateJobSpecProto(const v1::JobSpec& spec, const std::string& path,
                                              TimePoint now) {
  std::vector<std::string> out;
  Problems p(out, path);
  if (spec.id().size() > 128) p.Add("id", "must be at most 128 characters");
  for (char c : spec.id()) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      p.Add("id", "may contain only letters, digits, '-', '_' and '.'");
      break;
    }
  }
  if (spec.name().size() > 256) p.Add("name", "must be at most 256 characters");
  if (spec.gpus() == 0) p.Add("gpus", "must be at least 1");
  if (spec.gpus() > 100'000) p.Add("gpus", "must be at most 100000");
  p.NonNegative("watts_per_gpu", spec.watts_per_gpu());
  p.NonNegative("input_gb", spec.input_gb());
  p.NonNegative("output_gb", spec.output_gb());
  if (spec.priority() < -1000 || spec.priority() > 1000)
    p.Add("priority", "must be in [-1000, 1000], got " + std::to_string(spec.priority()));
  switch (spec.kind()) {
    case v1::JOB_KIND_TRAINING: {
      const v1::TrainingSpec& t = spec.training();
      p.Positive("training.gpu_hours", t.gpu_hours());
      // The planner counts a run in forecast steps as int64; ten years of run time is far beyond
      // any horizon and keeps that count small.
      if (spec.gpus() > 0 && t.gpu_hours() / spec.gpus() > kMaxRunHours) {
        p.Add("training.gpu_hours", "is " + Problems::Show(t.gpu_hours() / spec.gpus()) +
                                        " hours of run time on " + std::to_string(spec.gpus()) +
                                        " GPU(s); at most " + std::to_string(int(kMaxRunHours)) +
                                        " (10 years) is accepted");
      }
      if (t.checkpoint_interval_us() < 0) p.Add("training.checkpoint_interval_us", "must be >= 0");
      p.NonNegative("training.checkpoint_gb", t.checkpoint_gb());
      if (t.deadline_us() != 0 && TimePoint::FromMicros(t.deadline_us()) <= now)
        p.Add("training.deadline_us",
              "is in the past (" + FormatRfc3339(TimePoint::FromMicros(t.deadline_us())) + ")");
      if (spec.has_inference()) p.Add("inference", "must be empty for a training job");
      break;
    }
    case v1::JOB_KIND_INFERENCE: {
      const v1::InferenceSpec& i = spec.inference();
      if (i.serve_until_us() <= i.serve_from_us())
        p.Add("inference.serve_until_us", "must be after inference.serve_from_us");
      if (i.serve_until_us() != 0 && TimePoint::FromMicros(i.serve_until_us()) <= now)
        p.Add("inference.serve_until_us", "is in the past");
      p.Positive("inference.latency_slo_ms", i.latency_slo_ms());
      if (i.user_region().empty() && spec.user_region().empty())
        p.Add("inference.user_region", "is required (where the requests come from)");
      p.NonNegative("inference.request_mbps", i.request_mbps());
      if (spec.has_training()) p.Add("training", "must be empty for an inference job");
      break;
    }
    default:
      p.Add("kind", "must be training or inference");
  }
  return out;
}

}  // namespace apsis::daemon
