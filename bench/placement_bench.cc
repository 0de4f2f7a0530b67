// Placement benchmark for scheduler/core.
//
// Generated fleets: 10 % ground sites (hourly price curves, power caps) and 90 % orbital nodes
// (95-minute orbits with 35-minute eclipses at random phases, battery, radiator, a ground-station
// pass every one or two orbits), 48 h horizon at 60 s steps (2,880 steps).
// Each runs exact (max_scored:0, every node scored) and with bounded scoring (max_scored:256).
//   BM_SingleJobPlacement/N: Submit + Plan(now) latency of one job with 1,000 jobs already
//     reserved; p50/p99 reported as counters (µs). Each measured job is cancelled afterwards (not
//     timed) so the fleet stays at 1,000 reservations.
//   BM_BurstThroughput/N: one Plan(now) placing a burst of 10,000 submitted jobs; jobs/s.
//   Memory: bytes per node (ledger + forecast) and per reservation, as counters.
// Run: build-core/bench/placement_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "scheduler/core/engine.h"

namespace apsis::core {
namespace {

constexpr int kSteps = 48 * 60;
const TimePoint kStart = TimePoint::FromSeconds(1796083200);  // 2026-12-01T00:00:00Z

class BenchRandom {
 public:
  explicit BenchRandom(uint64_t seed) : rng_(seed) {}
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * double(rng_() >> 11) * (1.0 / 9007199254740992.0);
  }
  int Int(int lo, int hi) { return lo + int(rng_() % uint64_t(hi - lo + 1)); }
  bool Chance(double p) { return Uniform(0, 1) < p; }

 private:
  std::mt19937_64 rng_;
};

const std::vector<std::string> kRegions = {"us-west", "us-east", "eu-west", "ap-south"};

void AddGround(Engine& engine, const std::string& id, BenchRandom& r) {
  NodeSpec s;
  s.id = id;
  s.kind = NodeKind::kGround;
  s.gpu_count = r.Chance(0.5) ? 64 : 128;
  s.gpu_type = "H100";
  s.gpu_watts = 700;
  s.pue = r.Uniform(1.1, 1.4);
  s.region = kRegions[r.Int(0, 3)];
  NodeForecast f;
  f.start = kStart;
  f.step = Seconds(60);
  f.power_available_w.assign(kSteps, float(s.gpu_count * 700 * s.pue * r.Uniform(0.6, 1.0)));
  std::vector<double> hourly(24);
  for (int h = 0; h < 24; ++h) hourly[h] = r.Uniform(0.03, 0.12) + (h >= 8 && h < 20 ? 0.1 : 0);
  f.price_usd_per_kwh.resize(kSteps);
  f.carbon_g_per_kwh.assign(kSteps, 250.0f);
  for (int i = 0; i < kSteps; ++i) f.price_usd_per_kwh[i] = float(hourly[(i / 60) % 24]);
  for (const std::string& region : kRegions) {
    f.latency_ms[region] = region == s.region ? r.Uniform(5, 20) : r.Uniform(60, 180);
  }
  (void)engine.AddNode(s);
  (void)engine.UpdateForecast(id, std::move(f));
}

void AddOrbital(Engine& engine, const std::string& id, BenchRandom& r) {
  NodeSpec s;
  s.id = id;
  s.kind = NodeKind::kOrbital;
  s.gpu_count = 8;
  s.gpu_type = "H100";
  s.gpu_watts = 700;
  s.bus_load_w = 500;
  s.relay = r.Chance(0.2);
  s.stations = {"svalbard", "awarua", "fairbanks"};
  NodeForecast f;
  f.start = kStart;
  f.step = Seconds(60);
  const int phase = r.Int(0, 94);
  f.power_available_w.assign(kSteps, 7000.0f);
  f.radiator_limit_w.assign(kSteps, 8000.0f);
  f.solar_input_w.resize(kSteps);
  f.sunlit_fraction.resize(kSteps);
  for (int i = 0; i < kSteps; ++i) {
    const bool eclipse = (i + phase) % 95 >= 60;
    f.solar_input_w[i] = eclipse ? 0.0f : 11000.0f;
    f.sunlit_fraction[i] = eclipse ? 0.0f : 1.0f;
  }
  f.battery.capacity_wh = r.Uniform(5000, 9000);
  f.battery.initial_soc_wh = f.battery.capacity_wh * r.Uniform(0.6, 1.0);
  f.battery.floor_fraction = 0.2;
  f.battery.charge_efficiency = 0.95;
  f.battery.discharge_efficiency = 0.95;
  f.battery.max_charge_w = 6000;
  const int every = r.Chance(0.5) ? 95 : 190;
  for (int w = r.Int(0, every - 1); w + 10 < kSteps; w += every) {
    ContactWindow cw;
    cw.station = s.stations[(w / every) % 3];
    cw.aos = kStart + Minutes(w);
    cw.los = cw.aos + Minutes(r.Int(5, 10));
    cw.max_elevation_at = cw.aos + Minutes(3);
    cw.max_elevation_deg = 40;
    cw.min_range_km = 1000;
    cw.uplink_bps = 200e6;
    cw.downlink_bps = 600e6;
    f.windows.push_back(cw);
  }
  for (const std::string& region : kRegions) f.latency_ms[region] = r.Uniform(30, 60);
  (void)engine.AddNode(s);
  (void)engine.UpdateForecast(id, std::move(f));
}

// max_scored_nodes = 0: exact search over every node; N > 0: bounded scoring (see EngineConfig).
std::unique_ptr<Engine> MakeFleet(int nodes, uint64_t seed, int max_scored_nodes) {
  EngineConfig config;
  config.max_scored_nodes = max_scored_nodes;
  auto engine = Engine::Create(config).value();
  BenchRandom r(seed);
  const int ground = std::max(1, nodes / 10);
  for (int i = 0; i < nodes; ++i) {
    char id[32];
    if (i < ground) {
      std::snprintf(id, sizeof(id), "dc-%05d", i);
      AddGround(*engine, id, r);
    } else {
      std::snprintf(id, sizeof(id), "sat-%05d", i);
      AddOrbital(*engine, id, r);
    }
  }
  return engine;
}

JobSpec MakeJob(const std::string& id, BenchRandom& r, TimePoint now) {
  JobSpec j;
  j.id = id;
  j.gpu_type = "H100";
  j.priority = r.Int(0, 3);
  j.submitted_at = now;
  if (r.Chance(0.8)) {
    j.kind = JobKind::kTraining;
    j.gpus = r.Int(1, 8);
    j.watts_per_gpu = r.Uniform(300, 600);
    j.training.gpu_hours = j.gpus * r.Uniform(0.5, 6);
    j.training.checkpoint_gb = r.Uniform(5, 50);
    j.training.preemptible = r.Chance(0.5);
    if (r.Chance(0.3)) {
      j.training.deferrable = true;
      j.training.deadline = now + Hours(r.Uniform(12, 40));
    }
    j.input_gb = r.Chance(0.5) ? r.Uniform(1, 20) : 0;
    j.output_gb = r.Chance(0.5) ? r.Uniform(1, 10) : 0;
  } else {
    j.kind = JobKind::kInference;
    j.gpus = r.Int(1, 4);
    j.watts_per_gpu = r.Uniform(250, 500);
    j.region = kRegions[r.Int(0, 3)];
    j.inference.serve_start = now + Minutes(r.Int(0, 240));
    j.inference.serve_end = j.inference.serve_start + Hours(r.Uniform(1, 12));
    j.inference.latency_slo_ms = r.Uniform(40, 100);
    j.input_gb = r.Uniform(0, 5);
  }
  return j;
}

struct PreparedFleet {
  std::unique_ptr<Engine> engine;
  int placed = 0;
};

PreparedFleet& FleetWithReservations(int nodes, int max_scored_nodes) {
  static std::map<std::pair<int, int>, PreparedFleet> cache;
  auto it = cache.find({nodes, max_scored_nodes});
  if (it != cache.end()) return it->second;
  PreparedFleet f;
  f.engine = MakeFleet(nodes, 42, max_scored_nodes);
  BenchRandom r(7);
  // Exactly 1,000 reserved jobs and an empty queue: jobs that do not fit are withdrawn.
  for (int k = 0; f.placed < 1000; ++k) {
    const std::string id = "pre-" + std::to_string(k);
    (void)f.engine->Submit(MakeJob(id, r, kStart));
    PlanResult p = f.engine->Plan(kStart).value();
    if (!p.outcomes.empty() && p.outcomes[0].kind == OutcomeKind::kPlaced) {
      ++f.placed;
    } else if (f.engine->GetJobState(id).value() == JobState::kPending) {
      (void)f.engine->Cancel(id);
    }
  }
  (void)f.engine->Plan(kStart);
  return cache.emplace(std::make_pair(nodes, max_scored_nodes), std::move(f)).first->second;
}

// CPU time of this thread: unlike wall time it excludes the time the OS gives other processes
// (the benchmark machine is shared), so both are reported.
double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

void BM_SingleJobPlacement(benchmark::State& state) {
  const int nodes = int(state.range(0));
  PreparedFleet& fleet = FleetWithReservations(nodes, int(state.range(1)));
  Engine& engine = *fleet.engine;
  BenchRandom r(1234);
  std::vector<double> micros, cpu_micros;
  static int k = 0;  // probe ids stay unique across repetitions (the fleet is reused)
  for (auto _ : state) {
    const std::string id = "probe-" + std::to_string(k++);
    const JobSpec job = MakeJob(id, r, kStart);
    const double c0 = ThreadCpuMicros();
    const auto t0 = std::chrono::steady_clock::now();
    (void)engine.Submit(job);
    Result<PlanResult> p = engine.Plan(kStart);
    const auto t1 = std::chrono::steady_clock::now();
    cpu_micros.push_back(ThreadCpuMicros() - c0);
    benchmark::DoNotOptimize(p);
    const double us = std::chrono::duration<double, std::micro>(t1 - t0).count();
    micros.push_back(us);
    state.SetIterationTime(us * 1e-6);
    state.PauseTiming();
    (void)engine.Cancel(id);  // keep the fleet at its 1,000 pre-placed reservations
    state.ResumeTiming();
  }
  state.counters["p50_us"] = Percentile(micros, 0.50);
  state.counters["p99_us"] = Percentile(micros, 0.99);
  state.counters["cpu_p50_us"] = Percentile(cpu_micros, 0.50);
  state.counters["cpu_p99_us"] = Percentile(cpu_micros, 0.99);
  state.counters["preplaced"] = fleet.placed;
  state.counters["bytes_per_node"] = double(engine.LedgerMemoryBytes()) / nodes;
  const size_t reservations = engine.Reservations().size();
  state.counters["bytes_per_reservation"] =
      reservations ? double(engine.ReservationMemoryBytes()) / double(reservations) : 0;
}
BENCHMARK(BM_SingleJobPlacement)
    ->ArgNames({"nodes", "max_scored"})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({5000, 0})
    ->Args({1000, 256})
    ->Args({5000, 256})
    ->Iterations(1000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_BurstThroughput(benchmark::State& state) {
  const int nodes = int(state.range(0));
  int placed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = MakeFleet(nodes, 42, int(state.range(1)));
    BenchRandom r(99);
    std::vector<JobSpec> jobs;
    for (int k = 0; k < 10000; ++k)
      jobs.push_back(MakeJob("burst-" + std::to_string(k), r, kStart));
    state.ResumeTiming();
    for (const JobSpec& j : jobs) (void)engine->Submit(j);
    PlanResult p = engine->Plan(kStart).value();
    state.PauseTiming();
    placed = 0;
    for (const JobOutcome& o : p.outcomes) placed += o.kind == OutcomeKind::kPlaced;
    state.counters["bytes_per_reservation"] = double(engine->ReservationMemoryBytes()) /
                                              std::max<size_t>(1, engine->Reservations().size());
    engine.reset();
    state.ResumeTiming();
  }
  state.counters["jobs_per_s"] =
      benchmark::Counter(10000.0 * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["placed"] = placed;
}
BENCHMARK(BM_BurstThroughput)
    ->ArgNames({"nodes", "max_scored"})
    ->Args({1000, 0})
    ->Args({5000, 0})
    ->Args({1000, 256})
    ->Args({5000, 256})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace apsis::core

BENCHMARK_MAIN();
