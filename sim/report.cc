#include "sim/report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace apsis::sim {
namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A fixed palette (colour-blind safe), one colour per policy.
const char* PolicyColour(size_t i) {
  static const char* kColours[] = {"#0072b2", "#e69f00", "#009e73",
                                   "#cc79a7", "#d55e00", "#56b4e9"};
  return kColours[i % 6];
}

// A line chart of one hourly series per policy.
std::string LineChart(const SimReport& r, const std::string& title, const std::string& unit,
                      const std::vector<std::vector<double>>& series, bool cumulative) {
  const int w = 900, h = 260, left = 70, right = 160, top = 30, bottom = 40;
  std::vector<std::vector<double>> ys = series;
  double ymax = 0;
  for (auto& s : ys) {
    if (cumulative) {
      for (size_t i = 1; i < s.size(); ++i) s[i] += s[i - 1];
    }
    for (double v : s) ymax = std::max(ymax, v);
  }
  if (ymax <= 0) ymax = 1;
  const size_t n = ys.empty() ? 0 : ys[0].size();
  std::string out = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) +
                    "' height='" + std::to_string(h) + "' font-family='sans-serif' font-size='11'>";
  out += "<text x='" + std::to_string(left) + "' y='18' font-size='13' font-weight='bold'>" +
         Escape(title) + "</text>";
  const int pw = w - left - right, ph = h - top - bottom;
  out += "<rect x='" + std::to_string(left) + "' y='" + std::to_string(top) + "' width='" +
         std::to_string(pw) + "' height='" + std::to_string(ph) + "' fill='none' stroke='#999'/>";
  for (int k = 0; k <= 4; ++k) {
    const double v = ymax * k / 4;
    const int y = top + ph - ph * k / 4;
    out += "<text x='" + std::to_string(left - 5) + "' y='" + std::to_string(y + 4) +
           "' text-anchor='end'>" + Fixed(v, v < 10 ? 2 : 0) + "</text>";
  }
  for (size_t d = 0; n > 0 && d * 24 <= n; ++d) {
    const int x = left + static_cast<int>(double(pw) * double(d * 24) / double(n));
    out += "<text x='" + std::to_string(x) + "' y='" + std::to_string(top + ph + 15) +
           "' text-anchor='middle'>day " + std::to_string(d) + "</text>";
  }
  out += "<text x='" + std::to_string(left) + "' y='" + std::to_string(h - 5) + "'>" +
         Escape(unit) + "</text>";
  for (size_t p = 0; p < ys.size(); ++p) {
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      const double x = left + double(pw) * (double(i) + 0.5) / double(n);
      const double y = top + ph - ph * ys[p][i] / ymax;
      pts += Fixed(x, 1) + "," + Fixed(y, 1) + " ";
    }
    out += "<polyline fill='none' stroke-width='1.5' stroke='" + std::string(PolicyColour(p)) +
           "' points='" + pts + "'/>";
    out += "<text x='" + std::to_string(w - right + 10) + "' y='" +
           std::to_string(top + 14 * int(p + 1)) + "' fill='" + PolicyColour(p) + "'>" +
           Escape(r.policies[p].name) + "</text>";
  }
  return out + "</svg>";
}

// Per-node timeline of one policy: eclipse shading, contact-window ticks, job bars.
std::string Timeline(const PolicyResult& p, const FleetModel& fleet, const SimReport& r) {
  const auto& nodes = fleet.nodes();
  const int left = 110, right = 20, row = 22, top = 30, w = 1200;
  const int h = top + row * int(nodes.size()) + 30;
  const int pw = w - left - right;
  const double span_s = ToSeconds(r.horizon);
  auto X = [&](TimePoint t) {
    return left + double(pw) * std::clamp(ToSeconds(t - r.epoch) / span_s, 0.0, 1.0);
  };
  std::string out = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) +
                    "' height='" + std::to_string(h) + "' font-family='sans-serif' font-size='11'>";
  out += "<text x='" + std::to_string(left) + "' y='18' font-size='13' font-weight='bold'>" +
         Escape(p.name) +
         ": jobs per node (blue training, orange inference; grey: eclipse; ticks: contact "
         "windows)</text>";
  const TimePoint end = r.epoch + r.horizon;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeModel& n = nodes[i];
    const int y = top + row * int(i);
    out += "<text x='" + std::to_string(left - 5) + "' y='" + std::to_string(y + 15) +
           "' text-anchor='end'>" + Escape(n.spec().id) + "</text>";
    out += "<rect x='" + std::to_string(left) + "' y='" + std::to_string(y + 2) + "' width='" +
           std::to_string(pw) + "' height='" + std::to_string(row - 4) +
           "' fill='#f7f7f7' stroke='#ddd'/>";
    if (n.orbital()) {
      // Eclipses: runs of steps with less than half the Sun.
      int s = -1;
      const int last = std::min(n.steps(), n.StepOf(end) + 1);
      for (int k = 0; k <= last; ++k) {
        const bool dark = k < last && n.sunlit(k) < 0.5;
        if (dark && s < 0) s = k;
        if (!dark && s >= 0) {
          const double x0 = X(n.start() + n.step() * s), x1 = X(n.start() + n.step() * k);
          out += "<rect x='" + Fixed(x0, 1) + "' y='" + std::to_string(y + 2) + "' width='" +
                 Fixed(std::max(0.5, x1 - x0), 1) + "' height='" + std::to_string(row - 4) +
                 "' fill='#cfcfcf'/>";
          s = -1;
        }
      }
      for (const ContactWindow& cw : n.windows()) {
        if (cw.aos >= end) break;
        out += "<line x1='" + Fixed(X(cw.aos), 1) + "' x2='" + Fixed(X(cw.aos), 1) + "' y1='" +
               std::to_string(y + row - 4) + "' y2='" + std::to_string(y + row) +
               "' stroke='#333'/>";
      }
    }
  }
  for (const RunSegment& s : p.segments) {
    const int y = top + row * s.node;
    const double x0 = X(s.start), x1 = X(s.end);
    out += "<rect x='" + Fixed(x0, 1) + "' y='" + std::to_string(y + 5) + "' width='" +
           Fixed(std::max(0.5, x1 - x0), 1) + "' height='" + std::to_string(row - 12) + "' fill='" +
           (s.kind == core::JobKind::kTraining ? "#0072b2" : "#e69f00") +
           "' fill-opacity='0.45'><title>" + Escape(s.job_id) + " " + FormatRfc3339(s.start) +
           " – " + FormatRfc3339(s.end) + (s.stopped ? " (stopped)" : "") + "</title></rect>";
  }
  return out + "</svg>";
}

// Horizontal bars comparing one metric across policies.
std::string Bars(const SimReport& r, const std::string& title, double (*get)(const PolicyResult&),
                 int digits) {
  const int row = 20, left = 130, w = 440;
  const int h = 28 + row * int(r.policies.size());
  double vmax = 0;
  for (const PolicyResult& p : r.policies) vmax = std::max(vmax, get(p));
  if (vmax <= 0) vmax = 1;
  std::string out = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) +
                    "' height='" + std::to_string(h) + "' font-family='sans-serif' font-size='11'>";
  out += "<text x='0' y='14' font-weight='bold'>" + Escape(title) + "</text>";
  for (size_t i = 0; i < r.policies.size(); ++i) {
    const double v = get(r.policies[i]);
    const int y = 22 + row * int(i);
    const double bw = (w - left - 80) * v / vmax;
    out += "<text x='" + std::to_string(left - 5) + "' y='" + std::to_string(y + 13) +
           "' text-anchor='end'>" + Escape(r.policies[i].name) + "</text>";
    out += "<rect x='" + std::to_string(left) + "' y='" + std::to_string(y + 2) + "' width='" +
           Fixed(bw, 1) + "' height='" + std::to_string(row - 5) + "' fill='" + PolicyColour(i) +
           "'/>";
    out += "<text x='" + Fixed(left + bw + 5, 1) + "' y='" + std::to_string(y + 13) + "'>" +
           Fixed(v, digits) + "</text>";
  }
  return out + "</svg>";
}

}  // namespace

std::string FormatTable(const SimReport& r) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "apsis-sim: %zu jobs, horizon %.1f h from %s, seed %llu\n", r.jobs,
                ToSeconds(r.horizon) / 3600.0, FormatRfc3339(r.epoch).c_str(),
                static_cast<unsigned long long>(r.seed));
  out += buf;
  std::snprintf(buf, sizeof buf, "%-15s %9s %10s %10s %9s %6s %9s %9s %9s %6s %6s %7s %9s\n",
                "policy", "jobs_done", "energy_kWh", "energy_$", "carbon_kg", "SLO", "wait_p50",
                "wait_p95", "wait_p99", "gpu_gr", "gpu_or", "preempt", "moved_GB");
  out += buf;
  for (const PolicyResult& p : r.policies) {
    std::snprintf(buf, sizeof buf,
                  "%-15s %9lld %10.1f %10.2f %9.1f %5.1f%% %8.0fs %8.0fs %8.0fs %5.1f%% %5.1f%% "
                  "%7lld %9.1f\n",
                  p.name.c_str(), static_cast<long long>(p.jobs_done), p.energy_kwh,
                  p.energy_cost_usd, p.carbon_kg, 100 * p.slo_attainment, p.wait_p50_s,
                  p.wait_p95_s, p.wait_p99_s, 100 * p.gpu_utilisation_ground,
                  100 * p.gpu_utilisation_orbit, static_cast<long long>(p.preemptions),
                  p.data_moved_gb);
    out += buf;
  }
  for (const PolicyResult& p : r.policies) {
    if (p.jobs_rejected > 0 || p.battery_unmet_wh > 0 || !p.anomalies.empty()) {
      std::snprintf(buf, sizeof buf,
                    "%s: %lld rejected, %.1f Wh unmet by batteries, %zu anomalies\n",
                    p.name.c_str(), static_cast<long long>(p.jobs_rejected), p.battery_unmet_wh,
                    p.anomalies.size());
      out += buf;
    }
    for (const std::string& a : p.anomalies) out += "  " + p.name + ": " + a + "\n";
  }
  return out;
}

std::string FormatJson(const SimReport& r) {
  nlohmann::ordered_json j;
  j["policies"] = nlohmann::ordered_json::array();
  for (const PolicyResult& p : r.policies) {
    nlohmann::ordered_json e;
    e["name"] = p.name;
    e["jobs_done"] = p.jobs_done;
    e["energy_kwh"] = p.energy_kwh;
    e["energy_cost_usd"] = p.energy_cost_usd;
    e["carbon_kg"] = p.carbon_kg;
    e["slo_attainment"] = p.slo_attainment;
    e["wait_p50_s"] = p.wait_p50_s;
    e["wait_p95_s"] = p.wait_p95_s;
    e["wait_p99_s"] = p.wait_p99_s;
    e["gpu_utilisation_ground"] = p.gpu_utilisation_ground;
    e["gpu_utilisation_orbit"] = p.gpu_utilisation_orbit;
    e["preemptions"] = p.preemptions;
    e["data_moved_gb"] = p.data_moved_gb;
    // Beyond the stable keys: what else a reader may want.
    e["jobs_submitted"] = p.jobs_submitted;
    e["jobs_started"] = p.jobs_started;
    e["jobs_rejected"] = p.jobs_rejected;
    e["battery_unmet_wh"] = p.battery_unmet_wh;
    e["plan_calls"] = p.plan_calls;
    e["check_violations"] = p.check_violations;
    // With --bound: the LP lower bound on this work's energy cost and the gap to it.
    if (p.energy_lower_bound_usd) {
      const double gap_usd = p.energy_cost_usd - *p.energy_lower_bound_usd;
      e["energy_lower_bound_usd"] = *p.energy_lower_bound_usd;
      e["optimality_gap_usd"] = gap_usd;
      e["optimality_gap"] = p.energy_cost_usd > 0 ? gap_usd / p.energy_cost_usd : 0.0;
    } else if (!p.bound_error.empty()) {
      e["optimality_gap_error"] = p.bound_error;
    }
    j["policies"].push_back(std::move(e));
  }
  j["horizon_s"] = ToSeconds(r.horizon);
  j["seed"] = r.seed;
  j["epoch"] = FormatRfc3339(r.epoch);
  j["jobs"] = r.jobs;
  return j.dump(2) + "\n";
}

std::string FormatHtml(const SimReport& r, const FleetModel& fleet) {
  std::string out =
      "<!DOCTYPE html><html><head><meta charset='utf-8'><title>apsis-sim report</title>"
      "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
      "td:first-child{text-align:left}</style></head><body>";
  out += "<h1>apsis-sim report</h1><p>" + std::to_string(r.jobs) + " jobs on " +
         std::to_string(fleet.nodes().size()) + " nodes (" +
         std::to_string(fleet.fleet().ground.size()) + " ground, " +
         std::to_string(fleet.fleet().orbital.size()) + " orbital), horizon " +
         Fixed(ToSeconds(r.horizon) / 3600.0, 1) + " h from " + FormatRfc3339(r.epoch) + ", seed " +
         std::to_string(r.seed) + ".</p>";
  out +=
      "<h2>Policy comparison</h2><table><tr><th>policy</th><th>jobs done</th><th>energy "
      "kWh</th><th>energy $</th><th>carbon kg</th><th>inference SLO</th><th>wait p50 "
      "s</th><th>wait p95 s</th><th>wait p99 s</th><th>GPU util ground</th><th>GPU util "
      "orbit</th><th>preemptions</th><th>data moved GB</th></tr>";
  for (const PolicyResult& p : r.policies) {
    out += "<tr><td>" + Escape(p.name) + "</td><td>" + std::to_string(p.jobs_done) + "</td><td>" +
           Fixed(p.energy_kwh, 1) + "</td><td>" + Fixed(p.energy_cost_usd, 2) + "</td><td>" +
           Fixed(p.carbon_kg, 1) + "</td><td>" + Fixed(100 * p.slo_attainment, 1) + " %</td><td>" +
           Fixed(p.wait_p50_s, 0) + "</td><td>" + Fixed(p.wait_p95_s, 0) + "</td><td>" +
           Fixed(p.wait_p99_s, 0) + "</td><td>" + Fixed(100 * p.gpu_utilisation_ground, 1) +
           " %</td><td>" + Fixed(100 * p.gpu_utilisation_orbit, 1) + " %</td><td>" +
           std::to_string(p.preemptions) + "</td><td>" + Fixed(p.data_moved_gb, 1) + "</td></tr>";
  }
  out += "</table><p>";
  out += Bars(
      r, "energy cost ($)", [](const PolicyResult& p) { return p.energy_cost_usd; }, 2);
  out += Bars(
      r, "inference SLO attainment", [](const PolicyResult& p) { return p.slo_attainment; }, 3);
  out += Bars(
      r, "jobs done", [](const PolicyResult& p) { return double(p.jobs_done); }, 0);
  out += Bars(
      r, "wait p95 (s)", [](const PolicyResult& p) { return p.wait_p95_s; }, 0);
  out += "</p><h2>Cost and utilisation</h2>";
  std::vector<std::vector<double>> cost, ground, orbit;
  for (const PolicyResult& p : r.policies) {
    cost.push_back(p.hourly_cost_usd);
    ground.push_back(p.hourly_util_ground);
    orbit.push_back(p.hourly_util_orbit);
  }
  out += LineChart(r, "cumulative energy cost", "$ (x: hours from the epoch)", cost, true);
  out += "<br>" +
         LineChart(r, "GPU utilisation, ground (hourly)", "share of ground GPUs", ground, false);
  out += "<br>" +
         LineChart(r, "GPU utilisation, orbit (hourly)", "share of orbital GPUs", orbit, false);
  out += "<h2>Per-node timelines</h2>";
  const size_t kMaxTimelineNodes = 200;
  if (fleet.nodes().size() > kMaxTimelineNodes) {
    out += "<p>(" + std::to_string(fleet.nodes().size()) +
           " nodes: timelines are drawn for fleets of up to " + std::to_string(kMaxTimelineNodes) +
           " nodes)</p>";
  } else {
    for (const PolicyResult& p : r.policies) out += Timeline(p, fleet, r) + "<br>";
  }
  return out + "</body></html>\n";
}

}  // namespace apsis::sim
