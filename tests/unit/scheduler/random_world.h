// Seeded random fleets and workloads for the property tests. Same seed ⇒ same world.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fleet_fixtures.h"
#include "scheduler/core/engine.h"

namespace apsis::core::testing {

struct RandomWorld {
  TimePoint now;
  int steps = 0;
  std::vector<NodeSpec> nodes;
  std::vector<NodeForecast> forecasts;
  std::vector<NodeState> states;
  std::vector<JobSpec> jobs;
};

class WorldRandom {
 public:
  explicit WorldRandom(uint64_t seed) : rng_(seed) {}
  // Own mapping from raw 64-bit draws so worlds do not depend on the standard library's
  // distribution implementations.
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * double(rng_() >> 11) * (1.0 / 9007199254740992.0);
  }
  int Int(int lo, int hi) { return lo + int(rng_() % uint64_t(hi - lo + 1)); }
  bool Chance(double p) { return Uniform(0, 1) < p; }

 private:
  std::mt19937_64 rng_;
};

inline RandomWorld MakeRandomWorld(uint64_t seed) {
  WorldRandom r(seed);
  RandomWorld w;
  w.steps = r.Int(6, 24) * 60;
  w.now = T0() + Minutes(r.Int(0, 30));
  const std::vector<std::string> regions = {"us-west", "eu-west", "ap-south"};
  const int n_nodes = r.Int(2, 7);
  for (int i = 0; i < n_nodes; ++i) {
    const bool orbital = r.Chance(0.5);
    const std::string id = (orbital ? "sat-" : "dc-") + std::to_string(i);
    NodeSpec spec = orbital ? OrbitalSpec(id, r.Chance(0.5) ? 8 : 4, r.Chance(0.2))
                            : GroundSpec(id, r.Chance(0.5) ? 8 : 16, r.Uniform(1.05, 1.5));
    if (r.Chance(0.15)) spec.gpu_type = "A100";
    NodeForecast f;
    if (orbital) {
      OrbitShape o;
      o.phase = r.Int(0, 94);
      o.capacity_wh = r.Uniform(2500, 9000);
      o.initial_soc_wh = o.capacity_wh * r.Uniform(0.3, 1.0);
      o.solar_w = r.Uniform(6000, 14000);
      o.radiator_w = r.Uniform(4000, 10000);
      o.power_limit_w = r.Uniform(3000, 9000);
      o.window_every_steps = r.Int(60, 200);
      o.window_minutes = r.Int(4, 12);
      o.uplink_bps = r.Uniform(50e6, 400e6);
      o.downlink_bps = r.Uniform(100e6, 800e6);
      f = OrbitalForecast(T0(), w.steps, o);
      f.battery.max_discharge_w = r.Chance(0.3) ? r.Uniform(4000, 9000) : 0;
    } else {
      std::vector<double> prices(24);
      for (double& p : prices) p = r.Uniform(-0.01, 0.4);
      f = GroundForecast(
          T0(), w.steps, r.Uniform(3000, 40000), prices,
          {{regions[r.Int(0, 2)], r.Uniform(5, 90)}, {regions[r.Int(0, 2)], r.Uniform(5, 90)}});
      // A power dip somewhere in the horizon.
      const int dip = r.Int(0, w.steps - 1);
      for (int i = dip; i < std::min(w.steps, dip + r.Int(10, 200)); ++i) {
        f.power_available_w[i] *= float(r.Uniform(0.1, 0.9));
      }
    }
    w.nodes.push_back(spec);
    w.forecasts.push_back(std::move(f));
    const double s = r.Uniform(0, 1);
    w.states.push_back(s < 0.1    ? NodeState::kCordoned
                       : s < 0.15 ? NodeState::kDraining
                                  : NodeState::kReady);
  }
  const int n_jobs = r.Int(4, 24);
  for (int k = 0; k < n_jobs; ++k) {
    const std::string id = "job-" + std::to_string(k);
    JobSpec j;
    if (r.Chance(0.75)) {
      j = TrainingJob(id, r.Int(1, 8), r.Uniform(0.5, 40), r.Uniform(300, 700));
      if (r.Chance(0.5)) j.training.deadline = w.now + Minutes(r.Int(60, 30 * 60));
      j.training.deferrable = r.Chance(0.3);
      j.training.preemptible = r.Chance(0.4);
      j.training.checkpoint_gb = r.Uniform(1, 200);
      if (r.Chance(0.3)) j.region = regions[r.Int(0, 2)];
    } else {
      const TimePoint from = w.now + Minutes(r.Int(0, 6 * 60));
      j = InferenceJob(id, r.Int(1, 4), from, from + Minutes(r.Int(30, 8 * 60)), r.Uniform(20, 100),
                       regions[r.Int(0, 2)]);
    }
    if (r.Chance(0.1)) j.gpu_type = "A100";
    if (r.Chance(0.05)) j.gpu_type.clear();
    j.input_gb = r.Chance(0.5) ? r.Uniform(0, 40) : 0;
    j.output_gb = r.Chance(0.5) ? r.Uniform(0, 20) : 0;
    j.priority = r.Int(0, 3);
    j.submitted_at = w.now;
    w.jobs.push_back(j);
  }
  // Traffic through contact windows, drawn from a second stream so that the draws above (and
  // the worlds other tests were tuned on) stay as they were: inference request and response
  // rates, some serving periods inside a pass of a relay-less orbital node.
  WorldRandom traffic(seed ^ 0x2545f4914f6cdd1dULL);
  std::vector<const ContactWindow*> passes;
  for (size_t i = 0; i < w.nodes.size(); ++i) {
    if (w.nodes[i].kind != NodeKind::kOrbital || w.nodes[i].relay) continue;
    for (const ContactWindow& cw : w.forecasts[i].windows) {
      if (cw.aos >= w.now && cw.aos < w.now + Hours(8)) passes.push_back(&cw);
    }
  }
  for (JobSpec& j : w.jobs) {
    if (j.kind != JobKind::kInference) continue;
    if (traffic.Chance(0.7)) {
      j.inference.request_in_bps = traffic.Uniform(1e6, 300e6);
      j.inference.response_out_bps = traffic.Uniform(1e6, 600e6);
    }
    if (!passes.empty() && traffic.Chance(0.5)) {
      const ContactWindow& cw = *passes[size_t(traffic.Int(0, int(passes.size()) - 1))];
      j.inference.serve_start = cw.aos + Minutes(traffic.Int(0, 2));
      j.inference.serve_end =
          std::min(cw.los, j.inference.serve_start + Minutes(traffic.Int(1, 10)));
    }
  }
  return w;
}

inline std::unique_ptr<Engine> LoadWorld(const RandomWorld& w, const std::string& policy) {
  EngineConfig config;
  config.policy = policy;
  auto engine = Engine::Create(config).value();
  for (size_t i = 0; i < w.nodes.size(); ++i) {
    if (!engine->AddNode(w.nodes[i]).ok()) return nullptr;
    if (!engine->UpdateForecast(w.nodes[i].id, w.forecasts[i]).ok()) return nullptr;
    if (!engine->SetNodeState(w.nodes[i].id, w.states[i]).ok()) return nullptr;
  }
  for (const JobSpec& j : w.jobs) {
    if (!engine->Submit(j).ok()) return nullptr;
  }
  return engine;
}

}  // namespace apsis::core::testing
