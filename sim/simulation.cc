#include "sim/simulation.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>

#include "scheduler/core/engine.h"
#include "scheduler/core/plan_checker.h"

namespace apsis::sim {
namespace {

enum class EventType { kForecast, kSubmit, kStart, kFinish, kStop, kTailEnd };

struct Event {
  TimePoint t;
  uint64_t seq = 0;
  EventType type = EventType::kSubmit;
  int job = -1;
  int node = -1;
  uint64_t token = 0;
  bool checkpoint = false;
  double draw_w = 0;
  int gpus = 0;
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct SimJob {
  const core::JobSpec* spec = nullptr;
  double required = 0;  // training GPU-hours; 0 for serving
  double saved = 0;     // progress in this executor's last checkpoint
  double draw_w = 0;
  // Current run.
  int run_node = -1;
  TimePoint run_start;
  double progress_at_start = 0;
  uint64_t run_token = 0;
  // Pending time-tagged start.
  int pending_node = -1;
  double pending_work = 0;
  uint64_t start_token = 0;
  int input_node = -1;
  bool started = false;
  TimePoint first_start;
  bool done = false;
  bool rejected = false;
  double served_s = 0;
};

struct NodeMeter {
  TimePoint last;
  double load_w = 0;  // IT load of running jobs and checkpoint tails
  int busy_gpus = 0;
  double soc_wh = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank.
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * double(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

class PolicyRun {
 public:
  PolicyRun(const FleetModel& fleet, const Workload& workload, const SimOptions& options,
            std::unique_ptr<core::Engine> engine, std::string name)
      : fleet_(fleet),
        workload_(workload),
        options_(options),
        engine_(std::move(engine)),
        end_(fleet.fleet().epoch + options.horizon) {
    result_.name = std::move(name);
  }

  Result<PolicyResult> Run();

 private:
  void Push(Event e) {
    e.seq = next_seq_++;
    events_.push(std::move(e));
  }
  void Advance(int node, TimePoint t);
  void ChangeLoad(int node, TimePoint t, double draw_w, int gpus);
  void Anomaly(const Status& s, TimePoint t) {
    if (!s.ok() && result_.anomalies.size() < options_.max_violations_kept) {
      result_.anomalies.push_back(FormatRfc3339(t) + ": " + s.ToString());
    }
  }
  void Forecast(TimePoint t);
  void Start(const Event& e);
  void Finish(const Event& e);
  void Stop(const Event& e);
  void CloseSegment(SimJob& j, int job, TimePoint t, bool stopped);
  double ProgressAt(const SimJob& j, TimePoint t) const {
    if (j.required <= 0) return 0;
    const double h = std::max(0.0, ToSeconds(t - j.run_start) / 3600.0);
    return std::min(j.required, j.progress_at_start + h * j.spec->gpus);
  }
  Status PlanAndApply(TimePoint now);
  Duration CheckpointDuration(const SimJob& j, int node) const;
  void Finalize();

  const FleetModel& fleet_;
  const Workload& workload_;
  const SimOptions& options_;
  std::unique_ptr<core::Engine> engine_;
  const TimePoint end_;
  PolicyResult result_;
  std::vector<SimJob> jobs_;
  std::unordered_map<std::string, int> job_index_;
  std::unordered_map<std::string, int> node_index_;
  std::vector<NodeMeter> meters_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  uint64_t next_seq_ = 0;
  double busy_ground_s_ = 0, busy_orbit_s_ = 0;
};

void PolicyRun::Advance(int node, TimePoint t) {
  NodeMeter& m = meters_[node];
  const NodeModel& n = fleet_.nodes()[node];
  const TimePoint epoch = fleet_.fleet().epoch;
  const core::NodeSpec& spec = n.spec();
  const double orbit_price = options_.engine.weights.orbital_energy_usd_per_kwh;
  t = std::min(t, end_);
  while (m.last < t) {
    const int i = n.StepOf(m.last);
    const TimePoint step_end = n.start() + n.step() * (i + 1);
    const TimePoint seg_end = i + 1 >= n.steps() ? t : std::min(t, step_end);
    const double dt_s = ToSeconds(seg_end - m.last);
    const size_t hour = static_cast<size_t>((m.last - epoch) / Hours(1));
    if (n.orbital()) {
      const double kwh = m.load_w * dt_s / 3.6e6;
      result_.energy_kwh += kwh;
      result_.energy_cost_usd += kwh * orbit_price;
      if (hour < result_.hourly_cost_usd.size()) {
        result_.hourly_cost_usd[hour] += kwh * orbit_price;
        result_.hourly_util_orbit[hour] += m.busy_gpus * dt_s;
      }
      m.soc_wh = agents::StepBattery(n.battery(), m.soc_wh, n.solar_w(i),
                                     spec.bus_load_w + m.load_w, dt_s, &result_.battery_unmet_wh);
      busy_orbit_s_ += m.busy_gpus * dt_s;
    } else {
      const double kwh = m.load_w * spec.pue * dt_s / 3.6e6;
      const double usd = kwh * n.price_usd_per_kwh(i);
      result_.energy_kwh += kwh;
      result_.energy_cost_usd += usd;
      result_.carbon_kg += kwh * n.carbon_g_per_kwh(i) / 1000.0;
      if (hour < result_.hourly_cost_usd.size()) {
        result_.hourly_cost_usd[hour] += usd;
        result_.hourly_util_ground[hour] += m.busy_gpus * dt_s;
      }
      busy_ground_s_ += m.busy_gpus * dt_s;
    }
    m.last = seg_end;
  }
}

void PolicyRun::ChangeLoad(int node, TimePoint t, double draw_w, int gpus) {
  Advance(node, t);
  meters_[node].load_w = std::max(0.0, meters_[node].load_w + draw_w);
  meters_[node].busy_gpus += gpus;
}

Duration PolicyRun::CheckpointDuration(const SimJob& j, int node) const {
  // As the engine plans it: the checkpoint written at checkpoint_write_gbps, in whole steps.
  if (j.required <= 0 || j.spec->training.checkpoint_gb <= 0) return Duration::zero();
  const double seconds = j.spec->training.checkpoint_gb / options_.engine.checkpoint_write_gbps;
  const int64_t st = fleet_.nodes()[node].step().count();
  return Duration(static_cast<int64_t>(std::ceil(seconds * 1e6 / double(st))) * st);
}

void PolicyRun::Forecast(TimePoint t) {
  const Duration horizon = fleet_.fleet().forecast_horizon;
  for (size_t i = 0; i < meters_.size(); ++i) {
    Advance(int(i), t);
    const NodeModel& n = fleet_.nodes()[i];
    Anomaly(engine_->UpdateForecast(n.spec().id, n.Forecast(t, horizon, meters_[i].soc_wh)), t);
  }
  const TimePoint next = t + fleet_.fleet().forecast_interval;
  if (next < end_) Push({.t = next, .type = EventType::kForecast});
}

void PolicyRun::CloseSegment(SimJob& j, int job, TimePoint t, bool stopped) {
  const core::JobSpec& s = *j.spec;
  if (s.kind == core::JobKind::kInference) {
    const TimePoint a = std::max(j.run_start, s.inference.serve_start);
    const TimePoint b = std::min(t, s.inference.serve_end);
    if (b > a) j.served_s += ToSeconds(b - a);
  }
  if (t > j.run_start) {
    result_.segments.push_back({j.run_node, s.id, s.kind, j.run_start, t, stopped});
  }
  (void)job;
}

void PolicyRun::Start(const Event& e) {
  SimJob& j = jobs_[e.job];
  if (e.token != j.start_token || j.pending_node < 0 || j.run_node >= 0 || j.done) return;
  const int node = j.pending_node;
  j.pending_node = -1;
  if (Status s = engine_->OnJobEvent({j.spec->id, core::JobEventType::kStarted, e.t, 0}); !s.ok()) {
    Anomaly(s, e.t);
    return;
  }
  j.run_node = node;
  j.run_start = e.t;
  ++j.run_token;
  j.progress_at_start =
      j.required > 0 ? std::clamp(std::max(j.required - j.pending_work, j.saved), 0.0, j.required)
                     : 0.0;
  ChangeLoad(node, e.t, j.draw_w, j.spec->gpus);
  if (j.input_node != node) {
    result_.data_moved_gb += j.spec->input_gb + (j.saved > 0 ? j.spec->training.checkpoint_gb : 0);
    j.input_node = node;
  }
  if (!j.started) {
    j.started = true;
    j.first_start = e.t;
    ++result_.jobs_started;
  }
  const TimePoint finish =
      j.required > 0 ? e.t + Seconds((j.required - j.progress_at_start) / j.spec->gpus * 3600.0)
                     : j.spec->inference.serve_end;
  if (finish < end_) {
    Push({.t = std::max(finish, e.t),
          .type = EventType::kFinish,
          .job = e.job,
          .token = j.run_token});
  }
}

void PolicyRun::Finish(const Event& e) {
  SimJob& j = jobs_[e.job];
  if (e.token != j.run_token || j.run_node < 0) return;
  const int node = j.run_node;
  ChangeLoad(node, e.t, -j.draw_w, -j.spec->gpus);
  CloseSegment(j, e.job, e.t, false);
  j.run_node = -1;
  j.done = true;
  j.saved = j.required;
  ++result_.jobs_done;
  result_.data_moved_gb += j.spec->output_gb;
  Anomaly(engine_->OnJobEvent({j.spec->id, core::JobEventType::kFinished, e.t, j.required}), e.t);
}

void PolicyRun::Stop(const Event& e) {
  SimJob& j = jobs_[e.job];
  if (e.token != j.run_token || j.run_node < 0) return;
  const int node = j.run_node;
  const double progress = ProgressAt(j, e.t);
  Duration tail = Duration::zero();
  if (e.checkpoint) {
    j.saved = std::max(j.saved, progress);
    tail = CheckpointDuration(j, node);
  } else if (j.required > 0) {
    // Only what the last periodic checkpoint holds survives.
    const double interval_h = ToSeconds(j.spec->training.checkpoint_interval) / 3600.0;
    const double ran_h = ToSeconds(e.t - j.run_start) / 3600.0;
    const double kept =
        interval_h > 0 ? std::floor(ran_h / interval_h) * interval_h * j.spec->gpus : 0;
    j.saved = std::max(j.saved, std::min(progress, j.progress_at_start + kept));
  }
  CloseSegment(j, e.job, e.t, true);
  ++result_.preemptions;
  j.run_node = -1;
  if (tail > Duration::zero()) {
    Push({.t = e.t + tail,
          .type = EventType::kTailEnd,
          .job = e.job,
          .node = node,
          .draw_w = j.draw_w,
          .gpus = j.spec->gpus});
  } else {
    ChangeLoad(node, e.t, -j.draw_w, -j.spec->gpus);
  }
  if (j.required > 0) {
    Anomaly(
        engine_->OnJobEvent({j.spec->id, core::JobEventType::kCheckpointed, e.t + tail, j.saved}),
        e.t);
  }
}

Status PolicyRun::PlanAndApply(TimePoint now) {
  ASSIGN_OR_RETURN(core::PlanResult plan, engine_->Plan(now));
  ++result_.plan_calls;
  if (options_.check) {
    const std::vector<core::PlanViolation> v = core::CheckPlan(engine_->Snapshot(now));
    result_.check_violations += static_cast<int64_t>(v.size());
    for (const core::PlanViolation& pv : v) {
      if (result_.violations.size() >= options_.max_violations_kept) break;
      result_.violations.push_back(FormatRfc3339(now) + ": " + core::ToString(pv));
    }
  }
  for (const core::Action& a : plan.actions) {
    if (const auto* s = std::get_if<core::StartJob>(&a)) {
      SimJob& j = jobs_[job_index_.at(s->job_id)];
      j.pending_node = node_index_.at(s->node_id);
      j.pending_work = s->work_gpu_hours;
      ++j.start_token;
      Push({.t = std::max(s->at, now),
            .type = EventType::kStart,
            .job = job_index_.at(s->job_id),
            .token = j.start_token});
    } else if (const auto* s = std::get_if<core::StopJob>(&a)) {
      const int job = job_index_.at(s->job_id);
      SimJob& j = jobs_[job];
      const int node = node_index_.at(s->node_id);
      if (j.run_node == node) {
        Push({.t = std::max(s->at, now),
              .type = EventType::kStop,
              .job = job,
              .token = j.run_token,
              .checkpoint = s->checkpoint});
      } else if (j.pending_node == node) {
        j.pending_node = -1;  // not started yet: the StopJob cancels the time-tagged start
        ++j.start_token;
      }
    } else if (const auto* r = std::get_if<core::Reject>(&a)) {
      SimJob& j = jobs_[job_index_.at(r->job_id)];
      if (!j.rejected) ++result_.jobs_rejected;
      j.rejected = true;
    }
  }
  return Status::Ok();
}

void PolicyRun::Finalize() {
  for (size_t i = 0; i < meters_.size(); ++i) Advance(int(i), end_);
  for (size_t k = 0; k < jobs_.size(); ++k) {
    SimJob& j = jobs_[k];
    if (j.run_node >= 0) CloseSegment(j, int(k), end_, false);
  }
  const TimePoint epoch = fleet_.fleet().epoch;
  std::vector<double> waits;
  double due_s = 0, served_s = 0;
  for (const SimJob& j : jobs_) {
    const core::JobSpec& s = *j.spec;
    if (s.submitted_at >= end_) continue;
    ++result_.jobs_submitted;
    if (s.kind == core::JobKind::kInference) {
      const TimePoint a = std::max(s.inference.serve_start, epoch);
      const TimePoint b = std::min(s.inference.serve_end, end_);
      if (b > a) due_s += ToSeconds(b - a);
      served_s += j.served_s;
    }
    if (j.rejected && !j.started) continue;
    // Jobs that never started count with the wait they had by the end (a lower bound).
    const TimePoint from = s.kind == core::JobKind::kInference
                               ? std::max(s.earliest_start, s.inference.serve_start)
                               : s.earliest_start;
    const TimePoint to = j.started ? j.first_start : end_;
    waits.push_back(std::max(0.0, ToSeconds(to - from)));
  }
  result_.slo_attainment = due_s > 0 ? served_s / due_s : 1.0;
  result_.wait_p50_s = Percentile(waits, 50);
  result_.wait_p95_s = Percentile(waits, 95);
  result_.wait_p99_s = Percentile(waits, 99);
  int ground_gpus = 0, orbit_gpus = 0;
  for (const NodeModel& n : fleet_.nodes())
    (n.orbital() ? orbit_gpus : ground_gpus) += n.spec().gpu_count;
  const double span_s = ToSeconds(options_.horizon);
  result_.gpu_utilisation_ground = ground_gpus > 0 ? busy_ground_s_ / (ground_gpus * span_s) : 0;
  result_.gpu_utilisation_orbit = orbit_gpus > 0 ? busy_orbit_s_ / (orbit_gpus * span_s) : 0;
  for (size_t h = 0; h < result_.hourly_cost_usd.size(); ++h) {
    const double hour_s = std::min(3600.0, span_s - 3600.0 * double(h));
    result_.hourly_util_ground[h] /= ground_gpus > 0 ? ground_gpus * hour_s : 1;
    result_.hourly_util_orbit[h] /= orbit_gpus > 0 ? orbit_gpus * hour_s : 1;
  }
  std::sort(result_.segments.begin(), result_.segments.end(),
            [](const RunSegment& a, const RunSegment& b) {
              return std::tie(a.node, a.start, a.job_id) < std::tie(b.node, b.start, b.job_id);
            });
}

Result<PolicyResult> PolicyRun::Run() {
  const std::vector<NodeModel>& nodes = fleet_.nodes();
  const TimePoint epoch = fleet_.fleet().epoch;
  const size_t hours = static_cast<size_t>((options_.horizon + Hours(1) - Duration(1)) / Hours(1));
  result_.hourly_cost_usd.assign(hours, 0);
  result_.hourly_util_ground.assign(hours, 0);
  result_.hourly_util_orbit.assign(hours, 0);
  meters_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    RETURN_IF_ERROR(engine_->AddNode(nodes[i].spec()));
    node_index_[nodes[i].spec().id] = int(i);
    meters_[i].last = epoch;
    meters_[i].soc_wh = nodes[i].battery().initial_soc_wh;
  }
  jobs_.resize(workload_.jobs.size());
  for (size_t k = 0; k < workload_.jobs.size(); ++k) {
    const core::JobSpec& s = workload_.jobs[k];
    SimJob& j = jobs_[k];
    j.spec = &s;
    j.required = s.kind == core::JobKind::kTraining ? s.training.gpu_hours : 0;
    job_index_[s.id] = int(k);
    if (s.submitted_at < end_)
      Push({.t = s.submitted_at, .type = EventType::kSubmit, .job = int(k)});
  }
  Push({.t = epoch, .type = EventType::kForecast});
  const Duration grid = options_.plan_interval == Duration::zero() ? fleet_.fleet().forecast_step
                                                                   : options_.plan_interval;
  std::optional<TimePoint> plan_at;
  while (true) {
    const bool more = !events_.empty() && events_.top().t < end_;
    if (plan_at && (!more || *plan_at < events_.top().t)) {
      if (*plan_at >= end_) break;
      const TimePoint at = *plan_at;
      plan_at.reset();
      RETURN_IF_ERROR(PlanAndApply(at));
      continue;
    }
    if (!more) break;
    const TimePoint now = events_.top().t;
    bool changed = false;
    while (!events_.empty() && events_.top().t == now) {
      const Event e = events_.top();
      events_.pop();
      changed = true;
      switch (e.type) {
        case EventType::kForecast:
          Forecast(e.t);
          break;
        case EventType::kSubmit: {
          SimJob& j = jobs_[e.job];
          // The executor draws what the engine reserves: GPUs × the job's watts (or the node's).
          j.draw_w = j.spec->gpus * j.spec->watts_per_gpu;
          Anomaly(engine_->Submit(*j.spec), e.t);
          break;
        }
        case EventType::kStart:
          Start(e);
          break;
        case EventType::kFinish:
          Finish(e);
          break;
        case EventType::kStop:
          Stop(e);
          break;
        case EventType::kTailEnd:
          ChangeLoad(e.node, e.t, -e.draw_w, -e.gpus);
          break;
      }
    }
    if (!changed) continue;
    TimePoint due = now;
    if (grid > Duration::zero()) {
      // The next multiple of the planning interval from the epoch, or now if on one.
      const int64_t g = grid.count(), since = (now - epoch).count();
      due = epoch + Duration((since + g - 1) / g * g);
    }
    plan_at = plan_at ? std::min(*plan_at, due) : due;
  }
  Finalize();
  return std::move(result_);
}

}  // namespace

Result<PolicyResult> SimulatePolicy(const FleetModel& fleet, const Workload& workload,
                                    const SimOptions& options, const std::string& policy) {
  core::EngineConfig config = options.engine;
  config.policy = policy;
  ASSIGN_OR_RETURN(std::unique_ptr<core::Engine> engine, core::Engine::Create(config));
  PolicyRun run(fleet, workload, options, std::move(engine), policy);
  return run.Run();
}

Result<SimReport> Simulate(const FleetModel& fleet, const Workload& workload,
                           const SimOptions& options) {
  if (options.policies.empty()) return InvalidArgumentError("no policy to simulate; give --policy");
  if (options.horizon <= Duration::zero()) return InvalidArgumentError("horizon must be positive");
  SimReport report;
  report.epoch = fleet.fleet().epoch;
  report.horizon = options.horizon;
  report.seed = options.seed;
  report.jobs = workload.jobs.size();
  const size_t n = options.policies.size();
  std::vector<std::optional<Result<PolicyResult>>> results(n);
  const int workers =
      std::max(1, std::min<int>(options.threads > 0 ? options.threads
                                                    : int(std::thread::hardware_concurrency()),
                                int(n)));
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) {
        results[i] = SimulatePolicy(fleet, workload, options, options.policies[i]);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (size_t i = 0; i < n; ++i) {
    if (!results[i]->ok()) {
      return results[i]->status().WithContext("policy " + options.policies[i]);
    }
    report.policies.push_back(std::move(**results[i]));
  }
  return report;
}

}  // namespace apsis::sim
