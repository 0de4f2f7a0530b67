// A node record kept with its forecast as stored bytes.
//
// A v1.StoredNode carries the node's whole forecast (a day at one-minute steps is ~1,500 PowerStep
// messages). Decoded, that is ~130 KB of small heap objects per node; the planner keeps its own
// compact copy, so the daemon keeps the forecast only as the bytes it reads and writes, and decodes
// it when a client asks for it. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apsis/v1/state.pb.h"
#include "common/status.h"

namespace apsis::daemon {

struct SplitNodeRecord {
  v1::StoredNode rest;                  // everything but the forecast
  std::optional<std::string> forecast;  // the forecast's serialized bytes, when present
};

// Splits a serialized v1.StoredNode without decoding its forecast. InvalidArgument when the bytes
// are not a StoredNode.
Result<SplitNodeRecord> SplitStoredNode(std::string_view value);

// The serialized v1.StoredNode of `rest` (which must have no forecast) with `forecast` as its
// forecast: the same message SplitStoredNode took apart.
std::string JoinStoredNode(const v1::StoredNode& rest, const std::optional<std::string>& forecast);

// What the node gauges need from a forecast: power available and sunlight at each step.
struct ForecastGaugeSeries {
  int64_t start_us = 0;
  int64_t step_us = 0;
  std::vector<float> available_w;
  std::vector<bool> sunlit;  // orbital nodes only
  double battery_capacity_wh = 0;

  static ForecastGaugeSeries From(const v1::Forecast& forecast, bool orbital);
};

}  // namespace apsis::daemon
