// sim_bench: a simulated week of a large fleet and workload through apsis-sim's engine loop.
//
// The fleet is generated from the demo fleet (configs/sim/fleet.yaml): ground sites cloned from its
// three sites (same price profiles and PUEs), orbital nodes cloned from its shell and
// sun-synchronous nodes with their planes and phases spread out; the six demo stations. The
// workload is generated from a fixed seed: 60 % training (1–8 GPUs, 0.5–8 h, half deferrable) and
// 40 % inference (1–2 GPUs, 1–6 h, three user regions), submitted uniformly over the horizon.
// Prints the wall time of building the node models and of each simulation run, and the median.
//
//   build/bench/sim_bench                      # 1,000 nodes, 100,000 jobs, 7 days, cost policy
//   build/bench/sim_bench --ground 900 --orbital 100 --jobs 100000 --repeats 3
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "sim/simulation.h"

namespace apsis::sim {
namespace {

// xorshift64*: tiny, portable, deterministic.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  double Uniform() { return double(Next() >> 11) * (1.0 / 9007199254740992.0); }
  int Int(int lo, int hi) { return lo + int(Next() % uint64_t(hi - lo + 1)); }
};

Fleet MakeFleet(const Fleet& demo, int ground, int orbital) {
  Fleet f = demo;
  f.ground.clear();
  f.orbital.clear();
  for (int i = 0; i < ground; ++i) {
    GroundSite g = demo.ground[i % demo.ground.size()];
    g.id += "-" + std::to_string(i);
    f.ground.push_back(std::move(g));
  }
  for (int i = 0; i < orbital; ++i) {
    // One node in four is a relay-connected sun-synchronous one; the rest are shell nodes.
    OrbitalNode o = demo.orbital[i % 4 == 0 ? 0 : 2];
    o.id = (i % 4 == 0 ? "sso-" : "shell-") + std::to_string(i);
    o.raan_deg = double((i * 37) % 360);
    o.mean_anomaly_deg = double((i * 83) % 360);
    if (i % 4 == 0) o.raan_deg = 0;  // stays dawn-dusk
    f.orbital.push_back(std::move(o));
  }
  return f;
}

Workload MakeWorkload(TimePoint epoch, Duration horizon, int jobs, uint64_t seed) {
  Rng rng{seed * 0x9e3779b97f4a7c15ull + 1};
  const char* regions[] = {"us-west", "us-east", "eu-west"};
  Workload w;
  w.jobs.reserve(jobs);
  for (int i = 0; i < jobs; ++i) {
    core::JobSpec j;
    char id[32];
    std::snprintf(id, sizeof id, "job-%06d", i);
    j.id = id;
    j.submitted_at = epoch + Duration(int64_t(rng.Uniform() * double(horizon.count())));
    j.earliest_start = j.submitted_at;
    j.watts_per_gpu = 700;
    if (rng.Uniform() < 0.6) {
      j.kind = core::JobKind::kTraining;
      j.gpus = 1 << rng.Int(0, 3);
      j.training.gpu_hours = j.gpus * (0.5 + 7.5 * rng.Uniform());
      j.training.deferrable = rng.Uniform() < 0.5;
      j.training.preemptible = true;
      j.training.checkpoint_gb = 2;
      j.input_gb = 0.05;
      j.output_gb = 0.5;
    } else {
      j.kind = core::JobKind::kInference;
      j.gpus = rng.Int(1, 2);
      j.region = regions[rng.Int(0, 2)];
      j.inference.serve_start = j.submitted_at;
      j.inference.serve_end = j.submitted_at + Seconds(3600 * (1 + 5 * rng.Uniform()));
      j.inference.latency_slo_ms = 100;
      j.priority = 2;
    }
    w.jobs.push_back(std::move(j));
  }
  std::sort(w.jobs.begin(), w.jobs.end(), [](const core::JobSpec& a, const core::JobSpec& b) {
    return a.submitted_at != b.submitted_at ? a.submitted_at < b.submitted_at : a.id < b.id;
  });
  return w;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int Main(int argc, char** argv) {
  CLI::App app("sim_bench: a simulated week of a large fleet");
  int ground = 900, orbital = 100, jobs = 100'000, repeats = 3, max_scored = 0;
  double days = 7;
  uint64_t seed = 1;
  std::string policy = "cost", interval = "30m";
  std::string fleet_path = std::string(APSIS_SOURCE_DIR) + "/configs/sim/fleet.yaml";
  app.add_option("--ground", ground);
  app.add_option("--orbital", orbital);
  app.add_option("--jobs", jobs);
  app.add_option("--days", days);
  app.add_option("--repeats", repeats);
  app.add_option("--seed", seed);
  app.add_option("--policy", policy);
  app.add_option("--max-scored-nodes", max_scored);
  app.add_option("--forecast-interval", interval);
  bool no_migration = false;
  app.add_flag("--no-migration", no_migration,
               "engine: do not consider migrating running training");
  app.add_option("--fleet", fleet_path, "template fleet");
  CLI11_PARSE(app, argc, argv);
  Result<Fleet> demo = LoadFleet(fleet_path);
  if (!demo.ok()) {
    std::cerr << demo.status().ToString() << "\n";
    return 2;
  }
  Fleet fleet = MakeFleet(*demo, ground, orbital);
  Result<Duration> iv = ParseDuration(interval);
  if (!iv.ok()) {
    std::cerr << iv.status().ToString() << "\n";
    return 2;
  }
  fleet.forecast_interval = *iv;
  const Duration horizon = apsis::Seconds(days * 86400);
  const Workload workload = MakeWorkload(fleet.epoch, horizon, jobs, seed);
  auto t0 = std::chrono::steady_clock::now();
  auto model = FleetModel::Build(fleet, horizon + fleet.forecast_horizon + fleet.forecast_step);
  if (!model.ok()) {
    std::cerr << model.status().ToString() << "\n";
    return 2;
  }
  const double build_s = Seconds(std::chrono::steady_clock::now() - t0);
  std::printf(
      "fleet: %d ground + %d orbital nodes (%d GPUs), %d jobs, %.1f days, policy %s, forecasts "
      "every %s, max scored nodes %d, migration %s\n",
      ground, orbital, fleet.total_gpus(), jobs, days, policy.c_str(), interval.c_str(), max_scored,
      no_migration ? "off" : "on");
  std::printf("node models (power, eclipses, contact windows): %.2f s wall\n", build_s);
  SimOptions options;
  options.policies = {policy};
  options.horizon = horizon;
  options.engine.max_scored_nodes = max_scored;
  options.engine.enable_migration = !no_migration;
  std::vector<double> runs;
  for (int r = 0; r < repeats; ++r) {
    auto s0 = std::chrono::steady_clock::now();
    Result<PolicyResult> result = SimulatePolicy(**model, workload, options, policy);
    const double s = Seconds(std::chrono::steady_clock::now() - s0);
    if (!result.ok()) {
      std::cerr << result.status().ToString() << "\n";
      return 2;
    }
    runs.push_back(s);
    std::printf(
        "run %d: %.2f s wall; %lld done, %lld started, %lld rejected, %lld plan calls, SLO %.3f, "
        "util ground %.3f orbit %.3f, $%.0f\n",
        r + 1, s, (long long)result->jobs_done, (long long)result->jobs_started,
        (long long)result->jobs_rejected, (long long)result->plan_calls, result->slo_attainment,
        result->gpu_utilisation_ground, result->gpu_utilisation_orbit, result->energy_cost_usd);
    std::fflush(stdout);
  }
  std::sort(runs.begin(), runs.end());
  std::printf("median simulation: %.2f s wall; with node models: %.2f s\n", runs[runs.size() / 2],
              runs[runs.size() / 2] + build_s);
  return 0;
}

}  // namespace
}  // namespace apsis::sim

int main(int argc, char** argv) { return apsis::sim::Main(argc, argv); }
