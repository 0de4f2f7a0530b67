// The optimality gap of a simulated policy's energy cost: the LP lower bound of
// sim/analysis/energy_bound.h over the same fleet and the same work.
//
// The bound instance holds, for each job, the GPU-hours the policy actually ran within the
// horizon (so a policy that left work undone is not compared with a schedule that finished it),
// to be done between the job's submission and its deadline (or serving end; later if the policy
// ran later) on any node. Steps of `step` merge the fleet's forecast steps with the cheapest price,
// the highest power and any contact of the merged steps, so every schedule the simulation could
// produce stays feasible and the bound stays a bound. Ground energy is priced as the simulation
// prices it (hourly price x IT energy x PUE), orbital energy at the run's orbital $/kWh.
// Pure functions; thread-compatible.
#pragma once

#include <string>

#include "common/status.h"
#include "common/time.h"
#include "sim/analysis/energy_bound.h"
#include "sim/node_model.h"
#include "sim/simulation.h"
#include "sim/workload.h"

namespace apsis::sim {

struct BoundOptions {
  Duration horizon = Hours(24);
  Duration step = Minutes(15);  // a whole multiple of the fleet's forecast step
  double orbital_energy_usd_per_kwh = 0;
};

Result<BoundInstance> BuildBoundInstance(const FleetModel& fleet, const Workload& workload,
                                         const PolicyResult& result, const BoundOptions& options);

struct OptimalityGap {
  std::string policy;
  double energy_cost_usd = 0;  // what the policy spent
  double lower_bound_usd = 0;  // no schedule of the same work spends less
  double gap_usd = 0;          // energy_cost_usd - lower_bound_usd
  double gap_fraction = 0;     // gap_usd / energy_cost_usd (0 when nothing was spent)
  int lp_variables = 0;
};

Result<OptimalityGap> ComputeOptimalityGap(const FleetModel& fleet, const Workload& workload,
                                           const PolicyResult& result, const BoundOptions& options);

// Computes every policy's lower bound into its PolicyResult (energy_lower_bound_usd, or
// bound_error when it cannot be computed: instance too large, ...), for the table and the JSON.
void AttachOptimalityGaps(const FleetModel& fleet, const Workload& workload,
                          const BoundOptions& options, SimReport* report);

// The `--bound` section of `apsis-sim run` from the attached bounds: each policy's energy cost,
// its lower bound and the gap, or the reason the bound is missing.
std::string FormatOptimalityGaps(const SimReport& report, const BoundOptions& options);

}  // namespace apsis::sim
