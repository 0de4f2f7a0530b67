#include "agents/time_series.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "agents/child_process.h"

namespace apsis::agents {
namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = TrimView(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<TimePoint> ParseTimestamp(std::string_view text) {
  text = TrimView(text);
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
      })) {
    int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    int64_t micros = 0;
    // Seconds beyond ±292,000 years do not fit in microseconds: not a timestamp.
    if (ec == std::errc() && end == text.data() + text.size() &&
        !__builtin_mul_overflow(seconds, int64_t{1'000'000}, &micros)) {
      return TimePoint::FromMicros(micros);
    }
    if (ec == std::errc() && end == text.data() + text.size()) return std::nullopt;
  }
  Result<TimePoint> parsed = ParseRfc3339(text);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

// 1-based column of the first non-blank character of a field starting at `offset`.
int ColumnOf(std::string_view line, size_t offset) {
  while (offset < line.size() && std::isspace(static_cast<unsigned char>(line[offset]))) ++offset;
  return static_cast<int>(offset) + 1;
}

}  // namespace

TimeSeries::TimeSeries(std::vector<Sample> samples, Duration max_gap)
    : samples_(std::move(samples)), max_gap_(max_gap) {}

std::optional<double> TimeSeries::At(TimePoint t) const {
  if (samples_.empty() || t < samples_.front().at) return std::nullopt;
  auto next = std::upper_bound(samples_.begin(), samples_.end(), t,
                               [](TimePoint v, const Sample& s) { return v < s.at; });
  const Sample& current = *(next - 1);
  if (next == samples_.end()) {
    if (t - current.at > max_gap_) return std::nullopt;
  } else if (next->at - current.at > max_gap_) {
    return std::nullopt;  // inside a hole in the data
  }
  return current.value;
}

Result<TimeSeries> ParseTimeSeriesCsv(std::string_view text, std::string_view source,
                                      const CsvColumnSpec& spec) {
  std::vector<TimeSeries::Sample> samples;
  const std::string where_prefix(source);
  auto Error = [&](int line, int col, const std::string& what) {
    return InvalidArgumentError(where_prefix + ":" + std::to_string(line) + ":" +
                                std::to_string(col) + ": " + what);
  };
  int line_number = 0;
  bool header_allowed = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed = TrimView(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) {
      return Error(line_number, static_cast<int>(line.size()) + 1,
                   "expected 2 fields 'timestamp," + spec.value_name +
                       "', found 1; separate "
                       "them with a comma");
    }
    if (line.find(',', comma + 1) != std::string_view::npos) {
      return Error(line_number, static_cast<int>(line.find(',', comma + 1)) + 1,
                   "expected 2 fields 'timestamp," + spec.value_name + "', found more");
    }
    const std::string_view time_field = line.substr(0, comma);
    const std::string_view value_field = line.substr(comma + 1);
    if (header_allowed && TrimView(time_field) == "timestamp") {
      header_allowed = false;
      continue;
    }
    header_allowed = false;
    std::optional<TimePoint> at = ParseTimestamp(time_field);
    if (!at) {
      return Error(line_number, ColumnOf(line, 0),
                   "timestamp '" + std::string(TrimView(time_field)) +
                       "' is neither RFC 3339 (e.g. 2026-01-01T00:00:00Z) nor Unix seconds");
    }
    std::optional<double> value = ParseNumber(value_field);
    if (!value) {
      return Error(
          line_number, ColumnOf(line, comma + 1),
          spec.value_name + " '" + std::string(TrimView(value_field)) + "' is not a number");
    }
    if (!samples.empty() && *at <= samples.back().at) {
      return Error(line_number, ColumnOf(line, 0),
                   "timestamp " + FormatRfc3339(*at) + " is not after the previous row's " +
                       FormatRfc3339(samples.back().at) +
                       "; sort the file by time and remove "
                       "duplicates");
    }
    samples.push_back({*at, *value * spec.scale});
  }
  if (samples.empty()) {
    return InvalidArgumentError(where_prefix + ": no data rows; expected lines of 'timestamp," +
                                spec.value_name + "'");
  }
  return TimeSeries(std::move(samples), spec.max_gap);
}

Result<TimeSeries> LoadTimeSeriesCsv(const std::string& path, const CsvColumnSpec& spec) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseTimeSeriesCsv(*text, path, spec);
}

DailyProfile::DailyProfile(std::array<double, 24> hourly, Duration utc_offset)
    : hourly_(hourly), utc_offset_(utc_offset) {}

double DailyProfile::At(TimePoint t) const {
  const int64_t day_us = 86'400'000'000;
  int64_t local = (t + utc_offset_).micros() % day_us;
  if (local < 0) local += day_us;
  // Hour h's value applies at h:30; interpolate between neighbouring hour centres.
  const double hours = static_cast<double>(local) / 3.6e9 - 0.5;
  const double floor_h = std::floor(hours);
  const int h0 = (static_cast<int>(floor_h) + 24) % 24;
  const int h1 = (h0 + 1) % 24;
  const double f = hours - floor_h;
  return hourly_[h0] * (1 - f) + hourly_[h1] * f;
}

DailyProfile DailyProfile::BuiltInPrice(Duration utc_offset) {
  // $/MWh by local hour, shaped like a solar-heavy wholesale market, converted to $/kWh.
  const std::array<double, 24> usd_per_mwh = {42, 38, 35, 34, 35, 40, 55,  72,  68, 55, 44, 36,
                                              32, 31, 34, 42, 58, 85, 110, 104, 88, 70, 56, 47};
  std::array<double, 24> per_kwh{};
  for (size_t i = 0; i < 24; ++i) per_kwh[i] = usd_per_mwh[i] / 1000.0;
  return DailyProfile(per_kwh, utc_offset);
}

DailyProfile DailyProfile::BuiltInCarbon(Duration utc_offset) {
  const std::array<double, 24> g_per_kwh = {420, 410, 405, 400, 405, 420, 440, 430,
                                            390, 340, 300, 270, 255, 255, 270, 310,
                                            370, 430, 470, 470, 460, 450, 440, 430};
  return DailyProfile(g_per_kwh, utc_offset);
}

}  // namespace apsis::agents
