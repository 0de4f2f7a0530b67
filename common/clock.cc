#include "common/clock.h"

#include <vector>

namespace apsis {

TimePoint SystemClock::Now() const {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return TimePoint::FromMicros(
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
}

std::optional<std::chrono::nanoseconds> SystemClock::RealDelay(Duration d) const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d);
}

void ManualClock::Advance(Duration d) {
  now_us_.fetch_add(d.count());
  Notify();
}

void ManualClock::Set(TimePoint t) {
  now_us_.store(t.micros());
  Notify();
}

Clock::ListenerId ManualClock::AddListener(std::function<void()> on_change) const {
  std::lock_guard lock(mu_);
  ListenerId id = next_id_++;
  listeners_.emplace(id, std::move(on_change));
  return id;
}

void ManualClock::RemoveListener(ListenerId id) const {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

void ManualClock::Notify() {
  std::vector<std::function<void()>> copy;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, fn] : listeners_) copy.push_back(fn);
  }
  for (auto& fn : copy) fn();
}

ScaledClock::ScaledClock(TimePoint epoch, double factor, std::optional<TimePoint> real_start)
    : epoch_(epoch),
      factor_(factor > 0 ? factor : 1.0),
      real_start_(real_start ? *real_start : SystemClock().Now()) {}

TimePoint ScaledClock::Now() const {
  const double real_elapsed_us = static_cast<double>((SystemClock().Now() - real_start_).count());
  return epoch_ + Duration(static_cast<int64_t>(real_elapsed_us * factor_));
}

std::optional<std::chrono::nanoseconds> ScaledClock::RealDelay(Duration d) const {
  return std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(d.count()) * 1e3 / factor_));
}

}  // namespace apsis
