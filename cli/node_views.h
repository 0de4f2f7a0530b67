// How apsisctl shows nodes: the fleet table, and one node's outlook read from its latest forecast
// (power now and over the next hours, battery, next eclipse, next contact windows).
//
// "Now" is the scheduler's time (from a Status request), not this machine's: emulated fleets run
// on a scaled clock, and forecasts are on the scheduler's time line. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <vector>

#include "apsis/v1/client.pb.h"
#include "apsis/v1/common.pb.h"
#include "common/time.h"

namespace apsis::cli {

// Averages of the forecast steps that start within one hour [start, start + 1h).
struct HourOutlook {
  TimePoint start;
  double min_available_w = 0;
  double mean_available_w = 0;
  double mean_price_usd_per_kwh = 0;
  double mean_carbon_g_per_kwh = 0;
  double mean_solar_w = 0;
  double mean_sunlit_fraction = 0;
};

// An umbra span: from the first step with sunlit_fraction 0 to the next step with sunlight.
struct EclipseSpan {
  TimePoint start;
  std::optional<TimePoint> end;  // nullopt: still dark at the end of the forecast
  bool now = false;              // the node is in eclipse at `now`
};

struct NodeOutlook {
  bool has_forecast = false;
  TimePoint forecast_start;
  TimePoint forecast_end;
  std::optional<v1::PowerStep> power_now;   // the step holding `now`; nullopt outside the forecast
  std::vector<HourOutlook> hours;           // up to the requested number, within the forecast
  std::optional<EclipseSpan> next_eclipse;  // orbital nodes only
  std::vector<v1::ContactWindow> next_contacts;  // windows not yet over, by start; maybe current
};

// Reads `node.forecast()` from `now` on, for `hours` hours and `max_contacts` windows.
NodeOutlook SummarizeNodeForecast(const v1::NodeStatus& node, TimePoint now, int hours,
                                  int max_contacts);

nlohmann::json NodeSummaryJson(const v1::NodeStatus& node);
nlohmann::json NodeListJson(const v1::NodeList& nodes);
// The summary plus the static spec and the outlook.
nlohmann::json NodeDetailJson(const v1::NodeStatus& node, const NodeOutlook& outlook);

// NODE KIND STATE GPUS TYPE DRAW BATTERY HEARTBEAT JOBS, one row per node.
void PrintNodesTable(std::ostream& out, const v1::NodeList& nodes, TimePoint now);
void PrintNodeDetail(std::ostream& out, const v1::NodeStatus& node, const NodeOutlook& outlook,
                     TimePoint now);

}  // namespace apsis::cli
