// Reports of a simulation: the comparison table (stdout), the JSON table read by
// `apsis-sim tco --from-sim`, and a self-contained HTML page with inline SVG charts.
//
// JSON keys (stable): {"policies":[{"name","jobs_done","energy_kwh","energy_cost_usd",
// "carbon_kg","slo_attainment","wait_p50_s","wait_p95_s","wait_p99_s","gpu_utilisation_ground",
// "gpu_utilisation_orbit","preemptions","data_moved_gb"}],"horizon_s","seed"}; with the bound
// attached (--bound) each policy also has "energy_lower_bound_usd", "optimality_gap_usd" and
// "optimality_gap" (fraction of its energy cost), or "optimality_gap_error". Pure functions of
// their inputs (byte-identical for identical reports); thread-safe.
#pragma once

#include <string>

#include "sim/node_model.h"
#include "sim/simulation.h"

namespace apsis::sim {

std::string FormatTable(const SimReport& report);
std::string FormatJson(const SimReport& report);
std::string FormatHtml(const SimReport& report, const FleetModel& fleet);

}  // namespace apsis::sim
