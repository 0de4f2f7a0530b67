#include "scheduler/daemon/node_liveness.h"

#include <gtest/gtest.h>

namespace apsis::daemon {
namespace {

const TimePoint kT0 = TimePoint::FromSeconds(1'800'000'000);

ContactWindow Window(double from_s, double to_s) {
  ContactWindow w;
  w.station = "svalbard";
  w.aos = kT0 + Seconds(from_s);
  w.los = kT0 + Seconds(to_s);
  return w;
}

TEST(NodeLivenessTest, GroundNodeIsDownAfterMissedHeartbeatsNotBefore) {
  LivenessInput in{kT0, true, nullptr, Seconds(5), 3};
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(15)), Liveness::kReachable);
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(15.001)), Liveness::kDown);
}

TEST(NodeLivenessTest, OrbitalNodeSilentOutsideWindowsIsOutOfContactNotDown) {
  std::vector<ContactWindow> windows{Window(0, 10), Window(600, 900)};
  LivenessInput in{kT0 + Seconds(9), false, &windows, Seconds(5), 3};
  // LOS at +10 s; silent until +599 s: only 1 s of reachable time was missed.
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(300)), Liveness::kOutOfContact);
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(610)), Liveness::kOutOfContact);
  // 15 s into the next pass without a word: down.
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(615)), Liveness::kDown);
}

TEST(NodeLivenessTest, OverlappingWindowsCountOnce) {
  std::vector<ContactWindow> windows{Window(0, 100), Window(50, 150)};
  LivenessInput in{kT0, false, &windows, Seconds(5), 3};
  EXPECT_EQ(ReachableTime(in, kT0, kT0 + Seconds(1000)), Seconds(150));
  EXPECT_TRUE(InContact(in, kT0 + Seconds(120)));
  EXPECT_FALSE(InContact(in, kT0 + Seconds(150)));
}

TEST(NodeLivenessTest, RelayNodeIsAlwaysReachable) {
  std::vector<ContactWindow> none;
  LivenessInput in{kT0, true, &none, Seconds(5), 3};
  EXPECT_EQ(AssessLiveness(in, kT0 + Seconds(20)), Liveness::kDown);
}

}  // namespace
}  // namespace apsis::daemon
