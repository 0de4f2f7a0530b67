#include "common/time.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace apsis {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp + (mp < 10 ? 3 : -9);
  *year = y + (m <= 2);
  *month = m;
  *day = d;
}

namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool ReadDigits(int count, int64_t* out) {
    int64_t value = 0;
    for (int i = 0; i < count; ++i) {
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        return false;
      value = value * 10 + (text_[pos_++] - '0');
    }
    *out = value;
    return true;
  }
  bool Expect(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ExpectAnyOf(std::string_view set, char* got) {
    if (pos_ < text_.size() && set.find(text_[pos_]) != std::string_view::npos) {
      *got = text_[pos_++];
      return true;
    }
    return false;
  }
  bool AtDigit() const {
    return pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]));
  }
  bool AtEnd() const { return pos_ == text_.size(); }
  size_t pos() const { return pos_; }

  Status Error(std::string_view what) const {
    return InvalidArgumentError("invalid RFC 3339 time '" + std::string(text_) + "' at column " +
                                std::to_string(pos_ + 1) + ": expected " + std::string(what) +
                                " (example: 2026-12-01T03:14:00Z)");
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<TimePoint> ParseRfc3339(std::string_view text) {
  Cursor c(text);
  int64_t year, month, day, hour, minute, second;
  if (!c.ReadDigits(4, &year)) return c.Error("a 4-digit year");
  if (!c.Expect('-')) return c.Error("'-'");
  if (!c.ReadDigits(2, &month)) return c.Error("a 2-digit month");
  if (month < 1 || month > 12) return c.Error("a month 01..12");
  if (!c.Expect('-')) return c.Error("'-'");
  if (!c.ReadDigits(2, &day)) return c.Error("a 2-digit day");
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month)))
    return c.Error("a day that exists in that month");
  char sep;
  if (!c.ExpectAnyOf("Tt ", &sep)) return c.Error("'T'");
  if (!c.ReadDigits(2, &hour) || hour > 23) return c.Error("an hour 00..23");
  if (!c.Expect(':')) return c.Error("':'");
  if (!c.ReadDigits(2, &minute) || minute > 59) return c.Error("a minute 00..59");
  if (!c.Expect(':')) return c.Error("':'");
  // 60 is accepted as a leap second and folded into the next second, as POSIX time does.
  if (!c.ReadDigits(2, &second) || second > 60) return c.Error("a second 00..60");
  int64_t micros = 0;
  if (c.Expect('.')) {
    if (!c.AtDigit()) return c.Error("digits after '.'");
    int digits = 0;
    while (c.AtDigit()) {
      int64_t digit;
      c.ReadDigits(1, &digit);
      if (digits < 6) micros = micros * 10 + digit;
      ++digits;
    }
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_minutes = 0;
  char zone;
  if (!c.ExpectAnyOf("Zz+-", &zone)) return c.Error("'Z' or a UTC offset like +02:00");
  if (zone == '+' || zone == '-') {
    int64_t oh, om;
    if (!c.ReadDigits(2, &oh) || oh > 23) return c.Error("an offset hour 00..23");
    if (!c.Expect(':')) return c.Error("':' in the UTC offset");
    if (!c.ReadDigits(2, &om) || om > 59) return c.Error("an offset minute 00..59");
    offset_minutes = (oh * 60 + om) * (zone == '-' ? -1 : 1);
  }
  if (!c.AtEnd()) return c.Error("end of text");
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return TimePoint::FromMicros(secs * 1000000 + micros);
}

std::string FormatRfc3339(TimePoint t) {
  const int64_t us = t.micros();
  int64_t secs = us / 1000000;
  int64_t frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[64];
  int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                    static_cast<long long>(year), month, day, static_cast<long long>(rem / 3600),
                    static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    char fbuf[16];
    std::snprintf(fbuf, sizeof fbuf, ".%06lld", static_cast<long long>(frac));
    std::string f(fbuf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

Result<Duration> ParseDuration(std::string_view text) {
  auto error = [&](std::string_view why) {
    return InvalidArgumentError("invalid duration '" + std::string(text) + "': " +
                                std::string(why) + " (examples: 90s, 15m, 2h, 1d, 250ms, 1h30m)");
  };
  if (text.empty()) return error("empty");
  double total_us = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return error("expected a number");
    double value;
    try {
      value = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return error("bad number");
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit.empty()) {
      if (any || i != text.size()) return error("a bare number must stand alone");
      scale = 1e6;
    } else if (unit == "us") {
      scale = 1;
    } else if (unit == "ms") {
      scale = 1e3;
    } else if (unit == "s") {
      scale = 1e6;
    } else if (unit == "m") {
      scale = 60e6;
    } else if (unit == "h") {
      scale = 3600e6;
    } else if (unit == "d") {
      scale = 86400e6;
    } else {
      return error("unknown unit '" + std::string(unit) + "'");
    }
    total_us += value * scale;
    any = true;
  }
  if (!std::isfinite(total_us) || total_us > 9.2e18) return error("too large");
  return Duration(static_cast<int64_t>(std::llround(total_us)));
}

std::string FormatDuration(Duration d) {
  int64_t us = d.count();
  std::string out;
  if (us < 0) {
    out = "-";
    us = -us;
  }
  if (us % 1000000 != 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6gs", static_cast<double>(us) * 1e-6);
    return out + buf;
  }
  int64_t s = us / 1000000;
  if (s == 0) return "0s";
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

}  // namespace apsis
