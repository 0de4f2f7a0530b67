#include "sim/analysis/tco_command.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>
#include <tuple>

#include "sim/analysis/tco.h"

namespace apsis::sim {
namespace {

// A numeric flag bound to the field it sets.
struct NumberFlag {
  std::string_view name;
  double* value;
  std::string_view help;
};

struct SweepOptions {
  double min_usd_per_kg = 10;
  double max_usd_per_kg = 10000;
  double points = 13;
};

std::vector<NumberFlag> NumberFlags(TcoParams& p, SweepOptions& s) {
  return {
      {"--gpu-cost-usd", &p.gpu_cost_usd, "one GPU with its share of server and network, $"},
      {"--kw-per-gpu", &p.kw_per_gpu, "IT power per GPU at full load, server share included, kW"},
      {"--lifetime-years", &p.lifetime_years, "service life of a GPU and its satellite, years"},
      {"--energy-usd-per-kwh", &p.energy_usd_per_kwh, "ground energy price, $/kWh"},
      {"--pue", &p.pue, "ground power usage effectiveness (facility energy / IT energy)"},
      {"--idle-power-fraction", &p.idle_power_fraction, "idle draw as a fraction of full load"},
      {"--facility-usd-per-kw", &p.facility_usd_per_kw, "ground facility capex per kW of IT, $"},
      {"--facility-lifetime-years", &p.facility_lifetime_years, "ground facility life, years"},
      {"--utilisation-ground", &p.utilisation_ground, "useful fraction of ground GPU-hours"},
      {"--launch-usd-per-kg", &p.launch_usd_per_kg, "launch price to low Earth orbit, $/kg"},
      {"--kg-per-kw", &p.kg_per_kw, "orbital node mass per kW of IT power it sustains, kg"},
      {"--orbit-hardware-usd-per-kw", &p.orbit_hardware_usd_per_kw,
       "satellite hardware (arrays, radiators, batteries, bus) per kW of IT, $"},
      {"--utilisation-orbit", &p.utilisation_orbit, "useful fraction of orbital GPU-hours"},
      {"--sweep-min-usd-per-kg", &s.min_usd_per_kg, "lowest launch price of the sweep, $/kg"},
      {"--sweep-max-usd-per-kg", &s.max_usd_per_kg, "highest launch price of the sweep, $/kg"},
      {"--sweep-points", &s.points, "launch prices in the sweep (log-spaced)"},
  };
}

void PrintUsage(std::ostream& out) {
  TcoParams p;
  SweepOptions s;
  out << "Usage: apsis-sim tco [--FLAG VALUE]... [--from-sim FILE [--policy NAME]]\n"
         "Cost per useful GPU-hour on the ground and in orbit, and the launch price at which\n"
         "orbit breaks even (formulas and sources: README.md, \"Cost of ownership\").\n\n";
  for (const NumberFlag& f : NumberFlags(p, s)) {
    out << fmt::format("  {:<30} {} (default {})\n", f.name, f.help, *f.value);
  }
  out << fmt::format("  {:<30} {}\n", "--from-sim FILE",
                     "take both utilisations from `apsis-sim run --json` output")
      << fmt::format("  {:<30} {}\n", "--policy NAME",
                     "the policy to read from FILE (default cost)")
      << fmt::format("  {:<30} {}\n", "-h, --help", "this text");
}

Result<double> ParseNumber(std::string_view flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE ||
      !std::isfinite(value)) {
    return InvalidArgumentError(fmt::format(
        "{} '{}' is not a number: give a decimal value, e.g. {} 1.5", flag, text, flag));
  }
  return value;
}

// "line L, column C" of byte `offset` in `text` (1-based, as editors count).
std::string LineColumn(const std::string& text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

std::string Dollars(double value) {
  // Whole dollars with thousands separators; cents once below $100.
  if (std::fabs(value) < 100) return fmt::format("${:.2f}", value);
  std::string digits = fmt::format("{:.0f}", std::fabs(value));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (value < 0 ? "-$" : "$") + digits;
}

void PrintComparison(const TcoParams& p, const std::string& utilisation_source, std::ostream& out) {
  const TcoComparison c = ComputeTco(p);
  out << fmt::format("Cost per GPU over {} years (US $)\n\n", p.lifetime_years);
  out << fmt::format("  {:<28}{:>14}{:>14}\n", "", "ground", "orbit");
  auto row = [&](std::string_view label, double g, double o, bool ground_applies,
                 bool orbit_applies) {
    out << fmt::format("  {:<28}{:>14}{:>14}\n", label, ground_applies ? Dollars(g) : "-",
                       orbit_applies ? Dollars(o) : "-");
  };
  row("chips (GPU + server)", c.ground.chips_usd, c.orbit.chips_usd, true, true);
  row("facility / satellite", c.ground.facility_usd, c.orbit.facility_usd, true, true);
  row("launch", 0, c.orbit.launch_usd, false, true);
  row("energy", c.ground.energy_usd, 0, true, false);
  row("total", c.ground.total_usd(), c.orbit.total_usd(), true, true);
  out << fmt::format("  {:<28}{:>14.0f}{:>14.0f}\n", "useful GPU-hours", c.ground.useful_gpu_hours,
                     c.orbit.useful_gpu_hours);
  out << fmt::format("  {:<28}{:>14}{:>14}\n\n", "$ per useful GPU-hour",
                     fmt::format("${:.3f}", c.ground.usd_per_useful_gpu_hour()),
                     fmt::format("${:.3f}", c.orbit.usd_per_useful_gpu_hour()));
  const double total = c.ground.total_usd();
  out << fmt::format(
      "Ground lifetime cost: chips {:.0f} %, energy {:.0f} %, facility {:.0f} % "
      "(rule of thumb for AI data centres: chips ~70 %, energy ~15 %)\n",
      100 * c.ground.chips_usd / total, 100 * c.ground.energy_usd / total,
      100 * c.ground.facility_usd / total);
  out << fmt::format("Utilisation: ground {:.3f}, orbit {:.3f} ({})\n", p.utilisation_ground,
                     p.utilisation_orbit, utilisation_source);
  out << fmt::format("Launch at {}/kg: orbit costs {:.2f}x the ground per useful GPU-hour\n\n",
                     Dollars(p.launch_usd_per_kg),
                     c.orbit.usd_per_useful_gpu_hour() / c.ground.usd_per_useful_gpu_hour());
}

void PrintSweep(const TcoParams& p, const LaunchSweep& sweep, std::ostream& out) {
  out << fmt::format("  {:>14}{:>16}{:>16}{:>14}\n", "launch $/kg", "orbit $/GPU-h",
                     "ground $/GPU-h", "orbit/ground");
  for (const LaunchSweepPoint& pt : sweep.points) {
    out << fmt::format("  {:>14}{:>16.3f}{:>16.3f}{:>14.2f}\n", Dollars(pt.launch_usd_per_kg),
                       pt.orbit_usd_per_gpu_hour, pt.ground_usd_per_gpu_hour,
                       pt.orbit_usd_per_gpu_hour / pt.ground_usd_per_gpu_hour);
  }
  const double closed_form = BreakEvenLaunchUsdPerKg(p);
  const std::string range = fmt::format("{}-{}/kg", Dollars(sweep.points.front().launch_usd_per_kg),
                                        Dollars(sweep.points.back().launch_usd_per_kg));
  if (sweep.has_break_even) {
    out << fmt::format("Orbit breaks even at a launch price of {}/kg; below it orbit is cheaper.\n",
                       Dollars(sweep.break_even_usd_per_kg));
  } else if (closed_form < 0) {
    out << fmt::format(
        "Orbit does not break even at any launch price: chips and satellite alone cost more per "
        "useful GPU-hour than the ground ({} short per GPU even with free launches).\n",
        Dollars(-closed_form * p.kg_per_kw * p.kw_per_gpu));
  } else {
    out << fmt::format("Orbit does not break even within {}: it would at {}/kg.\n", range,
                       Dollars(closed_form));
  }
}

}  // namespace

Result<PolicyUtilisation> ReadPolicyUtilisation(const std::string& path,
                                                const std::string& policy) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError(fmt::format(
        "{}: cannot open it: write it with `apsis-sim run --json {}` or fix the path", path, path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is one past the offending character.
    return InvalidArgumentError(
        fmt::format("{}:{}: not valid JSON ({}): give the file that "
                    "`apsis-sim run --json` writes",
                    path, LineColumn(text, e.byte > 0 ? e.byte - 1 : 0), e.what()));
  }
  if (!doc.is_object() || !doc.contains("policies") || !doc["policies"].is_array()) {
    return InvalidArgumentError(fmt::format(
        "{}: no \"policies\" array at the top level: give the file that `apsis-sim run --json` "
        "writes",
        path));
  }
  std::string names;
  for (size_t i = 0; i < doc["policies"].size(); ++i) {
    const nlohmann::json& entry = doc["policies"][i];
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
      return InvalidArgumentError(fmt::format(
          "{}: policies[{}] has no \"name\" string: every entry names its policy", path, i));
    }
    const std::string name = entry["name"].get<std::string>();
    names += (names.empty() ? "" : ", ") + name;
    if (name != policy) continue;
    PolicyUtilisation result{name};
    for (auto [key, target] : {std::pair{"gpu_utilisation_ground", &result.ground},
                               std::pair{"gpu_utilisation_orbit", &result.orbit}}) {
      if (!entry.contains(key) || !entry[key].is_number()) {
        return InvalidArgumentError(
            fmt::format("{}: policy '{}' (policies[{}]) has no number \"{}\": rerun `apsis-sim run "
                        "--json` to write it",
                        path, name, i, key));
      }
      *target = entry[key].get<double>();
      if (!(*target >= 0 && *target <= 1)) {
        return InvalidArgumentError(
            fmt::format("{}: policy '{}' (policies[{}]) has \"{}\": {}, outside 0..1", path, name,
                        i, key, *target));
      }
    }
    return result;
  }
  return NotFoundError(fmt::format("{}: no policy '{}' in it (it has: {}): pick one with --policy",
                                   path, policy, names.empty() ? "none" : names));
}

int RunTcoCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  TcoParams params;
  SweepOptions sweep_options;
  std::vector<NumberFlag> flags = NumberFlags(params, sweep_options);
  std::optional<std::string> from_sim;
  std::optional<std::string> policy;
  bool ground_flag = false, orbit_flag = false;  // given explicitly: they win over --from-sim

  auto usage_error = [&](const std::string& message) {
    err << "apsis-sim tco: " << message << "\n(apsis-sim tco --help lists every flag)\n";
    return 2;
  };

  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (name == "-h" || name == "--help") {
      PrintUsage(out);
      return 0;
    }
    if (const size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take_value = [&]() -> std::optional<std::string> {
      if (value) return value;
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (name == "--from-sim" || name == "--policy") {
      std::optional<std::string> v = take_value();
      if (!v || v->empty()) {
        return usage_error(fmt::format("{} needs a value, e.g. {} {}", name, name,
                                       name == "--policy" ? "cost" : "sim.json"));
      }
      (name == "--from-sim" ? from_sim : policy) = *v;
      continue;
    }
    const NumberFlag* flag = nullptr;
    for (const NumberFlag& f : flags) {
      if (f.name == name) flag = &f;
    }
    if (flag == nullptr) {
      return usage_error(fmt::format("unknown flag '{}'", name));
    }
    std::optional<std::string> v = take_value();
    if (!v) return usage_error(fmt::format("{} needs a value, e.g. {} 1.5", name, name));
    Result<double> number = ParseNumber(name, *v);
    if (!number.ok()) return usage_error(number.status().message());
    *flag->value = *number;
    ground_flag |= name == "--utilisation-ground";
    orbit_flag |= name == "--utilisation-orbit";
  }

  std::string utilisation_source = "defaults; --from-sim takes them from a simulation";
  if (policy && !from_sim) {
    return usage_error(
        "--policy chooses a policy of the --from-sim file: give --from-sim FILE too");
  }
  if (from_sim) {
    Result<PolicyUtilisation> sim = ReadPolicyUtilisation(*from_sim, policy.value_or("cost"));
    if (!sim.ok()) return usage_error(sim.status().message());
    std::vector<std::string> taken;
    for (auto [side, value, overridden, target] :
         {std::tuple{"ground", sim->ground, ground_flag, &params.utilisation_ground},
          std::tuple{"orbit", sim->orbit, orbit_flag, &params.utilisation_orbit}}) {
      if (overridden) continue;
      if (value <= 0) {
        return usage_error(fmt::format(
            "{}: policy '{}' used no {} GPU (gpu_utilisation_{} 0), so its cost per useful {} "
            "GPU-hour is unbounded: pick a policy that uses both with --policy, or assume one "
            "with --utilisation-{} 0.8",
            *from_sim, sim->policy, side, side, side, side));
      }
      *target = value;
      taken.push_back(side);
    }
    utilisation_source = taken.empty() ? "flags; both override --from-sim"
                         : taken.size() == 2
                             ? fmt::format("policy '{}' in {}", sim->policy, *from_sim)
                             : fmt::format("{} from policy '{}' in {}, the other from its flag",
                                           taken[0], sim->policy, *from_sim);
  }

  if (Status s = ValidateTcoParams(params); !s.ok()) {
    // Field names map to flags: gpu_cost_usd -> --gpu-cost-usd.
    std::string message = s.message();
    const size_t space = message.find(' ');
    std::string field = message.substr(0, space);
    for (char& ch : field) ch = ch == '_' ? '-' : ch;
    std::string rest = message.substr(space);
    if (rest.rfind(" = ", 0) == 0) rest = rest.substr(2);
    return usage_error("--" + field + rest);
  }
  if (sweep_options.points != std::floor(sweep_options.points) || sweep_options.points > 1000) {
    return usage_error(fmt::format("--sweep-points {} must be a whole number from 2 to 1000",
                                   sweep_options.points));
  }
  Result<LaunchSweep> sweep =
      SweepLaunchPrice(params, sweep_options.min_usd_per_kg, sweep_options.max_usd_per_kg,
                       static_cast<int>(sweep_options.points));
  if (!sweep.ok()) {
    return usage_error(sweep.status().message() +
                       " (--sweep-min-usd-per-kg, --sweep-max-usd-per-kg, --sweep-points)");
  }
  PrintComparison(params, utilisation_source, out);
  PrintSweep(params, *sweep, out);
  return 0;
}

}  // namespace apsis::sim
