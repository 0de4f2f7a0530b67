// Clocks: the only source of "now" in Apsis. Components take a `const Clock&` and never read the
// system time themselves, so tests drive time by hand and emulations run it faster than real time.
//
// All clocks are thread-safe: Now() may be called from any thread; ManualClock::Advance/Set may be
// called from any thread and notify listeners on the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "common/time.h"

namespace apsis {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  // How much real (steady) time passes while this clock advances by `d`; nullopt for clocks that
  // move only when told to (ManualClock), whose timers fire on advance notifications instead.
  virtual std::optional<std::chrono::nanoseconds> RealDelay(Duration d) const = 0;

  // Listeners are called after every manual change of time. Only ManualClock ever calls them.
  using ListenerId = uint64_t;
  virtual ListenerId AddListener(std::function<void()> /*on_change*/) const { return 0; }
  virtual void RemoveListener(ListenerId /*id*/) const {}
};

// Wall-clock UTC time from the operating system.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  std::optional<std::chrono::nanoseconds> RealDelay(Duration d) const override;
};

// Time that moves only when a test says so.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint::FromSeconds(1'767'225'600))  // 2026-01-01
      : now_us_(start.micros()) {}
  TimePoint Now() const override { return TimePoint::FromMicros(now_us_.load()); }
  std::optional<std::chrono::nanoseconds> RealDelay(Duration) const override {
    return std::nullopt;
  }
  void Advance(Duration d);
  void Set(TimePoint t);

  ListenerId AddListener(std::function<void()> on_change) const override;
  void RemoveListener(ListenerId id) const override;

 private:
  void Notify();
  std::atomic<int64_t> now_us_;
  mutable std::mutex mu_;
  mutable ListenerId next_id_ = 1;
  mutable std::map<ListenerId, std::function<void()>> listeners_;
};

// Time that starts at a fixed epoch when constructed and runs `factor` times faster than real time.
// Demos and emulations use it so that an orbit passes in minutes; every process of one emulation is
// given the same epoch and the same real start instant so that they agree on "now".
class ScaledClock final : public Clock {
 public:
  // `real_start` is the system (wall) time at which the scaled clock reads `epoch`; it defaults to
  // the moment of construction.
  ScaledClock(TimePoint epoch, double factor, std::optional<TimePoint> real_start = std::nullopt);
  TimePoint Now() const override;
  std::optional<std::chrono::nanoseconds> RealDelay(Duration d) const override;
  double factor() const { return factor_; }
  TimePoint epoch() const { return epoch_; }

 private:
  TimePoint epoch_;
  double factor_;
  TimePoint real_start_;
};

}  // namespace apsis
