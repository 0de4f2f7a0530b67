// The migration check skips jobs whose every move provably costs more than staying, and stops its
// search at the cost that would pay (EngineConfig::migration_shortcuts). Neither may change a
// decision: two engines, one with the shortcuts and one searching every running job in full, go
// through the same random fleets, job events and price swings and must emit byte-identical
// actions and reservations at every step.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "random_world.h"
#include "scheduler/core/plan_format.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {
namespace {

using testing::MakeRandomWorld;
using testing::RandomWorld;
using testing::WorldRandom;

struct Counts {
  int plans = 0;
  int migrations = 0;  // StopJobs that move a running job
  int running_checked = 0;
};

std::unique_ptr<Engine> Load(const RandomWorld& w, EngineConfig config) {
  auto engine = Engine::Create(config).value();
  for (size_t i = 0; i < w.nodes.size(); ++i) {
    EXPECT_TRUE(engine->AddNode(w.nodes[i]).ok());
    EXPECT_TRUE(engine->UpdateForecast(w.nodes[i].id, w.forecasts[i]).ok());
    EXPECT_TRUE(engine->SetNodeState(w.nodes[i].id, w.states[i]).ok());
  }
  for (const JobSpec& j : w.jobs) EXPECT_TRUE(engine->Submit(j).ok());
  return engine;
}

// Runs one world through both engines; false when they disagree (with a failure recorded).
bool RunWorld(uint64_t seed, const std::string& policy, int max_scored, Counts* counts) {
  const RandomWorld w = MakeRandomWorld(seed);
  EngineConfig config;
  config.policy = policy;
  config.max_scored_nodes = max_scored;
  config.migration_shortcuts = true;
  auto fast = Load(w, config);
  config.migration_shortcuts = false;
  auto full = Load(w, config);
  WorldRandom r(seed * 31 + 7);
  std::vector<NodeForecast> forecasts = w.forecasts;
  TimePoint now = w.now;
  for (int round = 0; round < 8; ++round) {
    const Result<PlanResult> a = fast->Plan(now);
    const Result<PlanResult> b = full->Plan(now);
    if (!a.ok() || !b.ok()) {
      ADD_FAILURE() << "plan failed";
      return false;
    }
    ++counts->plans;
    const std::string got =
        SerializeActions(a->actions) + SerializeReservations(fast->Reservations());
    const std::string want =
        SerializeActions(b->actions) + SerializeReservations(full->Reservations());
    EXPECT_EQ(got, want) << "seed " << seed << " policy " << policy << " max_scored " << max_scored
                         << " round " << round;
    if (got != want) return false;
    for (const Action& act : a->actions) {
      if (const auto* s = std::get_if<StopJob>(&act)) {
        counts->migrations += s->reason.rfind("migrating to", 0) == 0;
      }
    }
    // Placed work that is due starts; some of it finishes.
    const TimePoint next = now + Minutes(r.Int(10, 50));
    for (const Reservation& res : fast->Reservations()) {
      if (res.stopping || res.running || res.start > next) continue;
      const JobEvent started{res.job_id, JobEventType::kStarted, res.start, 0};
      EXPECT_TRUE(fast->OnJobEvent(started).ok());
      EXPECT_TRUE(full->OnJobEvent(started).ok());
      if (r.Chance(0.1)) {
        const JobEvent done{res.job_id, JobEventType::kFinished, next, 0};
        EXPECT_TRUE(fast->OnJobEvent(done).ok());
        EXPECT_TRUE(full->OnJobEvent(done).ok());
      }
    }
    for (const Reservation& res : fast->Reservations()) counts->running_checked += res.running;
    // Prices swing (both ways, sometimes negative) and solar input dims on some nodes from a
    // random step on: some running jobs are worth moving, most are not.
    for (size_t i = 0; i < forecasts.size(); ++i) {
      if (!r.Chance(0.6)) continue;
      NodeForecast& f = forecasts[i];
      const int from = r.Int(0, f.steps() - 1);
      // Mostly small swings, so that many moves land close to paying off.
      const double u = r.Uniform(0, 1);
      const double factor = u < 0.6   ? r.Uniform(0.8, 2.0)
                            : u < 0.8 ? r.Uniform(0.05, 0.8)
                                      : r.Uniform(2.0, 12.0);
      for (int k = from; k < f.steps(); ++k) {
        if (!f.price_usd_per_kwh.empty()) {
          f.price_usd_per_kwh[k] = float(f.price_usd_per_kwh[k] * factor);
          if (r.Chance(0.02)) f.price_usd_per_kwh[k] = -0.02f;
        }
        if (!f.solar_input_w.empty()) f.solar_input_w[k] *= float(std::min(1.0, factor));
      }
      EXPECT_TRUE(fast->UpdateForecast(w.nodes[i].id, f).ok());
      EXPECT_TRUE(full->UpdateForecast(w.nodes[i].id, f).ok());
    }
    now = next;
  }
  return true;
}

TEST(MigrationEquivalenceTest, ShortcutsGiveTheFullRecheckActionsOnRandomFleets) {
  for (const std::string& policy : PlacementPolicyNames()) {
    for (const int max_scored : {0, 2}) {
      Counts counts;
      for (uint64_t seed = 0; seed < 200; ++seed) {
        if (!RunWorld(seed, policy, max_scored, &counts)) return;
      }
      // Meaningful only if running jobs were checked and some of them did move.
      EXPECT_GT(counts.running_checked, 500) << policy;
      EXPECT_GT(counts.migrations, 5) << policy << " max_scored " << max_scored;
    }
  }
}

}  // namespace
}  // namespace apsis::core
