#include "link/interval_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace apsis::link::interval_search {
namespace {

TEST(IntervalSearch, FindRootConvergesWithinTolerance) {
  int calls = 0;
  auto f = [&](double t) {
    ++calls;
    return std::cos(t);
  };
  const double root = FindRoot(f, 1.0, std::cos(1.0), 2.0, std::cos(2.0), 1e-6);
  EXPECT_NEAR(root, M_PI / 2, 1e-6);
  EXPECT_GT(std::cos(root), 0);  // the returned end lies inside the positive region
  EXPECT_LT(calls, 30);
}

TEST(IntervalSearch, MaximizeFindsThePeakOfAUnimodalFunction) {
  auto f = [](double t) { return 3.0 - (t - 0.7) * (t - 0.7); };
  const auto [t, value] = Maximize(f, -5.0, 5.0, 1e-4);
  EXPECT_NEAR(t, 0.7, 1e-3);
  EXPECT_NEAR(value, 3.0, 1e-6);
}

std::vector<Interval> Search(const std::function<double(double)>& f, double step, double end,
                             double slack) {
  std::vector<double> times, values, slacks;
  for (double t = 0;; t += step) {
    const double tt = std::min(t, end);
    times.push_back(tt);
    values.push_back(f(tt));
    slacks.push_back(slack);
    if (tt >= end) break;
  }
  return FindPositiveIntervals(f, times, values, slacks, 1e-3);
}

TEST(IntervalSearch, FindsIntervalsAtSignChangesAndClipsAtTheEnds) {
  // sin is positive on (0, π), (2π, 3π); the grid starts inside a positive region at 0.1.
  auto f = [](double t) { return std::sin(t + 0.1); };
  const auto found = Search(f, 0.5, 10.0, 0.0);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].begins_at_start);
  EXPECT_NEAR(found[0].end, M_PI - 0.1, 1e-3);
  EXPECT_NEAR(found[1].begin, 2 * M_PI - 0.1, 1e-3);
  EXPECT_NEAR(found[1].end, 3 * M_PI - 0.1, 1e-3);
  EXPECT_FALSE(found[1].ends_at_end);
}

TEST(IntervalSearch, RefinesAShortExcursionBetweenSamplesOnlyWhenSlackAllowsIt) {
  // A narrow bump reaching +0.2 around t = 10.3, invisible at the 1-s samples (all <= -0.6).
  auto f = [](double t) { return 1.2 * std::exp(-(t - 10.3) * (t - 10.3) / 0.02) - 1.0; };
  EXPECT_TRUE(Search(f, 1.0, 20.0, 0.1).empty());  // slack says it cannot reach zero
  const auto found = Search(f, 1.0, 20.0, 2.0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LT(found[0].begin, 10.3);
  EXPECT_GT(found[0].end, 10.3);
  EXPECT_NEAR(f(found[0].begin), 0.0, 0.02);
  EXPECT_NEAR(f(found[0].end), 0.0, 0.02);
}

}  // namespace
}  // namespace apsis::link::interval_search
