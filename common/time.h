// TimePoint and Duration: every time in Apsis is UTC, microseconds since the Unix epoch.
//
// TimePoint is a plain value type (thread-compatible). RFC 3339 parsing accepts "Z" or numeric
// offsets and up to microsecond fractions; formatting always produces UTC with a "Z" suffix.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace apsis {

using Duration = std::chrono::microseconds;

// Microsecond counts from doubles are clamped to ±2^61 µs (about ±73,000 years): converting an
// out-of-range double to int64_t is undefined behaviour, and user input (a trace, a config) can
// hold any number. The bound leaves headroom so that adding a few clamped values cannot overflow.
// NaN becomes 0.
inline constexpr int64_t kMaxMicros = int64_t{1} << 61;
inline constexpr int64_t RoundedMicros(double us) {
  if (!(us == us)) return 0;
  if (us >= static_cast<double>(kMaxMicros)) return kMaxMicros;
  if (us <= -static_cast<double>(kMaxMicros)) return -kMaxMicros;
  return static_cast<int64_t>(us + (us >= 0 ? 0.5 : -0.5));
}

inline constexpr Duration Seconds(double s) { return Duration(RoundedMicros(s * 1e6)); }
inline constexpr Duration Minutes(double m) { return Seconds(m * 60.0); }
inline constexpr Duration Hours(double h) { return Seconds(h * 3600.0); }
inline constexpr double ToSeconds(Duration d) { return static_cast<double>(d.count()) * 1e-6; }

class TimePoint {
 public:
  constexpr TimePoint() = default;
  static constexpr TimePoint FromMicros(int64_t us) { return TimePoint(us); }
  static constexpr TimePoint FromSeconds(double s) {
    return TimePoint(RoundedMicros(s * 1e6));
  }
  static constexpr TimePoint Epoch() { return TimePoint(0); }

  constexpr int64_t micros() const { return us_; }
  constexpr double seconds() const { return static_cast<double>(us_) * 1e-6; }
  // Whole seconds since the epoch, rounded toward negative infinity.
  constexpr int64_t unix_seconds() const {
    return us_ >= 0 ? us_ / 1000000 : -((-us_ + 999999) / 1000000);
  }

  constexpr auto operator<=>(const TimePoint&) const = default;

  constexpr TimePoint operator+(Duration d) const { return TimePoint(us_ + d.count()); }
  constexpr TimePoint operator-(Duration d) const { return TimePoint(us_ - d.count()); }
  constexpr Duration operator-(TimePoint o) const { return Duration(us_ - o.us_); }
  constexpr TimePoint& operator+=(Duration d) {
    us_ += d.count();
    return *this;
  }
  constexpr TimePoint& operator-=(Duration d) {
    us_ -= d.count();
    return *this;
  }

 private:
  constexpr explicit TimePoint(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// Parses "2026-12-01T03:14:00Z", "2026-12-01T03:14:00.123456+02:00", lower-case t/z, or a space
// instead of T. The error says which character is wrong.
Result<TimePoint> ParseRfc3339(std::string_view text);

// "2026-12-01T03:14:00Z"; fractional seconds are printed (trailing zeros trimmed) only when not 0.
std::string FormatRfc3339(TimePoint t);

// Days since 1970-01-01 for a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// Parses a duration such as "90s", "15m", "2h", "1d", "250ms", "1h30m" or a bare number of seconds.
Result<Duration> ParseDuration(std::string_view text);
std::string FormatDuration(Duration d);

}  // namespace apsis
