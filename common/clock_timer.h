// ClockTimer: an Asio timer that fires when a Clock reaches a given time.
//
// With SystemClock or ScaledClock it waits the corresponding real delay on a steady timer and
// re-checks the clock when it wakes (a scaled clock drives real timers). With ManualClock it fires
// when the test advances the clock past the deadline. Not thread-safe: use it from the thread that
// runs its io_context; the handler runs on that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <utility>  // before Boost.Asio: Boost 1.74 misses it under C++20

#include "common/clock.h"

namespace apsis {

class ClockTimer {
 public:
  ClockTimer(boost::asio::io_context& io, const Clock& clock);
  ~ClockTimer();
  ClockTimer(const ClockTimer&) = delete;
  ClockTimer& operator=(const ClockTimer&) = delete;

  // Calls `handler` once the clock reads `deadline` or later. Replaces (silently drops) any pending
  // wait. The handler is always invoked asynchronously, never from inside this call.
  void WaitUntil(TimePoint deadline, std::function<void()> handler);
  void WaitFor(Duration d, std::function<void()> handler) {
    WaitUntil(clock_.Now() + d, std::move(handler));
  }
  void Cancel();
  bool pending() const;

 private:
  struct State;
  void Arm();
  boost::asio::io_context& io_;
  const Clock& clock_;
  std::shared_ptr<State> state_;
  Clock::ListenerId listener_ = 0;
};

}  // namespace apsis
