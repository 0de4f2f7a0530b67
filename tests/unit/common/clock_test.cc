#include "common/clock.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "common/clock_timer.h"

namespace apsis {
namespace {

// An io_context that ran out of work is stopped; restart it before polling again.
void Poll(boost::asio::io_context& io) {
  io.restart();
  io.poll();
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(TimePoint::FromSeconds(1000));
  EXPECT_EQ(clock.Now(), TimePoint::FromSeconds(1000));
  clock.Advance(Seconds(5));
  EXPECT_EQ(clock.Now(), TimePoint::FromSeconds(1005));
  clock.Set(TimePoint::FromSeconds(42));
  EXPECT_EQ(clock.Now(), TimePoint::FromSeconds(42));
}

TEST(ClockTest, ScaledClockRunsFasterThanRealTime) {
  SystemClock system;
  TimePoint epoch = TimePoint::FromSeconds(1'700'000'000);
  // Started one real second ago at 60x: reads about one minute past its epoch.
  ScaledClock clock(epoch, 60.0, system.Now() - Seconds(1));
  Duration elapsed = clock.Now() - epoch;
  EXPECT_GE(elapsed, Seconds(60));
  EXPECT_LT(elapsed, Seconds(120));
  EXPECT_EQ(*clock.RealDelay(Minutes(1)), std::chrono::seconds(1));
}

TEST(ClockTimerTest, ManualClockTimerFiresOnlyAfterAdvancePastDeadline) {
  boost::asio::io_context io;
  ManualClock clock(TimePoint::FromSeconds(0));
  ClockTimer timer(io, clock);
  int fired = 0;
  timer.WaitUntil(TimePoint::FromSeconds(10), [&] { ++fired; });
  Poll(io);
  EXPECT_EQ(fired, 0);
  clock.Advance(Seconds(9));
  Poll(io);
  EXPECT_EQ(fired, 0);
  clock.Advance(Seconds(1));
  Poll(io);
  EXPECT_EQ(fired, 1);
  clock.Advance(Seconds(100));
  Poll(io);
  EXPECT_EQ(fired, 1);  // one-shot
}

TEST(ClockTimerTest, PastDeadlineFiresAsynchronously) {
  boost::asio::io_context io;
  ManualClock clock(TimePoint::FromSeconds(50));
  ClockTimer timer(io, clock);
  bool fired = false;
  timer.WaitUntil(TimePoint::FromSeconds(10), [&] { fired = true; });
  EXPECT_FALSE(fired);
  Poll(io);
  EXPECT_TRUE(fired);
}

TEST(ClockTimerTest, CancelAndRearmDropsTheOldWait) {
  boost::asio::io_context io;
  ManualClock clock(TimePoint::FromSeconds(0));
  ClockTimer timer(io, clock);
  int first = 0, second = 0;
  timer.WaitUntil(TimePoint::FromSeconds(5), [&] { ++first; });
  timer.WaitUntil(TimePoint::FromSeconds(20), [&] { ++second; });
  clock.Advance(Seconds(10));
  Poll(io);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 0);
  timer.Cancel();
  clock.Advance(Seconds(100));
  Poll(io);
  EXPECT_EQ(second, 0);
  EXPECT_FALSE(timer.pending());
}

TEST(ClockTimerTest, ScaledClockDrivesRealTimer) {
  boost::asio::io_context io;
  // 3600x: one clock hour is one real second; wait 36 clock seconds = 10 ms real.
  ScaledClock clock(TimePoint::FromSeconds(0), 3600.0);
  ClockTimer timer(io, clock);
  TimePoint deadline = clock.Now() + Seconds(36);
  TimePoint fired_at;
  timer.WaitUntil(deadline, [&] { fired_at = clock.Now(); });
  io.run_for(std::chrono::seconds(5));
  EXPECT_GE(fired_at, deadline);
}

}  // namespace
}  // namespace apsis
