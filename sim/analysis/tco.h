// Total cost of ownership of one GPU on the ground and in orbit, and the launch price at which
// orbit breaks even: the planning question behind Apsis ("does this workload pay in orbit?").
//
// Everything is per GPU over its lifetime, in US dollars. A GPU slot costs its chip (with its
// share of the server), the facility around it and, on the ground, the energy it draws; in orbit
// the facility is the satellite (solar arrays, radiators, batteries, structure) and its launch,
// and the energy is free sunlight. Dividing by the GPU-hours that did useful work (lifetime hours
// x utilisation) gives the cost per useful GPU-hour. The formulas and the sources of the defaults
// are in README.md ("Cost of ownership"). Pure functions over plain values (thread-compatible).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::sim {

struct TcoParams {
  // Shared by both sides.
  double gpu_cost_usd = 30000;  // one GPU with its share of the server and network
  double kw_per_gpu = 1.275;    // IT power per GPU at full load, server share included
  double lifetime_years = 5;    // service life of the GPU (and of the satellite carrying it)

  // Ground.
  double energy_usd_per_kwh = 0.08;     // price paid for grid energy
  double pue = 1.3;                     // facility energy / IT energy
  double idle_power_fraction = 0.3;     // draw of an idle GPU slot, as a fraction of full load
  double facility_usd_per_kw = 11700;   // building, power and cooling capex per kW of IT load
  double facility_lifetime_years = 15;  // the facility outlives several GPU generations
  double utilisation_ground = 0.8;      // fraction of lifetime hours doing useful work

  // Orbit.
  double launch_usd_per_kg = 4000;          // price to low Earth orbit
  double kg_per_kw = 20;                    // orbital node mass per kW of IT power it sustains
  double orbit_hardware_usd_per_kw = 5000;  // satellite (arrays, radiators, batteries, bus) per kW
  double utilisation_orbit = 0.8;           // fraction of lifetime hours doing useful work
};

// Checks every field for a usable value; the message names the field and the accepted range.
Status ValidateTcoParams(const TcoParams& params);

// One side's lifetime cost per GPU, split by what it pays for.
struct TcoBreakdown {
  double chips_usd = 0;     // GPU and server
  double facility_usd = 0;  // ground: facility capex share; orbit: satellite hardware
  double launch_usd = 0;    // orbit only
  double energy_usd = 0;    // ground only (sunlight is free)
  double useful_gpu_hours = 0;

  double total_usd() const { return chips_usd + facility_usd + launch_usd + energy_usd; }
  double usd_per_useful_gpu_hour() const { return total_usd() / useful_gpu_hours; }
};

struct TcoComparison {
  TcoBreakdown ground;
  TcoBreakdown orbit;
};

// Both sides' costs for `params` (assumed valid: see ValidateTcoParams).
TcoComparison ComputeTco(const TcoParams& params);

// The launch price ($/kg) at which orbit costs the same per useful GPU-hour as the ground, all
// else equal. Orbit's cost is linear in the launch price, so this is closed-form. Negative when
// orbit is dearer even with free launches (chips and satellite alone cost more per useful hour).
double BreakEvenLaunchUsdPerKg(const TcoParams& params);

// One row of a sweep over launch prices.
struct LaunchSweepPoint {
  double launch_usd_per_kg = 0;
  double orbit_usd_per_gpu_hour = 0;
  double ground_usd_per_gpu_hour = 0;
};

struct LaunchSweep {
  std::vector<LaunchSweepPoint> points;  // ascending launch price
  // Where orbit's cost per useful GPU-hour crosses the ground's, interpolated between the two
  // sweep points that bracket it; unset when the sweep range does not contain a crossing.
  bool has_break_even = false;
  double break_even_usd_per_kg = 0;
};

// `points` launch prices spaced evenly in log scale from `min_usd_per_kg` to `max_usd_per_kg`
// (0 < min < max, points >= 2), every other parameter from `params`.
Result<LaunchSweep> SweepLaunchPrice(const TcoParams& params, double min_usd_per_kg,
                                     double max_usd_per_kg, int points);

}  // namespace apsis::sim
