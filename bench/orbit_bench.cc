// Orbit benchmarks: SGP4 propagation rate on one core, and the time to predict every contact
// window of the 421-satellite Starlink snapshot over the 12 AWS ground stations for 24 hours.
//
// Run from the project root (the fleet benchmarks read ../shared/data and are skipped without it):
//   build/bench/orbit_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "link/contact_windows.h"
#include "link/sgp4.h"
#include "link/station_file.h"
#include "link/sun.h"
#include "link/tle.h"

namespace apsis::link {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string SharedData(const std::string& relative) {
  const char* root = std::getenv("APSIS_SOURCE_DIR");
  return std::string(root ? root : ".") + "/../shared/data/" + relative;
}

Sgp4 Model(const char* line1, const char* line2) { return *Sgp4::Create(*ParseTle(line1, line2)); }

// STARLINK-31 (near-Earth) and a geosynchronous satellite (deep space, 24 h resonance).
void BM_Sgp4NearEarth(benchmark::State& state) {
  const Sgp4 sat = Model("1 44235U 19029A   20128.16667824  .00034978  00000-0  20154-2 0  9997",
                         "2 44235  53.0035  38.0572 0001730  67.2101 205.9720 15.12101915 53963");
  double t = 0;
  TemeState s;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sat.PropagateMinutes(t, &s));
    benchmark::DoNotOptimize(s);
    t += 0.37;
    if (t > 1440) t = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sgp4NearEarth);

void BM_Sgp4DeepSpaceGeo(benchmark::State& state) {
  const Sgp4 sat = Model("1 28626U 05008A   06176.46683397 -.00000205  00000-0  10000-3 0  2190",
                         "2 28626   0.0019 286.9433 0000335  13.7918  55.6504  1.00270176  4891");
  double t = 0;
  TemeState s;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sat.PropagateMinutes(t, &s));
    benchmark::DoNotOptimize(s);
    t += 0.37;
    if (t > 1440) t = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sgp4DeepSpaceGeo);

// Round-robin over the 421 Starlink satellites (realistic cache behaviour).
void BM_Sgp4Fleet(benchmark::State& state) {
  auto sets = ParseTleText(ReadFile(SharedData("tle/starlink-2020-05-07.tle")));
  if (!sets.ok() || sets->empty()) {
    state.SkipWithError("../shared/data/tle/starlink-2020-05-07.tle not found");
    return;
  }
  std::vector<Sgp4> fleet;
  for (const auto& e : *sets) fleet.push_back(*Sgp4::Create(e));
  size_t i = 0;
  double t = 0;
  TemeState s;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fleet[i].PropagateMinutes(t, &s));
    benchmark::DoNotOptimize(s);
    if (++i == fleet.size()) {
      i = 0;
      t += 1.0;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sgp4Fleet);

// All contact windows of 421 TLEs × 12 AWS stations over 24 h; argument = worker threads.
void BM_FleetContactWindows24h(benchmark::State& state) {
  auto sets = ParseTleText(ReadFile(SharedData("tle/starlink-2020-05-07.tle")));
  auto stations = ParseStationFile(ReadFile(SharedData("groundstations/aws.json")), "aws.json");
  if (!sets.ok() || sets->empty() || !stations.ok()) {
    state.SkipWithError("../shared/data (Starlink TLEs, AWS ground stations) not found");
    return;
  }
  std::vector<Sgp4> fleet;
  for (const auto& e : *sets) fleet.push_back(*Sgp4::Create(e));
  const TimePoint start = *ParseRfc3339("2020-05-07T12:00:00Z");
  size_t windows = 0;
  for (auto _ : state) {
    const auto results = FindFleetContactWindows(fleet, *stations, start, start + Hours(24), {},
                                                 static_cast<int>(state.range(0)));
    windows = 0;
    for (const auto& r : results) windows += r.windows.size();
    benchmark::DoNotOptimize(windows);
  }
  state.counters["windows"] = static_cast<double>(windows);
  state.counters["pairs"] = static_cast<double>(fleet.size() * stations->size());
}
// CPU time is that of the whole process (both workers); wall time is what the goal (< 1 s) is
// about.
BENCHMARK(BM_FleetContactWindows24h)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// Eclipses of the whole snapshot over 24 h on one core.
void BM_FleetEclipses24h(benchmark::State& state) {
  auto sets = ParseTleText(ReadFile(SharedData("tle/starlink-2020-05-07.tle")));
  if (!sets.ok() || sets->empty()) {
    state.SkipWithError("../shared/data/tle/starlink-2020-05-07.tle not found");
    return;
  }
  std::vector<Sgp4> fleet;
  for (const auto& e : *sets) fleet.push_back(*Sgp4::Create(e));
  const TimePoint start = *ParseRfc3339("2020-05-07T12:00:00Z");
  for (auto _ : state) {
    size_t count = 0;
    for (const Sgp4& sat : fleet) count += FindEclipses(sat, start, start + Hours(24))->size();
    benchmark::DoNotOptimize(count);
  }
}
BENCHMARK(BM_FleetEclipses24h)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace apsis::link

BENCHMARK_MAIN();
