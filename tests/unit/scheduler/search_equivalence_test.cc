// The placement search prepares nodes lazily, in the order of a cheap floor of their bound, and
// reuses scratch memory; none of that may change a decision. Every search here runs both the
// optimised SearchPlacement and the reference (reference_placement_search.h: every node prepared
// up front) on seeded random fleets whose ledgers fill up as the chosen placements are committed,
// and requires the same outcome to the last bit: node, start, cost, score and transfers, or the
// same reported rejection.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "random_world.h"
#include "reference_placement_search.h"
#include "scheduler/core/placement_search.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {
namespace {

using testing::MakeRandomWorld;
using testing::RandomWorld;
using testing::ReferenceSearchPlacement;
using testing::WorldRandom;

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string Describe(const CandidateResult& r) {
  if (!r.feasible) return std::string(ConstraintName(r.constraint)) + " " + r.reason;
  const Reservation& res = r.reservation;
  std::string s = res.node_id + " " + FormatRfc3339(res.start) + ".." + FormatRfc3339(res.end) +
                  " score " + Num(r.score) + " cost " + Num(res.cost.energy_usd) + "/" +
                  Num(res.cost.carbon_usd) + "/" + Num(res.cost.battery_wear_usd) + "/" +
                  Num(res.cost.transfer_usd) + "/" + Num(res.cost.latency_usd) + "/" +
                  Num(res.cost.delay_usd) + " work " + Num(res.work_gpu_hours);
  for (const TransferAllocation& t : res.transfers) {
    s += " [" + std::to_string(int(t.direction)) + " w" + std::to_string(t.window_index) + " " +
         Num(t.bytes) + "]";
  }
  return s;
}

std::string Describe(const SearchOutcome& o) {
  std::string s;
  if (o.best) {
    s = "best " + Describe(*o.best);
  } else {
    // Whether a rejection may go away matters only when nothing fits.
    s = "none " + std::string(ConstraintName(o.constraint)) + " " + o.reason +
        (o.transient ? " (transient)" : "");
  }
  for (const NodeVerdict& v : o.verdicts) {
    s += "\n  " + v.node_id + (v.pruned ? " pruned " : " ") + Describe(v.result);
  }
  return s;
}

// Several random worlds side by side (so fleets reach tens of nodes), with some nodes cloned
// under another id so that bounds and scores tie.
struct Fleet {
  std::vector<NodeSpec> specs;
  std::vector<std::unique_ptr<NodeLedger>> ledgers;
  std::vector<NodeState> states;
  std::vector<JobSpec> jobs;
  TimePoint now;
};

Fleet MakeFleet(uint64_t seed) {
  Fleet f;
  WorldRandom r(seed * 7919 + 17);
  const int worlds = r.Int(2, 6);
  for (int k = 0; k < worlds; ++k) {
    const RandomWorld w = MakeRandomWorld(seed * 16 + uint64_t(k));
    if (k == 0) f.now = w.now;
    for (size_t i = 0; i < w.nodes.size(); ++i) {
      const int copies = r.Chance(0.3) ? r.Int(2, 4) : 1;
      for (int c = 0; c < copies; ++c) {
        NodeSpec spec = w.nodes[i];
        spec.id = "w" + std::to_string(k) + "-" + spec.id + (c ? "-c" + std::to_string(c) : "");
        f.specs.push_back(spec);
        f.ledgers.push_back(r.Chance(0.05) ? nullptr
                                           : std::make_unique<NodeLedger>(spec, w.forecasts[i]));
        f.states.push_back(w.states[i]);
      }
    }
    for (JobSpec j : w.jobs) {
      j.id = "w" + std::to_string(k) + "-" + j.id;
      f.jobs.push_back(j);
    }
  }
  return f;
}

void RunFleet(uint64_t seed, const std::string& policy_name, int* searches, int* placed) {
  Fleet f = MakeFleet(seed);
  auto policy = MakePlacementPolicy(policy_name).value();
  std::vector<SearchNode> nodes;
  for (size_t i = 0; i < f.specs.size(); ++i) {
    nodes.push_back(MakeSearchNode(f.specs[i], f.ledgers[i].get(), f.states[i]));
  }
  WorldRandom r(seed ^ 0x51ed270b27a3c5d1ULL);
  // Checkpoints left on an orbital node, drawn apart so that the draws of `r` stay as they were.
  WorldRandom ck(seed ^ 0x6a09e667f3bcc909ULL);
  for (const JobSpec& job : f.jobs) {
    PlacementRequest req;
    req.job = &job;
    req.now = f.now;
    req.earliest = std::max(f.now, job.earliest_start) + Minutes(r.Chance(0.2) ? r.Int(1, 90) : 0);
    req.work_gpu_hours =
        job.kind == JobKind::kTraining ? job.training.gpu_hours * r.Uniform(0.3, 1.0) : 0.0;
    if (r.Chance(0.2)) {
      req.input_node_id = f.specs[size_t(r.Int(0, int(f.specs.size()) - 1))].id;
      req.resume_stage_gb = job.training.checkpoint_gb;
      if (job.kind == JobKind::kTraining && ck.Chance(0.5)) {
        // On the ground after the pass that carries it, or never within the horizon.
        req.checkpoint_in_orbit = true;
        if (ck.Chance(0.8)) req.checkpoint_on_ground = f.now + Minutes(ck.Int(0, 12 * 60));
        req.checkpoint_horizon = f.now + Hours(24);
      }
    }
    EngineConfig config;
    config.max_scored_nodes = r.Chance(0.3) ? r.Int(1, 6) : 0;
    if (r.Chance(0.3)) config.start_search_step = Minutes(r.Int(1, 120));
    if (r.Chance(0.3)) config.weights.orbital_energy_usd_per_kwh = r.Uniform(0, 0.2);
    if (r.Chance(0.3)) config.weights.carbon_usd_per_kg = r.Uniform(0, 0.2);
    if (r.Chance(0.3)) config.weights.space_transfer_usd_per_gb = r.Uniform(0, 0.02);
    const bool explain = r.Chance(0.1);
    const SearchOutcome got = SearchPlacement(nodes, req, config, *policy, explain);
    const SearchOutcome want = ReferenceSearchPlacement(nodes, req, config, *policy, explain);
    ++*searches;
    ASSERT_EQ(Describe(got), Describe(want))
        << "seed " << seed << " policy " << policy_name << " job " << job.id;
    if (got.best && !explain) {
      for (size_t i = 0; i < f.specs.size(); ++i) {
        if (f.specs[i].id == got.best->reservation.node_id) {
          f.ledgers[i]->Commit(got.best->reservation);
        }
      }
      ++*placed;
    }
  }
}

TEST(SearchEquivalenceTest, LazySearchMatchesReferenceOnRandomFleets) {
  for (const std::string& policy : PlacementPolicyNames()) {
    int searches = 0, placed = 0;
    for (uint64_t seed = 0; seed < 150; ++seed) {
      RunFleet(seed, policy, &searches, &placed);
      if (::testing::Test::HasFatalFailure()) return;
    }
    // The comparison is only meaningful if the fleets take work and also turn some away.
    EXPECT_GT(placed, searches / 4) << policy;
    EXPECT_LT(placed, searches) << policy;
  }
}

// Orbital floors put nodes whose contact windows cannot carry a job last; a relay-less node whose
// overlapping and touching windows cover a serving period must still win when it is cheapest.
TEST(SearchEquivalenceTest, FloorsKeepServingAcrossChainedContactWindows) {
  using testing::GroundForecast;
  using testing::GroundSpec;
  using testing::InferenceJob;
  using testing::OrbitalForecast;
  using testing::OrbitalSpec;
  using testing::T0;
  const NodeSpec dc = GroundSpec("dc");
  const NodeSpec sat = OrbitalSpec("sat", 8, /*relay=*/false);
  NodeLedger dc_ledger(dc, GroundForecast(T0(), 600, 50000, {1.0}));
  testing::OrbitShape shape;
  shape.eclipse_steps = 0;
  NodeForecast f = OrbitalForecast(T0(), 600, shape);
  f.windows.resize(1);
  auto window = [&](const char* station, int from_min, int to_min) {
    ContactWindow w = f.windows[0];
    w.station = station;
    w.aos = T0() + Minutes(from_min);
    w.los = T0() + Minutes(to_min);
    w.max_elevation_at = w.aos;
    return w;
  };
  f.windows = {window("svalbard", 30, 50), window("awarua", 45, 70), window("svalbard", 70, 90),
               window("awarua", 200, 210)};
  NodeLedger sat_ledger(sat, f);
  EXPECT_EQ(sat_ledger.forecast_bounds().longest_contact, Minutes(60));
  EXPECT_EQ(sat_ledger.forecast_bounds().earliest_los, T0() + Minutes(50));
  const std::vector<SearchNode> nodes = {MakeSearchNode(dc, &dc_ledger, NodeState::kReady),
                                         MakeSearchNode(sat, &sat_ledger, NodeState::kReady)};
  auto policy = MakePlacementPolicy("cost").value();
  const EngineConfig config;
  auto search = [&](const JobSpec& job) {
    PlacementRequest req;
    req.job = &job;
    req.now = T0();
    req.earliest = T0();
    req.work_gpu_hours = job.kind == JobKind::kTraining ? job.training.gpu_hours : 0.0;
    const SearchOutcome got = SearchPlacement(nodes, req, config, *policy, false);
    EXPECT_EQ(Describe(got),
              Describe(ReferenceSearchPlacement(nodes, req, config, *policy, false)));
    return got.best ? got.best->reservation.node_id : "none";
  };
  // Serving 35..85 min is covered only by the three chained windows.
  EXPECT_EQ(
      search(InferenceJob("serve", 2, T0() + Minutes(35), T0() + Minutes(85), 100, "us-west")),
      "sat");
  // Longer than any chain: only the ground can serve it.
  EXPECT_EQ(search(InferenceJob("long", 2, T0() + Minutes(35), T0() + Minutes(95), 100, "us-west")),
            "dc");
  // Training with input to stage: it cannot start before a window closes, yet orbit still wins.
  JobSpec train = testing::TrainingJob("train", 4, 8);
  train.input_gb = 5;
  EXPECT_EQ(search(train), "sat");
}

TEST(SearchEquivalenceTest, ForecastBoundsNeverExceedTheLedgersCounts) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Fleet f = MakeFleet(seed);
    for (const auto& l : f.ledgers) {
      if (!l || !l->orbital()) continue;
      const NodeLedger::ForecastBounds& b = l->forecast_bounds();
      for (int len : {1, 2, 3, 31, 95, 100, 257, 1000}) {
        for (int s = 0; s + len <= l->steps(); s += 7) {
          ASSERT_LE(NodeLedger::MinBoundSteps(b, len), l->BatteryBoundSteps(s, s + len))
              << l->spec().id << " len " << len << " at " << s;
        }
      }
    }
  }
}

}  // namespace
}  // namespace apsis::core
