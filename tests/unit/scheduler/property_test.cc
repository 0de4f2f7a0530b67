// Property tests over thousands of seeded random fleets and workloads, for every policy:
// the independent checker finds no violation in any plan, and planning is deterministic.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "random_world.h"
#include "scheduler/core/plan_checker.h"
#include "scheduler/core/plan_format.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {
namespace {

using testing::LoadWorld;
using testing::MakeRandomWorld;
using testing::RandomWorld;
using testing::T0;
using testing::WorldRandom;

constexpr int kSeeds = 2500;

// How often the plans exercised contact-window traffic beyond staging (guards against
// generators that never reach it).
struct WindowUse {
  int serving = 0;     // reservations carrying inference requests/responses through windows
  int checkpoint = 0;  // checkpoints coming down from orbit for a job resuming elsewhere
  // Forecasts that dropped, moved, shortened or slowed a window carrying the output downlink
  // (or the serving traffic) of a running job.
  int running_output_changed = 0;
  int running_serving_changed = 0;
};

void CountWindowUse(const std::vector<Reservation>& rs, WindowUse* use) {
  if (!use) return;
  for (const Reservation& r : rs) {
    use->serving += std::any_of(r.transfers.begin(), r.transfers.end(), [](const auto& t) {
      return t.purpose == TransferPurpose::kServing;
    });
    use->checkpoint += r.checkpoint_downlink;
  }
}

// Plans a world, then lets time pass: some placed jobs start, some finish, one is cancelled,
// more work arrives and a node's forecast degrades later in the horizon. Returns the canonical
// text of every plan; checks every plan with the independent checker.
std::string RunWorld(uint64_t seed, const std::string& policy, int* violations,
                     std::string* first_violation, WindowUse* use = nullptr) {
  const RandomWorld w = MakeRandomWorld(seed);
  auto engine = LoadWorld(w, policy);
  if (!engine) {
    ADD_FAILURE() << "world " << seed << " did not load";
    return "";
  }
  std::string trace;
  auto check = [&](TimePoint now, const char* stage) {
    for (const PlanViolation& v : CheckPlan(engine->Snapshot(now))) {
      if (++*violations == 1) {
        *first_violation =
            "seed " + std::to_string(seed) + " policy " + policy + " " + stage + ": " + ToString(v);
      }
    }
  };
  auto plan = [&](TimePoint now, const char* stage) {
    Result<PlanResult> p = engine->Plan(now);
    if (!p.ok()) {
      ADD_FAILURE() << p.status().ToString();
      return;
    }
    const std::vector<Reservation> reservations = engine->Reservations();
    trace += std::string("== ") + stage + "\n" + SerializeActions(p->actions) +
             SerializeReservations(reservations);
    CountWindowUse(reservations, use);
    check(now, stage);
  };
  plan(w.now, "initial");

  WorldRandom r(seed ^ 0x9e3779b97f4a7c15ULL);
  const TimePoint later = w.now + Minutes(30);
  bool cancelled = false;
  for (const Reservation& res : engine->Reservations()) {
    if (res.stopping) continue;
    if (res.start <= later && r.Chance(0.8)) {
      EXPECT_TRUE(engine->OnJobEvent({res.job_id, JobEventType::kStarted, res.start, 0}).ok());
      if (r.Chance(0.2)) {
        EXPECT_TRUE(engine->OnJobEvent({res.job_id, JobEventType::kFinished, later, 0}).ok());
      }
    } else if (!cancelled && r.Chance(0.3)) {
      EXPECT_TRUE(engine->Cancel(res.job_id).ok());
      cancelled = true;
    }
  }
  const RandomWorld more = MakeRandomWorld(seed + 1000003);
  for (JobSpec j : more.jobs) {
    j.id = "late-" + j.id;
    j.submitted_at = later;
    if (j.kind == JobKind::kInference) {
      j.inference.serve_start += later - more.now;
      j.inference.serve_end += later - more.now;
    } else if (j.training.deadline) {
      *j.training.deadline += later - more.now;
    }
    EXPECT_TRUE(engine->Submit(j).ok());
  }
  plan(later, "after-events");

  // A forecast degrades from two hours ahead on: running work must stop in time.
  const size_t victim = size_t(r.Int(0, int(w.nodes.size()) - 1));
  NodeForecast f = w.forecasts[victim];
  const int from = std::min(f.steps(), int((later - T0()) / Seconds(60)) + 120);
  for (int i = from; i < f.steps(); ++i) {
    f.power_available_w[i] *= 0.5f;
    if (!f.solar_input_w.empty()) f.solar_input_w[i] *= 0.6f;
  }
  EXPECT_TRUE(engine->UpdateForecast(w.nodes[victim].id, f).ok());
  plan(later + Minutes(1), "after-forecast-change");

  // An orbital node running work loses its power for a while: its training stops with a
  // checkpoint, which must come down through its windows before the job resumes elsewhere.
  // (Not a node where a job is already stopping: a tail writing its checkpoint cannot stop
  // earlier.)
  std::vector<NodeForecast> forecasts = w.forecasts;
  forecasts[victim] = f;
  const std::vector<Reservation> before_cut = engine->Reservations();
  for (const Reservation& res : before_cut) {
    const size_t i = size_t(std::find_if(w.nodes.begin(), w.nodes.end(),
                                         [&](const NodeSpec& n) { return n.id == res.node_id; }) -
                            w.nodes.begin());
    if (!res.running || res.stopping || w.nodes[i].kind != NodeKind::kOrbital) continue;
    if (std::any_of(before_cut.begin(), before_cut.end(),
                    [&](const Reservation& o) { return o.stopping && o.node_id == res.node_id; })) {
      continue;
    }
    NodeForecast& cut = forecasts[i];
    const int from = std::min(cut.steps(), int((later - T0()) / Seconds(60)) + r.Int(5, 90));
    const int to = std::min(cut.steps(), from + r.Int(30, 900));
    for (int k = from; k < to; ++k) cut.power_available_w[k] = 0;
    EXPECT_TRUE(engine->UpdateForecast(w.nodes[i].id, cut).ok());
    plan(later + Minutes(2), "after-orbital-power-cut");
    break;
  }

  // A window carrying a checkpoint down disappears from a new forecast. (Only a window that
  // carries nothing else; windows carrying other traffic change below.)
  const std::vector<Reservation> before_loss = engine->Reservations();
  for (const Reservation& res : before_loss) {
    if (!res.checkpoint_downlink || res.transfers.empty() || !r.Chance(0.5)) continue;
    const TransferAllocation& lost = res.transfers[0];
    if (std::any_of(before_loss.begin(), before_loss.end(), [&](const Reservation& o) {
          return o.node_id == res.node_id && !o.checkpoint_downlink &&
                 std::any_of(o.transfers.begin(), o.transfers.end(), [&](const auto& t) {
                   return t.station == lost.station && t.aos == lost.aos;
                 });
        })) {
      continue;
    }
    const size_t i = size_t(std::find_if(w.nodes.begin(), w.nodes.end(),
                                         [&](const NodeSpec& n) { return n.id == res.node_id; }) -
                            w.nodes.begin());
    std::vector<ContactWindow>& ws = forecasts[i].windows;
    std::erase_if(ws, [&](const ContactWindow& cw) {
      return cw.station == lost.station && cw.aos == lost.aos;
    });
    EXPECT_TRUE(engine->UpdateForecast(w.nodes[i].id, forecasts[i]).ok());
    plan(later + Minutes(3), "after-window-loss");
    break;
  }

  // A window carrying the output or serving traffic of placed or running work is dropped, moved,
  // shortened or slowed down in a new forecast: that traffic is re-planned. Serving placed for
  // later is started first and the change comes while it serves.
  const TimePoint much_later = later + Hours(6);
  struct Change {
    const Reservation* res;
    const TransferAllocation* hit;
    TimePoint at;
  };
  const std::vector<Reservation> before_change = engine->Reservations();
  // Serving, running output, output of work not started.
  std::vector<Change> groups[3];
  for (const Reservation& res : before_change) {
    if (res.stopping || res.checkpoint_downlink) continue;
    const bool serving = std::any_of(res.transfers.begin(), res.transfers.end(), [](auto& t) {
      return t.purpose == TransferPurpose::kServing;
    });
    const TimePoint at = serving && !res.running
                             ? std::max(later + Minutes(4), res.start + Minutes(1))
                             : later + Minutes(4);
    const auto hit = std::find_if(res.transfers.begin(), res.transfers.end(), [&](const auto& t) {
      const bool output =
          t.purpose == TransferPurpose::kStaging && t.direction == TransferDirection::kDownlink;
      return (serving ? t.purpose == TransferPurpose::kServing : output) && t.los > at;
    });
    if (hit == res.transfers.end() || at >= much_later) continue;
    groups[serving ? 0 : res.running ? 1 : 2].push_back({&res, &*hit, at});
  }
  int g = r.Chance(0.5) ? 0 : 1;
  if (groups[g].empty()) g = 1 - g;
  if (groups[g].empty()) g = 2;
  if (!groups[g].empty() && r.Chance(0.8)) {
    const Change change = groups[g][size_t(r.Int(0, int(groups[g].size()) - 1))];
    const Reservation& res = *change.res;
    const TransferAllocation* hit = change.hit;
    if (!res.running) {
      EXPECT_TRUE(engine->OnJobEvent({res.job_id, JobEventType::kStarted, res.start, 0}).ok());
    }
    const size_t i = size_t(std::find_if(w.nodes.begin(), w.nodes.end(),
                                         [&](const NodeSpec& n) { return n.id == res.node_id; }) -
                            w.nodes.begin());
    NodeForecast& f = forecasts[i];
    const auto cw = std::find_if(f.windows.begin(), f.windows.end(), [&](const auto& c) {
      return c.station == hit->station && c.aos == hit->aos;
    });
    const bool found = cw != f.windows.end();
    switch (found ? r.Int(0, 3) : -1) {
      case -1:
        break;
      case 0:
        f.windows.erase(cw);
        break;
      case 1: {
        const Duration shift = Minutes(r.Int(1, 6)) * (r.Chance(0.5) ? 1 : -1);
        if (cw->aos + shift >= f.start && cw->los + shift <= f.end()) {
          cw->aos += shift;
          cw->los += shift;
          cw->max_elevation_at += shift;
        }
        std::sort(f.windows.begin(), f.windows.end(),
                  [](const auto& a, const auto& b) { return a.aos < b.aos; });
        break;
      }
      case 2:
        cw->los = cw->aos + (cw->los - cw->aos) / 2;
        cw->max_elevation_at = std::min(cw->max_elevation_at, cw->los);
        break;
      default:
        cw->uplink_bps *= 0.3;
        cw->downlink_bps *= 0.3;
        break;
    }
    if (use && found && (res.running || g == 0)) {
      (hit->purpose == TransferPurpose::kServing ? use->running_serving_changed
                                                 : use->running_output_changed)++;
    }
    EXPECT_TRUE(engine->UpdateForecast(w.nodes[i].id, f).ok());
    plan(change.at, "after-window-change");
  }

  // Hours later, placed work that is due has started (resumed jobs among it).
  for (const Reservation& res : engine->Reservations()) {
    if (res.stopping || res.checkpoint_downlink || res.running || res.start > much_later) continue;
    EXPECT_TRUE(engine->OnJobEvent({res.job_id, JobEventType::kStarted, res.start, 0}).ok());
  }
  plan(much_later, "after-resumed-starts");
  return trace;
}

TEST(PlanPropertyTest, CheckerFindsNoViolationInRandomPlans) {
  for (const std::string& policy : PlacementPolicyNames()) {
    int violations = 0;
    std::string first;
    WindowUse use;
    for (uint64_t seed = 0; seed < kSeeds; ++seed) {
      RunWorld(seed, policy, &violations, &first, &use);
    }
    EXPECT_EQ(violations, 0) << "policy " << policy << ", first: " << first;
    if (policy != "ground-only") {
      EXPECT_GT(use.serving, 500) << "policy " << policy;
      EXPECT_GT(use.checkpoint, 25) << "policy " << policy;
      EXPECT_GT(use.running_output_changed, 40) << "policy " << policy;
      EXPECT_GT(use.running_serving_changed, 40) << "policy " << policy;
    }
  }
}

TEST(PlanPropertyTest, SameInputsGiveByteIdenticalPlans) {
  for (const std::string& policy : PlacementPolicyNames()) {
    for (uint64_t seed = 0; seed < kSeeds / 5; ++seed) {
      int v1 = 0, v2 = 0;
      std::string f1, f2;
      const std::string a = RunWorld(seed, policy, &v1, &f1);
      const std::string b = RunWorld(seed, policy, &v2, &f2);
      ASSERT_EQ(a, b) << "seed " << seed << " policy " << policy;
      ASSERT_FALSE(a.empty());
    }
  }
}

TEST(PlanPropertyTest, RandomWorldsPlaceMostJobs) {
  // Guards against a planner that passes the checker by placing nothing.
  int placed = 0, total = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const RandomWorld w = MakeRandomWorld(seed);
    auto engine = LoadWorld(w, "cost");
    ASSERT_NE(engine, nullptr);
    PlanResult p = engine->Plan(w.now).value();
    for (const JobOutcome& o : p.outcomes) {
      ++total;
      placed += o.kind == OutcomeKind::kPlaced;
    }
  }
  EXPECT_GT(placed, total / 3) << placed << " of " << total;
}

}  // namespace
}  // namespace apsis::core
