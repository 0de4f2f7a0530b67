// Helpers of the scenario tests: engines, actions and outcomes of a plan, Explain candidates and
// the independent checker over the engine's current plan.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/core/engine.h"
#include "scheduler/core/plan_checker.h"

namespace apsis::core::testing {

inline std::unique_ptr<Engine> MakeEngine(EngineConfig config = {}) {
  auto e = Engine::Create(config);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e).value();
}

template <typename T>
std::vector<T> ActionsOf(const PlanResult& plan) {
  std::vector<T> out;
  for (const Action& a : plan.actions) {
    if (const T* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

inline const JobOutcome* OutcomeOf(const PlanResult& plan, const std::string& job) {
  for (const JobOutcome& o : plan.outcomes) {
    if (o.job_id == job) return &o;
  }
  return nullptr;
}

inline const CandidateExplanation* CandidateOn(const PlacementExplanation& ex,
                                               const std::string& node) {
  for (const CandidateExplanation& c : ex.candidates) {
    if (c.node_id == node) return &c;
  }
  return nullptr;
}

// Explain's candidate on `node` is rejected by `constraint`, for exactly `reason`.
inline void ExpectRejectedOn(const PlacementExplanation& ex, const std::string& node,
                             Constraint constraint, const std::string& reason) {
  const CandidateExplanation* c = CandidateOn(ex, node);
  ASSERT_NE(c, nullptr) << node;
  EXPECT_FALSE(c->feasible) << node;
  EXPECT_EQ(c->constraint, constraint) << node;
  EXPECT_EQ(c->reason, reason) << node;
}

inline void ExpectPlanValid(const Engine& engine, TimePoint now) {
  for (const PlanViolation& v : CheckPlan(engine.Snapshot(now))) ADD_FAILURE() << ToString(v);
}

}  // namespace apsis::core::testing
