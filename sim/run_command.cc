#include "sim/run_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>

#include "scheduler/core/policy/placement_policy.h"
#include "sim/optimality_gap.h"
#include "sim/report.h"
#include "sim/simulation.h"

#ifndef APSIS_SOURCE_DIR
#define APSIS_SOURCE_DIR "."
#endif

namespace apsis::sim {
namespace {

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return InvalidArgumentError("cannot write " + path + "; check the directory exists");
  f << text;
  f.close();
  if (!f) return InternalError("writing " + path + " failed");
  return Status::Ok();
}

}  // namespace

std::string DefaultFleetPath() {
  const std::string local = "configs/sim/fleet.yaml";
  if (std::filesystem::exists(local)) return local;
  return std::string(APSIS_SOURCE_DIR) + "/configs/sim/fleet.yaml";
}

int RunSimCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("apsis-sim run: the scheduler core in virtual time over a workload",
               "apsis-sim run");
  std::string fleet_path = DefaultFleetPath();
  std::string workload_path;
  std::string format_name = "apsis";
  std::string horizon_text = "7d";
  double trace_offset = 0;
  uint64_t seed = 1;
  std::vector<std::string> policies;
  bool check = false;
  std::string html_path, json_path;
  int max_scored_nodes = 0;
  double orbital_usd_per_kwh = 0;
  bool bound = false;
  std::string bound_step_text = "15m";
  app.add_option("--fleet", fleet_path, "fleet YAML (default: the demo fleet)");
  app.add_option("--workload", workload_path, "workload file (Apsis CSV or a trace)")->required();
  app.add_option("--trace-format", format_name, "apsis | alibaba | tiresias")
      ->check(CLI::IsMember({"apsis", "alibaba", "tiresias"}));
  app.add_option("--trace-offset", trace_offset,
                 "trace seconds that map to the fleet's epoch (traces only)");
  app.add_option("--horizon", horizon_text, "simulated time, e.g. 7d, 24h");
  app.add_option("--seed", seed, "seed of the importers' random choices");
  app.add_option("--policy", policies,
                 "policy to simulate; repeat for a side-by-side comparison (default: all)");
  app.add_flag("--check", check,
               "run the plan checker after every planning step; exit 1 on a "
               "violation");
  app.add_option("--html", html_path, "write a self-contained HTML report");
  app.add_option("--json", json_path, "write the table as JSON");
  app.add_option("--max-scored-nodes", max_scored_nodes,
                 "engine search limit: score only N nodes per job (0: all)");
  app.add_option("--orbital-usd-per-kwh", orbital_usd_per_kwh,
                 "marginal price of orbital solar energy, in the objective and the report");
  app.add_flag("--bound", bound,
               "also print each policy's optimality gap against an LP lower bound on energy cost "
               "(small instances)");
  app.add_option("--bound-step", bound_step_text,
                 "time step of the bound's LP, a multiple of the forecast step (default 15m)");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "apsis-sim run: " << e.what() << "\n" << app.help();
    return 2;
  }
  auto fail = [&](const Status& s) {
    err << "apsis-sim run: " << s.message() << "\n";
    return 2;
  };
  Result<Duration> horizon = ParseDuration(horizon_text);
  if (!horizon.ok() || *horizon <= Duration::zero()) {
    return fail(InvalidArgumentError("--horizon '" + horizon_text +
                                     "' is not a positive duration; use e.g. 7d or 24h"));
  }
  Result<Duration> bound_step = ParseDuration(bound_step_text);
  if (!bound_step.ok() || *bound_step <= Duration::zero()) {
    return fail(InvalidArgumentError("--bound-step '" + bound_step_text +
                                     "' is not a positive duration; use e.g. 15m"));
  }
  if (policies.empty()) policies = core::PlacementPolicyNames();
  for (const std::string& p : policies) {
    if (auto made = core::MakePlacementPolicy(p); !made.ok()) return fail(made.status());
  }
  Result<Fleet> fleet = LoadFleet(fleet_path);
  if (!fleet.ok()) return fail(fleet.status());
  Result<TraceFormat> format = ParseTraceFormat(format_name);
  if (!format.ok()) return fail(format.status());
  ImportOptions import;
  import.epoch = fleet->epoch;
  import.offset_s = trace_offset;
  import.horizon = *horizon;
  import.seed = seed;
  Result<Workload> workload = LoadWorkload(workload_path, *format, import);
  if (!workload.ok()) return fail(workload.status());
  // Forecasts reach one horizon past the end so that work near the end can still be planned.
  auto model = FleetModel::Build(*fleet, *horizon + fleet->forecast_horizon + fleet->forecast_step);
  if (!model.ok()) return fail(model.status());
  SimOptions options;
  options.policies = policies;
  options.horizon = *horizon;
  options.seed = seed;
  options.check = check;
  options.engine.max_scored_nodes = max_scored_nodes;
  options.engine.weights.orbital_energy_usd_per_kwh = orbital_usd_per_kwh;
  Result<SimReport> report = Simulate(**model, *workload, options);
  if (!report.ok()) return fail(report.status());
  out << FormatTable(*report);
  if (bound) {
    const BoundOptions bound_options{*horizon, *bound_step, orbital_usd_per_kwh};
    AttachOptimalityGaps(**model, *workload, bound_options, &*report);
    out << FormatOptimalityGaps(*report, bound_options);
  }
  if (!json_path.empty()) {
    if (Status s = WriteFile(json_path, FormatJson(*report)); !s.ok()) return fail(s);
  }
  if (!html_path.empty()) {
    if (Status s = WriteFile(html_path, FormatHtml(*report, **model)); !s.ok()) return fail(s);
  }
  if (check) {
    int64_t total = 0;
    for (const PolicyResult& p : report->policies) {
      total += p.check_violations;
      for (const std::string& v : p.violations)
        err << "violation (" << p.name << "): " << v << "\n";
    }
    if (total > 0) {
      err << "apsis-sim run: the plan checker found " << total << " violations\n";
      return 1;
    }
    out << "plan checker: no violation in any planning step\n";
  }
  return 0;
}

}  // namespace apsis::sim
