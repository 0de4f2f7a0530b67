#include "cli/orbit_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "link/contact_windows.h"
#include "link/frames.h"
#include "link/link_model.h"
#include "link/sgp4.h"
#include "link/station_file.h"
#include "link/sun.h"
#include "link/tle.h"

namespace apsis::cli {
namespace {

using link::Sgp4;

// Station node numbers in exported ION contact plans: far above any catalogue number (Alpha-5
// ends at 339999), so satellites keep their catalogue number as node number.
constexpr int64_t kIonStationNodeBase = 1000000;

[[noreturn]] void Fail(const std::string& command, const std::string& message) {
  std::cerr << "apsisctl orbit " << command << ": " << message << "\n";
  throw CLI::RuntimeError(1);
}

std::string ReadFileOrFail(const std::string& command, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(command, "cannot read '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Satellite {
  link::OrbitalElements elements;
  std::unique_ptr<Sgp4> model;  // null when SGP4 rejects the elements at epoch
  std::string error;
};

std::vector<Satellite> LoadSatellites(const std::string& command, const std::string& path) {
  auto sets = link::ParseTleText(ReadFileOrFail(command, path), path);
  if (!sets.ok()) Fail(command, sets.status().message());
  std::vector<Satellite> out;
  for (link::OrbitalElements& e : *sets) {
    Satellite s;
    auto model = Sgp4::Create(e);
    if (model.ok()) {
      s.model = std::make_unique<Sgp4>(std::move(*model));
    } else {
      s.error = model.status().message();
    }
    s.elements = std::move(e);
    out.push_back(std::move(s));
  }
  return out;
}

TimePoint ParseTimeOrFail(const std::string& command, const std::string& flag,
                          const std::string& text) {
  auto t = ParseRfc3339(text);
  if (!t.ok()) Fail(command, flag + ": " + t.status().message());
  return *t;
}

TimePoint NowToTheSecond() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return TimePoint::FromMicros(std::chrono::duration_cast<std::chrono::seconds>(now).count() *
                               1000000);
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Rows for table and CSV output; JSON output is built separately with the exact shapes.
struct TextTable {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;

  void Print(std::ostream& out, const std::string& format) const {
    if (format == "csv") {
      auto csv_cell = [](const std::string& s) {
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string quoted = "\"";
        for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
      };
      for (size_t i = 0; i < headers.size(); ++i) out << (i ? "," : "") << csv_cell(headers[i]);
      out << "\n";
      for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_cell(row[i]);
        out << "\n";
      }
      return;
    }
    std::vector<size_t> width(headers.size());
    for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
        width[i] = std::max(width[i], row[i].size());
      }
    }
    auto print_row = [&](const std::vector<std::string>& row) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
      }
      out << line << "\n";
    };
    print_row(headers);
    for (const auto& row : rows) print_row(row);
  }
};

void AddOutputOption(CLI::App* cmd, std::string* format, bool with_ion) {
  std::vector<std::string> choices = {"table", "csv", "json"};
  if (with_ion) choices.push_back("ion");
  cmd->add_option("-o,--output", *format,
                  with_ion ? "Output format: table, csv, json or ion (ION-DTN contact plan)"
                           : "Output format: table, csv or json")
      ->check(CLI::IsMember(choices))
      ->capture_default_str();
}

// ---- orbit propagate ----

struct PropagateOptions {
  std::string tle;
  std::string at, from, to, step = "60s";
  std::string format = "table";
};

void RunPropagate(const PropagateOptions& o) {
  const std::string cmd = "propagate";
  std::vector<TimePoint> times;
  if (!o.at.empty()) {
    if (!o.from.empty() || !o.to.empty()) Fail(cmd, "give either --at or --from/--to, not both");
    times.push_back(ParseTimeOrFail(cmd, "--at", o.at));
  } else {
    if (o.from.empty() || o.to.empty()) Fail(cmd, "give --at T, or --from T --to T [--step S]");
    const TimePoint from = ParseTimeOrFail(cmd, "--from", o.from);
    const TimePoint to = ParseTimeOrFail(cmd, "--to", o.to);
    auto step = ParseDuration(o.step);
    if (!step.ok()) Fail(cmd, "--step: " + step.status().message());
    if (step->count() <= 0) Fail(cmd, "--step must be positive");
    if (to < from) Fail(cmd, "--to is before --from");
    if ((to - from) / *step > 1000000) Fail(cmd, "more than 1,000,000 times; use a larger --step");
    for (TimePoint t = from; t <= to; t += *step) times.push_back(t);
  }
  const std::vector<Satellite> sats = LoadSatellites(cmd, o.tle);

  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  TextTable table{{"satnum", "name", "time", "x_km", "y_km", "z_km", "vx_km_s", "vy_km_s",
                   "vz_km_s", "lat_deg", "lon_deg", "alt_km", "sunlit", "error"},
                  {}};
  for (const Satellite& sat : sats) {
    for (TimePoint t : times) {
      nlohmann::ordered_json row = {
          {"satnum", sat.elements.satnum}, {"name", sat.elements.name}, {"time", FormatRfc3339(t)}};
      std::string error = sat.error;
      link::TemeState s;
      if (sat.model) {
        auto state = sat.model->PropagateAt(t);
        if (state.ok()) {
          s = *state;
        } else {
          error = state.status().message();
        }
      }
      if (!error.empty()) {
        row["error"] = error;
        json.push_back(row);
        table.rows.push_back({std::to_string(sat.elements.satnum), sat.elements.name,
                              FormatRfc3339(t), "", "", "", "", "", "", "", "", "", "", error});
        continue;
      }
      const link::Geodetic g =
          link::EcefToGeodetic(link::TemeToEcefPosition(s.r_km, link::Gmst(t)));
      const double sunlit = link::SunlitFraction(s.r_km, link::SunPositionEci(t));
      row["teme"] = {{"r_km", {s.r_km.x, s.r_km.y, s.r_km.z}},
                     {"v_km_s", {s.v_km_s.x, s.v_km_s.y, s.v_km_s.z}}};
      row["geodetic"] = {{"lat_deg", g.lat_deg}, {"lon_deg", g.lon_deg}, {"alt_km", g.alt_km}};
      row["sunlit_fraction"] = sunlit;
      json.push_back(row);
      table.rows.push_back({std::to_string(sat.elements.satnum), sat.elements.name,
                            FormatRfc3339(t), Fixed(s.r_km.x, 3), Fixed(s.r_km.y, 3),
                            Fixed(s.r_km.z, 3), Fixed(s.v_km_s.x, 6), Fixed(s.v_km_s.y, 6),
                            Fixed(s.v_km_s.z, 6), Fixed(g.lat_deg, 4), Fixed(g.lon_deg, 4),
                            Fixed(g.alt_km, 3), Fixed(sunlit, 3), ""});
    }
  }
  if (o.format == "json") {
    std::cout << json.dump(2) << "\n";
  } else {
    table.Print(std::cout, o.format);
  }
}

// ---- orbit windows ----

struct WindowsOptions {
  std::string tle, stations, start;
  double hours = 24;
  std::optional<double> min_elevation;
  double uplink_bps = 0;  // for stations whose file gives no rate
  double downlink_bps = 0;
  std::string format = "table";
};

void RunWindows(const WindowsOptions& o) {
  const std::string cmd = "windows";
  const TimePoint start =
      o.start.empty() ? NowToTheSecond() : ParseTimeOrFail(cmd, "--start", o.start);
  if (!(o.hours > 0 && o.hours <= 24 * 366)) Fail(cmd, "--hours must be in (0, 8784]");
  const TimePoint end = start + Hours(o.hours);
  const std::vector<Satellite> sats = LoadSatellites(cmd, o.tle);
  auto stations = link::ParseStationFile(ReadFileOrFail(cmd, o.stations), o.stations);
  if (!stations.ok()) Fail(cmd, stations.status().message());
  for (link::GroundStation& station : *stations) {
    if (station.uplink_bps == 0) station.uplink_bps = o.uplink_bps;
    if (station.downlink_bps == 0) station.downlink_bps = o.downlink_bps;
  }

  std::vector<Sgp4> models;
  std::vector<const Satellite*> owners;
  for (const Satellite& s : sats) {
    if (!s.model) {
      std::cerr << "apsisctl orbit windows: skipping " << s.error << "\n";
      continue;
    }
    models.push_back(*s.model);
    owners.push_back(&s);
  }
  link::ContactSearchOptions search;
  search.min_elevation_deg = o.min_elevation;
  const auto results = link::FindFleetContactWindows(models, *stations, start, end, search);

  struct Row {
    const Satellite* sat;
    const ContactWindow* window;
  };
  std::vector<Row> rows;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].status.ok()) {
      std::cerr << "apsisctl orbit windows: " << results[i].status.message() << "\n";
    }
    for (const ContactWindow& w : results[i].windows) rows.push_back({owners[i], &w});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.window->aos != b.window->aos) return a.window->aos < b.window->aos;
    return a.sat->elements.satnum < b.sat->elements.satnum;
  });

  if (o.format == "ion") {
    std::map<std::string, int64_t> station_nodes;
    std::cout << "# Nodes: satellites use their catalogue number";
    for (size_t i = 0; i < stations->size(); ++i) {
      station_nodes[(*stations)[i].name] = kIonStationNodeBase + static_cast<int64_t>(i) + 1;
      std::cout << "; " << kIonStationNodeBase + static_cast<int64_t>(i) + 1 << " = "
                << (*stations)[i].name;
    }
    std::cout << "\n";
    std::vector<link::IonNodeContacts> contacts;
    for (size_t i = 0; i < results.size(); ++i) {
      contacts.push_back({owners[i]->elements.satnum, results[i].windows});
    }
    auto plan = link::FormatIonContactPlan(contacts, station_nodes, start);
    if (!plan.ok()) Fail(cmd, plan.status().message());
    std::cout << *plan;
    return;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  TextTable table{{"satnum", "name", "station", "aos", "los", "duration_s", "max_elevation_deg",
                   "max_elevation_at", "min_range_km"},
                  {}};
  for (const Row& r : rows) {
    const ContactWindow& w = *r.window;
    json.push_back({{"satnum", r.sat->elements.satnum},
                    {"station", w.station},
                    {"aos", FormatRfc3339(w.aos)},
                    {"los", FormatRfc3339(w.los)},
                    {"max_elevation_deg", w.max_elevation_deg},
                    {"max_elevation_at", FormatRfc3339(w.max_elevation_at)},
                    {"min_range_km", w.min_range_km}});
    table.rows.push_back({std::to_string(r.sat->elements.satnum), r.sat->elements.name, w.station,
                          FormatRfc3339(w.aos), FormatRfc3339(w.los),
                          Fixed(ToSeconds(w.duration()), 1), Fixed(w.max_elevation_deg, 2),
                          FormatRfc3339(w.max_elevation_at), Fixed(w.min_range_km, 1)});
  }
  if (o.format == "json") {
    std::cout << json.dump(2) << "\n";
  } else {
    table.Print(std::cout, o.format);
  }
}

// ---- orbit eclipses ----

struct EclipsesOptions {
  std::string tle, start;
  double hours = 24;
  std::string format = "table";
};

void RunEclipses(const EclipsesOptions& o) {
  const std::string cmd = "eclipses";
  const TimePoint start =
      o.start.empty() ? NowToTheSecond() : ParseTimeOrFail(cmd, "--start", o.start);
  if (!(o.hours > 0 && o.hours <= 24 * 366)) Fail(cmd, "--hours must be in (0, 8784]");
  const TimePoint end = start + Hours(o.hours);
  const std::vector<Satellite> sats = LoadSatellites(cmd, o.tle);
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  TextTable table{{"satnum", "name", "entry", "exit", "umbra_s", "penumbra_s"}, {}};
  for (const Satellite& sat : sats) {
    if (!sat.model) {
      std::cerr << "apsisctl orbit eclipses: skipping " << sat.error << "\n";
      continue;
    }
    auto eclipses = link::FindEclipses(*sat.model, start, end);
    if (!eclipses.ok()) {
      std::cerr << "apsisctl orbit eclipses: " << eclipses.status().message() << "\n";
      continue;
    }
    for (const link::Eclipse& e : *eclipses) {
      json.push_back({{"satnum", sat.elements.satnum},
                      {"entry", FormatRfc3339(e.entry)},
                      {"exit", FormatRfc3339(e.exit)},
                      {"umbra_s", e.umbra_s},
                      {"penumbra_s", e.penumbra_s}});
      table.rows.push_back({std::to_string(sat.elements.satnum), sat.elements.name,
                            FormatRfc3339(e.entry), FormatRfc3339(e.exit), Fixed(e.umbra_s, 1),
                            Fixed(e.penumbra_s, 1)});
    }
  }
  if (o.format == "json") {
    std::cout << json.dump(2) << "\n";
  } else {
    table.Print(std::cout, o.format);
  }
}

}  // namespace

void AddOrbitCommands(CLI::App& app) {
  CLI::App* orbit = app.add_subcommand(
      "orbit", "Offline orbit tools: propagate TLEs, predict contact windows and eclipses");
  orbit->require_subcommand(1);

  auto propagate = std::make_shared<PropagateOptions>();
  CLI::App* p = orbit->add_subcommand(
      "propagate", "SGP4 states (TEME), geodetic position and sunlit fraction of every satellite");
  p->add_option("--tle", propagate->tle, "TLE file (two- or three-line sets)")->required();
  p->add_option("--at", propagate->at, "One time, RFC 3339 (e.g. 2026-12-01T00:00:00Z)");
  p->add_option("--from", propagate->from, "First time, RFC 3339");
  p->add_option("--to", propagate->to, "Last time, RFC 3339");
  p->add_option("--step", propagate->step, "Step between times, e.g. 60s, 5m")
      ->capture_default_str();
  AddOutputOption(p, &propagate->format, false);
  p->callback([propagate] { RunPropagate(*propagate); });

  auto windows = std::make_shared<WindowsOptions>();
  CLI::App* w = orbit->add_subcommand(
      "windows", "Contact windows of every satellite over every ground station, sorted by AOS");
  w->add_option("--tle", windows->tle, "TLE file (two- or three-line sets)")->required();
  w->add_option("--stations", windows->stations,
                "Ground stations: YAML list (name, lat, lon, alt_m, min_elevation_deg, "
                "uplink_bps, downlink_bps) or GeoJSON points")
      ->required();
  w->add_option("--start", windows->start, "Horizon start, RFC 3339 (default: now)");
  w->add_option("--hours", windows->hours, "Horizon length in hours")->capture_default_str();
  w->add_option("--min-elevation", windows->min_elevation,
                "Elevation mask in degrees for every station (default: each station's own)");
  w->add_option("--uplink-bps", windows->uplink_bps,
                "Uplink rate for stations whose file gives none (ION contact plans)")
      ->check(CLI::NonNegativeNumber);
  w->add_option("--downlink-bps", windows->downlink_bps,
                "Downlink rate for stations whose file gives none (ION contact plans)")
      ->check(CLI::NonNegativeNumber);
  AddOutputOption(w, &windows->format, true);
  w->callback([windows] { RunWindows(*windows); });

  auto eclipses = std::make_shared<EclipsesOptions>();
  CLI::App* e = orbit->add_subcommand(
      "eclipses", "Earth-shadow passages (conical umbra and penumbra) of every satellite");
  e->add_option("--tle", eclipses->tle, "TLE file (two- or three-line sets)")->required();
  e->add_option("--start", eclipses->start, "Horizon start, RFC 3339 (default: now)");
  e->add_option("--hours", eclipses->hours, "Horizon length in hours")->capture_default_str();
  AddOutputOption(e, &eclipses->format, false);
  e->callback([eclipses] { RunEclipses(*eclipses); });
}

}  // namespace apsis::cli
