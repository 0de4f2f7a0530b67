// Cross-check of our SGP4 against python3-sgp4 (an independent implementation, run as a separate
// program) on the 421 Starlink element sets of the shared data, at 10 times each.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "link/sgp4.h"
#include "link/tle.h"

namespace apsis::link {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Prints "satnum k error rx ry rz vx vy vz" per satellite and time; times are Unix seconds split
// into whole days and fraction as python-sgp4's jd/fr API expects.
constexpr const char* kScript = R"PY(
import sys
from sgp4.api import Satrec
lines = [l.rstrip('\r\n') for l in open(sys.argv[1])]
times = [int(t) for t in sys.argv[2:]]
i = 0
while i < len(lines):
    if lines[i].startswith('1 ') and i + 1 < len(lines) and lines[i + 1].startswith('2 '):
        sat = Satrec.twoline2rv(lines[i], lines[i + 1])
        for k, t in enumerate(times):
            days, secs = divmod(t, 86400)
            e, r, v = sat.sgp4(2440587.5 + days, secs / 86400.0)
            print(sat.satnum, k, e, *('%.12e' % x for x in (*r, *v)))
        i += 2
    else:
        i += 1
)PY";

TEST(Sgp4PythonCrossCheck, AgreesWithPythonSgp4OnStarlinkSnapshot) {
  const char* root = std::getenv("APSIS_SOURCE_DIR");
  const std::string tle_path =
      std::string(root ? root : ".") + "/../shared/data/tle/starlink-2020-05-07.tle";
  std::ifstream in(tle_path, std::ios::binary);
  if (!in) GTEST_SKIP() << "shared data not found at " << tle_path << " (absent in a fresh clone)";
  const std::string probe = std::string(kPython) + " -c 'import sgp4.api' 2>/dev/null";
  if (std::system(probe.c_str()) != 0) {
    GTEST_SKIP() << kPython << " with the sgp4 module (Debian python3-sgp4) is not available";
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto sets = ParseTleText(buffer.str(), tle_path);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  ASSERT_EQ(sets->size(), 421u);

  // 10 times spread over two days around the snapshot's epochs (2020-05-07/08).
  const int64_t t0 = ParseRfc3339("2020-05-06T18:00:00Z")->unix_seconds();
  std::vector<int64_t> times;
  for (int k = 0; k < 10; ++k) times.push_back(t0 + k * 17557);  // ~4.9 h apart, odd seconds

  const std::string script_path =
      testing::TempDir() + "/apsis_sgp4_crosscheck_" + std::to_string(getpid()) + ".py";
  std::ofstream(script_path) << kScript;
  std::string command = std::string(kPython) + " " + script_path + " '" + tle_path + "'";
  for (int64_t t : times) command += " " + std::to_string(t);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::map<std::pair<int, int>, std::pair<int, TemeState>> reference;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    int satnum, k, error;
    TemeState s;
    if (std::sscanf(line, "%d %d %d %lf %lf %lf %lf %lf %lf", &satnum, &k, &error, &s.r_km.x,
                    &s.r_km.y, &s.r_km.z, &s.v_km_s.x, &s.v_km_s.y, &s.v_km_s.z) == 9) {
      reference[{satnum, k}] = {error, s};
    }
  }
  const int exit_status = pclose(pipe);
  std::remove(script_path.c_str());
  ASSERT_EQ(exit_status, 0) << command;
  ASSERT_EQ(reference.size(), 4210u);

  double worst_r_m = 0, worst_v_mm_s = 0;
  for (const OrbitalElements& e : *sets) {
    auto model = Sgp4::Create(e);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    for (int k = 0; k < 10; ++k) {
      const auto& [py_error, py] = reference.at({e.satnum, k});
      TemeState ours;
      const Sgp4Error error = model->PropagateMinutes(
          model->MinutesSinceEpoch(TimePoint::FromSeconds(times[k])), &ours);
      ASSERT_EQ(static_cast<int>(error), py_error) << "satellite " << e.satnum << " time " << k;
      if (py_error != 0) continue;
      const double dr_m = Norm(ours.r_km - py.r_km) * 1000.0;
      const double dv_mm_s = Norm(ours.v_km_s - py.v_km_s) * 1e6;
      worst_r_m = std::max(worst_r_m, dr_m);
      worst_v_mm_s = std::max(worst_v_mm_s, dv_mm_s);
      EXPECT_LT(dr_m, 1.0) << "satellite " << e.satnum << " time " << k;
      EXPECT_LT(dv_mm_s, 1.0) << "satellite " << e.satnum << " time " << k;
    }
  }
  std::printf("python-sgp4 cross-check: 4210 states, worst |dr| = %.3g m, |dv| = %.3g mm/s\n",
              worst_r_m, worst_v_mm_s);
}

// AFSPC compatibility mode against python-sgp4's pure-Python implementation run with opsmode
// 'a', on every set of Vallado's verification file (deep-space ones included) at 0, 360, ...,
// 2880 minutes.
constexpr const char* kAfspcScript = R"PY(
import sys
from sgp4.earth_gravity import wgs72
from sgp4.io import twoline2rv
from sgp4.propagation import sgp4
lines = [l.rstrip('\r\n') for l in open(sys.argv[1])]
for i in range(len(lines) - 1):
    if lines[i].startswith('1 ') and lines[i + 1].startswith('2 '):
        sat = twoline2rv(lines[i], lines[i + 1][:69], wgs72, opsmode='a')
        for k in range(9):
            r, v = sgp4(sat, 360.0 * k)
            print(sat.satnum, k, sat.error, *('%.12e' % x for x in (*r, *v)))
)PY";

TEST(Sgp4PythonCrossCheck, AfspcModeAgreesWithPythonSgp4) {
  const std::string tle_path = "/usr/lib/python3/dist-packages/sgp4/SGP4-VER.TLE";
  std::ifstream in(tle_path, std::ios::binary);
  const std::string probe = std::string(kPython) + " -c 'import sgp4.io' 2>/dev/null";
  if (!in || std::system(probe.c_str()) != 0) {
    GTEST_SKIP() << "python3-sgp4 (module and SGP4-VER.TLE) is not installed";
  }
  const std::string script_path =
      testing::TempDir() + "/apsis_sgp4_afspc_" + std::to_string(getpid()) + ".py";
  std::ofstream(script_path) << kAfspcScript;
  const std::string command = std::string(kPython) + " " + script_path + " " + tle_path;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::map<std::pair<int, int>, std::pair<int, TemeState>> reference;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    int satnum, k, error;
    TemeState s;
    if (std::sscanf(line, "%d %d %d %lf %lf %lf %lf %lf %lf", &satnum, &k, &error, &s.r_km.x,
                    &s.r_km.y, &s.r_km.z, &s.v_km_s.x, &s.v_km_s.y, &s.v_km_s.z) == 9) {
      reference[{satnum, k}] = {error, s};
    }
  }
  const int exit_status = pclose(pipe);
  std::remove(script_path.c_str());
  ASSERT_EQ(exit_status, 0) << command;

  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> lines;
  for (std::string l; std::getline(buffer, l);) lines.push_back(l);
  TleParseOptions lenient;
  lenient.verify_checksum = false;
  lenient.allow_trailing_text = true;
  int compared = 0;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].rfind("1 ", 0) != 0) continue;
    auto e = ParseTle(lines[i], lines[i + 1].substr(0, 69), "", "SGP4-VER.TLE", 1, lenient);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    auto model = Sgp4::Create(*e, Sgp4Mode::kAfspc);
    for (int k = 0; k < 9; ++k) {
      const auto found = reference.find({e->satnum, k});
      if (found == reference.end()) continue;  // (20413 appears twice; the last one wins)
      const auto& [py_error, py] = found->second;
      if (!model.ok() || py_error != 0) continue;  // error agreement is covered by Vallado's set
      if (e->satnum == 20413) continue;
      TemeState ours;
      if (model->PropagateMinutes(360.0 * k, &ours) != Sgp4Error::kNone) continue;
      EXPECT_LT(Norm(ours.r_km - py.r_km) * 1000.0, 1.0) << e->satnum << " at " << 360 * k;
      EXPECT_LT(Norm(ours.v_km_s - py.v_km_s) * 1e6, 1.0) << e->satnum << " at " << 360 * k;
      ++compared;
    }
  }
  EXPECT_GT(compared, 150);
}

}  // namespace
}  // namespace apsis::link
