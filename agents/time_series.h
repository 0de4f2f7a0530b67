// Time series of site data (energy price, carbon intensity) and the built-in 24-hour profiles used
// when a site has no data or its data has gaps.
//
// A TimeSeries holds samples sorted by time; a sample's value holds until the next sample, but not
// across a gap longer than `max_gap` (a missing stretch of data is unknown, not the last price
// repeated for days). Loading a CSV reports every malformed row as "file:line:col: what; fix".
// Value types: immutable after construction, safe to read from any thread.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace apsis::agents {

class TimeSeries {
 public:
  struct Sample {
    TimePoint at;
    double value = 0;
  };

  TimeSeries() = default;
  // `samples` must be sorted by strictly increasing time.
  TimeSeries(std::vector<Sample> samples, Duration max_gap);

  // The value in force at `t`, or nullopt before the first sample, after last + max_gap, or inside
  // a gap longer than max_gap.
  std::optional<double> At(TimePoint t) const;

  bool empty() const { return samples_.empty(); }
  const std::vector<Sample>& samples() const { return samples_; }
  Duration max_gap() const { return max_gap_; }

 private:
  std::vector<Sample> samples_;
  Duration max_gap_ = Hours(1);
};

struct CsvColumnSpec {
  std::string value_name = "price";  // header name of the value column, used in messages
  double scale = 1.0;                // multiplies every value (e.g. 0.001 for $/MWh → $/kWh)
  Duration max_gap = Hours(1);
};

// Parses "timestamp,value" rows: RFC 3339 timestamps (or integer Unix seconds), one optional
// header row, '#' comments and blank lines. `source` names the file in messages.
Result<TimeSeries> ParseTimeSeriesCsv(std::string_view text, std::string_view source,
                                      const CsvColumnSpec& spec);
Result<TimeSeries> LoadTimeSeriesCsv(const std::string& path, const CsvColumnSpec& spec);

// 24 hourly values in the site's local time (UTC + offset), linearly interpolated between hour
// centres so that prices do not jump at the top of each hour, wrapping around midnight.
class DailyProfile {
 public:
  DailyProfile() = default;
  DailyProfile(std::array<double, 24> hourly, Duration utc_offset);
  double At(TimePoint t) const;

  // A typical wholesale price day in $/kWh: cheap at night, a dip at solar noon, an evening peak.
  static DailyProfile BuiltInPrice(Duration utc_offset);
  // A typical grid carbon-intensity day in g/kWh (lowest around solar noon).
  static DailyProfile BuiltInCarbon(Duration utc_offset);

 private:
  std::array<double, 24> hourly_{};
  Duration utc_offset_{};
};

}  // namespace apsis::agents
