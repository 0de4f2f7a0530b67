#include "cli/node_views.h"

#include <algorithm>
#include <limits>

#include "cli/output_format.h"

namespace apsis::cli {
namespace {

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& words,
                   const std::string& separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

TimePoint StepStart(const v1::Forecast& f, int index) {
  return TimePoint::FromMicros(f.start_us()) + Duration(f.step_us()) * index;
}

// Where an orbital node is, or a ground node's region, in a few words.
std::string Location(const v1::NodeSpec& spec) {
  if (spec.kind() == v1::NODE_KIND_GROUND) return OrDash(spec.ground().region());
  const v1::OrbitSpec& o = spec.orbit();
  if (!o.tle_name().empty()) return "TLE " + o.tle_name();
  if (!o.tle_line1().empty()) return "TLE";
  return Fixed(o.altitude_km(), 0) + " km, " + Fixed(o.inclination_deg(), 1) + " deg";
}

std::string BatteryText(const v1::NodeStatus& node) {
  const v1::BatterySpec& b = node.forecast().battery();
  if (b.capacity_wh() <= 0) {
    return node.battery_soc_wh() > 0 ? Fixed(node.battery_soc_wh(), 0) + " Wh" : "-";
  }
  // The live charge comes with heartbeats; until the first one, the forecast's starting charge
  // is the best known value, and is labelled as such.
  const bool live = node.battery_soc_wh() > 0 || b.soc_wh() <= 0;
  const double soc = live ? node.battery_soc_wh() : b.soc_wh();
  return Fixed(soc, 0) + " / " + Fixed(b.capacity_wh(), 0) + " Wh (" +
         Fixed(100.0 * soc / b.capacity_wh(), 0) + " %" +
         (live ? "" : " at forecast start, no heartbeat yet") + "), floor " +
         Fixed(b.floor_wh(), 0) + " Wh";
}

nlohmann::json WindowJson(const v1::ContactWindow& w) {
  return {{"station", w.station()},
          {"aos", TimeJson(w.aos_us())},
          {"los", TimeJson(w.los_us())},
          {"max_elevation_deg", w.max_elevation_deg()},
          {"max_elevation_at", TimeJson(w.max_elevation_at_us())},
          {"min_range_km", w.min_range_km()},
          {"uplink_bps", w.uplink_bps()},
          {"downlink_bps", w.downlink_bps()}};
}

nlohmann::json StepJson(const v1::PowerStep& s) {
  return {{"available_w", s.available_w()},
          {"price_usd_per_kwh", s.price_usd_per_kwh()},
          {"carbon_g_per_kwh", s.carbon_g_per_kwh()},
          {"solar_w", s.solar_w()},
          {"sunlit_fraction", s.sunlit_fraction()}};
}

std::string Bps(double bps) {
  if (bps >= 1e9) return Fixed(bps / 1e9, 1) + " Gb/s";
  if (bps >= 1e6) return Fixed(bps / 1e6, 1) + " Mb/s";
  return Fixed(bps / 1e3, 0) + " kb/s";
}

}  // namespace

NodeOutlook SummarizeNodeForecast(const v1::NodeStatus& node, TimePoint now, int hours,
                                  int max_contacts) {
  NodeOutlook outlook;
  const v1::Forecast& f = node.forecast();
  const int steps = f.steps_size();
  if (steps > 0 && f.step_us() > 0) {
    outlook.has_forecast = true;
    outlook.forecast_start = TimePoint::FromMicros(f.start_us());
    outlook.forecast_end = StepStart(f, steps);
    // First step that has not ended by now (the one holding now, or the first one if the
    // forecast starts later).
    int first = 0;
    if (now > outlook.forecast_start) {
      first = static_cast<int>(
          std::min<int64_t>((now - outlook.forecast_start).count() / f.step_us(), steps));
    }
    if (first < steps && StepStart(f, first) <= now) outlook.power_now = f.steps(first);

    for (int h = 0; h < hours; ++h) {
      const TimePoint hour_start = now + Hours(h);
      const TimePoint hour_end = hour_start + Hours(1);
      HourOutlook hour;
      hour.start = hour_start;
      hour.min_available_w = std::numeric_limits<double>::infinity();
      int count = 0;
      for (int i = first; i < steps; ++i) {
        const TimePoint t = StepStart(f, i);
        // The step holding hour_start counts for that hour, so hour 0 starts with "now".
        if (t + Duration(f.step_us()) <= hour_start) continue;
        if (t >= hour_end) break;
        const v1::PowerStep& s = f.steps(i);
        hour.min_available_w = std::min(hour.min_available_w, s.available_w());
        hour.mean_available_w += s.available_w();
        hour.mean_price_usd_per_kwh += s.price_usd_per_kwh();
        hour.mean_carbon_g_per_kwh += s.carbon_g_per_kwh();
        hour.mean_solar_w += s.solar_w();
        hour.mean_sunlit_fraction += s.sunlit_fraction();
        ++count;
      }
      if (count == 0) break;  // past the end of the forecast
      hour.mean_available_w /= count;
      hour.mean_price_usd_per_kwh /= count;
      hour.mean_carbon_g_per_kwh /= count;
      hour.mean_solar_w /= count;
      hour.mean_sunlit_fraction /= count;
      outlook.hours.push_back(hour);
    }

    // Ground steps carry sunlit_fraction 0 too (it is an orbital field), so only orbital nodes
    // have eclipses.
    if (node.spec().kind() == v1::NODE_KIND_ORBITAL) {
      for (int i = first; i < steps; ++i) {
        if (f.steps(i).sunlit_fraction() > 0) continue;
        EclipseSpan eclipse;
        eclipse.start = StepStart(f, i);
        eclipse.now = eclipse.start <= now;
        for (int j = i + 1; j < steps; ++j) {
          if (f.steps(j).sunlit_fraction() > 0) {
            eclipse.end = StepStart(f, j);
            break;
          }
        }
        outlook.next_eclipse = eclipse;
        break;
      }
    }
  }
  std::vector<v1::ContactWindow> windows;
  for (const v1::ContactWindow& w : f.windows())
    if (TimePoint::FromMicros(w.los_us()) > now) windows.push_back(w);
  std::sort(windows.begin(), windows.end(),
            [](const v1::ContactWindow& a, const v1::ContactWindow& b) {
              return a.aos_us() < b.aos_us();
            });
  if (static_cast<int>(windows.size()) > max_contacts) windows.resize(max_contacts);
  outlook.next_contacts = std::move(windows);
  return outlook;
}

nlohmann::json NodeSummaryJson(const v1::NodeStatus& node) {
  const v1::NodeSpec& spec = node.spec();
  nlohmann::json running = nlohmann::json::array();
  for (const auto& id : node.running_jobs()) running.push_back(id);
  return {{"id", spec.id()},
          {"kind", NodeKindName(spec.kind())},
          {"state", NodeStateName(node.state())},
          {"location", Location(spec)},
          {"gpus",
           {{"count", spec.gpus().count()},
            {"busy", node.gpus_busy()},
            {"type", spec.gpus().type()},
            {"watts_each", spec.gpus().watts_each()}}},
          {"power_draw_w", node.power_draw_w()},
          {"battery_soc_wh", node.battery_soc_wh()},
          {"last_heartbeat", TimeJson(node.last_heartbeat_us())},
          {"running_jobs", std::move(running)}};
}

nlohmann::json NodeListJson(const v1::NodeList& nodes) {
  nlohmann::json list = nlohmann::json::array();
  for (const v1::NodeStatus& node : nodes.nodes()) list.push_back(NodeSummaryJson(node));
  return {{"nodes", std::move(list)}};
}

nlohmann::json NodeDetailJson(const v1::NodeStatus& node, const NodeOutlook& outlook) {
  nlohmann::json out = NodeSummaryJson(node);
  const v1::NodeSpec& spec = node.spec();
  if (spec.kind() == v1::NODE_KIND_GROUND) {
    out["ground"] = {{"region", spec.ground().region()},
                     {"pue", spec.ground().pue()},
                     {"grid_kw", spec.ground().grid_kw()}};
  } else {
    const v1::OrbitSpec& o = spec.orbit();
    out["orbit"] = {{"tle_name", o.tle_name()},
                    {"tle_line1", o.tle_line1()},
                    {"tle_line2", o.tle_line2()},
                    {"altitude_km", o.altitude_km()},
                    {"inclination_deg", o.inclination_deg()},
                    {"epoch", TimeJson(o.epoch_us())}};
    out["bus_load_w"] = spec.bus_load_w();
    out["ground_stations"] = nlohmann::json::array();
    for (const auto& s : spec.ground_stations()) out["ground_stations"].push_back(s);
    out["relay"] = spec.relay() == v1::RELAY_MODE_ALWAYS ? "always" : "none";
    out["relay_latency_ms"] = spec.relay_latency_ms();
  }
  const v1::Forecast& f = node.forecast();
  if (outlook.has_forecast) {
    out["forecast"] = {{"start", TimeJson(outlook.forecast_start.micros())},
                       {"end", TimeJson(outlook.forecast_end.micros())},
                       {"step_s", ToSeconds(Duration(f.step_us()))},
                       {"revision", f.revision()}};
  } else {
    out["forecast"] = nullptr;
  }
  out["power_now"] = outlook.power_now ? StepJson(*outlook.power_now) : nlohmann::json(nullptr);
  out["next_hours"] = nlohmann::json::array();
  for (const HourOutlook& h : outlook.hours) {
    out["next_hours"].push_back({{"start", TimeJson(h.start.micros())},
                                 {"min_available_w", h.min_available_w},
                                 {"mean_available_w", h.mean_available_w},
                                 {"mean_price_usd_per_kwh", h.mean_price_usd_per_kwh},
                                 {"mean_carbon_g_per_kwh", h.mean_carbon_g_per_kwh},
                                 {"mean_solar_w", h.mean_solar_w},
                                 {"mean_sunlit_fraction", h.mean_sunlit_fraction}});
  }
  const v1::BatterySpec& b = f.battery();
  if (b.capacity_wh() > 0) {
    out["battery"] = {{"soc_wh", node.battery_soc_wh()},
                      {"forecast_start_soc_wh", b.soc_wh()},
                      {"capacity_wh", b.capacity_wh()},
                      {"floor_wh", b.floor_wh()},
                      {"soc_ratio", node.battery_soc_wh() / b.capacity_wh()},
                      {"max_charge_w", b.max_charge_w()}};
  } else {
    out["battery"] = nullptr;
  }
  if (outlook.next_eclipse) {
    const EclipseSpan& e = *outlook.next_eclipse;
    out["next_eclipse"] = {{"start", TimeJson(e.start.micros())},
                           {"end", e.end ? TimeJson(e.end->micros()) : nlohmann::json(nullptr)},
                           {"now", e.now}};
  } else {
    out["next_eclipse"] = nullptr;
  }
  out["next_contacts"] = nlohmann::json::array();
  for (const auto& w : outlook.next_contacts) out["next_contacts"].push_back(WindowJson(w));
  out["latencies"] = nlohmann::json::object();
  for (const v1::RegionLatency& l : f.latencies()) out["latencies"][l.region()] = l.latency_ms();
  return out;
}

void PrintNodesTable(std::ostream& out, const v1::NodeList& nodes, TimePoint now) {
  TextTable table(
      {"NODE", "KIND", "STATE", "WHERE", "GPUS", "TYPE", "DRAW", "BATTERY", "HEARTBEAT", "JOBS"});
  for (const v1::NodeStatus& node : nodes.nodes()) {
    const v1::NodeSpec& spec = node.spec();
    table.AddRow(
        {spec.id(), NodeKindName(spec.kind()), NodeStateName(node.state()), Location(spec),
         std::to_string(node.gpus_busy()) + "/" + std::to_string(spec.gpus().count()),
         OrDash(spec.gpus().type()), Fixed(node.power_draw_w() / 1000.0, 1) + " kW",
         node.battery_soc_wh() > 0 ? Fixed(node.battery_soc_wh(), 0) + " Wh" : "-",
         node.last_heartbeat_us() > 0 ? RelativeTime(node.last_heartbeat_us(), now) : "never",
         std::to_string(node.running_jobs_size())});
  }
  if (table.rows() == 0) {
    out << "no nodes (agents register with Hello on the agent endpoint)\n";
    return;
  }
  table.Print(out);
}

void PrintNodeDetail(std::ostream& out, const v1::NodeStatus& node, const NodeOutlook& outlook,
                     TimePoint now) {
  const v1::NodeSpec& spec = node.spec();
  Fields fields = {
      {"node", spec.id()},
      {"kind", NodeKindName(spec.kind())},
      {"state", NodeStateName(node.state())},
      {"where", Location(spec)},
      {"gpus", std::to_string(node.gpus_busy()) + " of " + std::to_string(spec.gpus().count()) +
                   " busy, " + OrDash(spec.gpus().type()) + " at " +
                   Fixed(spec.gpus().watts_each(), 0) + " W each"},
      {"power draw", Fixed(node.power_draw_w(), 0) + " W"},
      {"last heartbeat", node.last_heartbeat_us() > 0
                             ? TableTime(node.last_heartbeat_us()) + " (" +
                                   RelativeTime(node.last_heartbeat_us(), now) + ")"
                             : "never"},
      {"running jobs", node.running_jobs_size() ? Joined(node.running_jobs(), ", ") : "-"}};
  if (spec.kind() == v1::NODE_KIND_GROUND) {
    fields.push_back({"PUE", Fixed(spec.ground().pue(), 2)});
    fields.push_back({"grid", Fixed(spec.ground().grid_kw(), 0) + " kW"});
  } else {
    fields.push_back({"stations", OrDash(Joined(spec.ground_stations(), ", "))});
    fields.push_back({"relay", spec.relay() == v1::RELAY_MODE_ALWAYS
                                   ? "always (+" + Fixed(spec.relay_latency_ms(), 0) + " ms)"
                                   : "none (reachable in contact windows only)"});
    fields.push_back({"battery", BatteryText(node)});
  }
  if (!outlook.has_forecast) {
    fields.push_back({"forecast", "none received yet"});
    PrintFields(out, fields);
    return;
  }
  fields.push_back({"forecast", TableTime(outlook.forecast_start.micros()) + " .. " +
                                    TableTime(outlook.forecast_end.micros()) + ", revision " +
                                    std::to_string(node.forecast().revision())});
  if (outlook.power_now) {
    const v1::PowerStep& s = *outlook.power_now;
    std::string now_text = Fixed(s.available_w() / 1000.0, 1) + " kW available";
    if (spec.kind() == v1::NODE_KIND_GROUND) {
      now_text += ", $" + Fixed(s.price_usd_per_kwh(), 3) + "/kWh, " +
                  Fixed(s.carbon_g_per_kwh(), 0) + " gCO2/kWh";
    } else {
      now_text += ", solar " + Fixed(s.solar_w() / 1000.0, 1) + " kW, sunlit " +
                  Fixed(100 * s.sunlit_fraction(), 0) + " %";
    }
    fields.push_back({"power now", now_text});
  } else {
    fields.push_back(
        {"power now",
         now < outlook.forecast_start
             ? "- (forecast starts " + RelativeTime(outlook.forecast_start.micros(), now) + ")"
             : "- (forecast ended " + RelativeTime(outlook.forecast_end.micros(), now) +
                   "; is the agent reporting?)"});
  }
  if (spec.kind() == v1::NODE_KIND_ORBITAL) {
    if (!outlook.next_eclipse) {
      fields.push_back({"next eclipse", "none within the forecast"});
    } else {
      const EclipseSpan& e = *outlook.next_eclipse;
      std::string text =
          e.now ? "in eclipse now"
                : TableTime(e.start.micros()) + " (" + RelativeTime(e.start.micros(), now) + ")";
      text += e.end ? ", sunlight again " + TableTime(e.end->micros()) +
                          (e.now ? "" : ", lasting " + CompactDuration(*e.end - e.start))
                    : ", dark until the end of the forecast";
      fields.push_back({"next eclipse", text});
    }
  }
  PrintFields(out, fields);

  if (!outlook.hours.empty()) {
    out << "\nnext hours\n";
    const bool ground = spec.kind() == v1::NODE_KIND_GROUND;
    TextTable table = ground ? TextTable({"FROM", "MIN KW", "MEAN KW", "$/KWH", "GCO2/KWH"})
                             : TextTable({"FROM", "MIN KW", "MEAN KW", "SOLAR KW", "SUNLIT"});
    for (const HourOutlook& h : outlook.hours) {
      if (ground) {
        table.AddRow({TableTime(h.start.micros()), Fixed(h.min_available_w / 1000.0, 1),
                      Fixed(h.mean_available_w / 1000.0, 1), Fixed(h.mean_price_usd_per_kwh, 3),
                      Fixed(h.mean_carbon_g_per_kwh, 0)});
      } else {
        table.AddRow({TableTime(h.start.micros()), Fixed(h.min_available_w / 1000.0, 1),
                      Fixed(h.mean_available_w / 1000.0, 1), Fixed(h.mean_solar_w / 1000.0, 1),
                      Fixed(100 * h.mean_sunlit_fraction, 0) + " %"});
      }
    }
    table.Print(out);
  }
  if (spec.kind() == v1::NODE_KIND_ORBITAL || !outlook.next_contacts.empty()) {
    out << "\nnext contacts\n";
    if (outlook.next_contacts.empty()) {
      out << "none within the forecast\n";
      return;
    }
    TextTable table({"STATION", "AOS", "LOS", "DURATION", "MAX EL", "UP", "DOWN", "WHEN"});
    for (const v1::ContactWindow& w : outlook.next_contacts) {
      const bool open = TimePoint::FromMicros(w.aos_us()) <= now;
      table.AddRow({w.station(), TableTime(w.aos_us()), TableTime(w.los_us()),
                    CompactDuration(Duration(w.los_us() - w.aos_us())),
                    Fixed(w.max_elevation_deg(), 1) + " deg", Bps(w.uplink_bps()),
                    Bps(w.downlink_bps()), open ? "open now" : RelativeTime(w.aos_us(), now)});
    }
    table.Print(out);
  }
}

}  // namespace apsis::cli
