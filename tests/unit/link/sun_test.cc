#include "link/sun.h"

#include <gtest/gtest.h>

#include <cmath>

#include "link/frames.h"
#include "link/mean_elements.h"

namespace apsis::link {
namespace {

constexpr double kR = 6378.137;

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// Cylindrical-shadow eclipse fraction of a circular orbit: acos(√(h² + 2Rh) / ((R + h) cos β)) / π.
double CylindricalFraction(double h, double beta_deg) {
  const double x = std::sqrt(h * h + 2 * kR * h) / ((kR + h) * std::cos(beta_deg * M_PI / 180));
  return x >= 1 ? 0.0 : std::acos(x) / M_PI;
}

Sgp4 Circular(TimePoint epoch, double altitude_km, double incl_deg, double raan_deg) {
  MeanKeplerian m;
  m.satnum = 90001;
  m.epoch = epoch;
  m.altitude_km = altitude_km;
  m.inclination_deg = incl_deg;
  m.raan_deg = raan_deg;
  return *Sgp4::Create(*ElementsFromMeanKeplerian(m));
}

TEST(Sun, PositionMatchesKnownDirections) {
  // Near the March equinox the Sun is at RA ≈ 0, declination ≈ 0; near the June solstice at
  // declination ≈ +23.44°; 1 AU away within the orbit's eccentricity.
  const Vec3 march = SunPositionEci(At("2026-03-20T14:46:00Z"));
  EXPECT_NEAR(std::asin(march.z / Norm(march)) * 180 / M_PI, 0.0, 0.02);
  const Vec3 june = SunPositionEci(At("2026-06-21T08:24:00Z"));
  EXPECT_NEAR(std::asin(june.z / Norm(june)) * 180 / M_PI, 23.44, 0.02);
  EXPECT_NEAR(Norm(june) / kAstronomicalUnitKm, 1.0163, 0.0005);  // near aphelion
}

TEST(Sun, SunlitFractionIsOneInSunZeroInUmbraAndPartialBetween) {
  const Vec3 sun = {kAstronomicalUnitKm, 0, 0};
  EXPECT_EQ(SunlitFraction({7000, 0, 0}, sun), 1.0);   // day side
  EXPECT_EQ(SunlitFraction({-7000, 0, 0}, sun), 0.0);  // straight behind the Earth
  EXPECT_EQ(SunlitFraction({0, 7000, 0}, sun), 1.0);   // over the terminator, far above it
  // At the shadow edge the fraction passes continuously from 0 to 1.
  double previous = 0;
  for (double y = 6300; y <= 6500; y += 1) {
    const double f = SunlitFraction({-7000, y, 0}, sun);
    EXPECT_GE(f, previous - 1e-12);
    previous = f;
  }
  EXPECT_EQ(SunlitFraction({-7000, 6300, 0}, sun), 0.0);
  EXPECT_EQ(SunlitFraction({-7000, 6500, 0}, sun), 1.0);
  const double half = SunlitFraction({-7000, kR, 0}, sun);  // grazing: about half the disc
  EXPECT_GT(half, 0.3);
  EXPECT_LT(half, 0.7);
}

// A 53°, 550 km orbit whose plane contains the Sun direction (β ≈ 0) at the March equinox, and
// the same orbit turned to β ≈ 30° and 45°: eclipse length vs the cylindrical-shadow formula.
TEST(Eclipse, MatchesCylindricalShadowForSeveralBetaAngles) {
  const TimePoint epoch = At("2026-03-20T14:46:00Z");
  for (double raan : {0.0, 39.0, 62.0}) {
    const Sgp4 sat = Circular(epoch, 550, 53, raan);
    auto eclipses = FindEclipses(sat, epoch, epoch + Hours(6));
    ASSERT_TRUE(eclipses.ok()) << eclipses.status().ToString();
    int checked = 0;
    for (const Eclipse& e : *eclipses) {
      if (e.starts_in_shadow || e.ends_in_shadow) continue;
      const TimePoint mid = e.entry + (e.exit - e.entry) / 2;
      const TemeState s = *sat.PropagateAt(mid);
      const double beta = BetaAngleDeg(s, SunPositionEci(mid));
      const double h = Norm(s.r_km) - kR;
      const double cylinder_s = CylindricalFraction(h, beta) * sat.period_minutes() * 60;
      // The conical umbra is shorter and umbra + penumbra longer than the cylinder's shadow;
      // the cylinder cuts the penumbra about in half.
      EXPECT_LE(e.umbra_s, cylinder_s) << "beta " << beta;
      EXPECT_GE(e.umbra_s + e.penumbra_s, cylinder_s) << "beta " << beta;
      EXPECT_NEAR(e.umbra_s + e.penumbra_s / 2, cylinder_s, 0.005 * cylinder_s) << "beta " << beta;
      if (raan == 0.0) {
        EXPECT_NEAR(beta, 0.0, 1.0);
        EXPECT_NEAR(sat.period_minutes(), 95.6, 0.1);
        EXPECT_NEAR((e.umbra_s + e.penumbra_s / 2) / 60, 35.6, 0.3);
      }
      ++checked;
    }
    EXPECT_GE(checked, 3) << "raan " << raan;
  }
}

TEST(Eclipse, EntryAndExitAgreeWithOneSecondSampling) {
  const TimePoint epoch = At("2026-03-20T14:46:00Z");
  const Sgp4 sat = Circular(epoch, 550, 53, 39.0);
  const TimePoint end = epoch + Hours(3);
  auto eclipses = FindEclipses(sat, epoch, end);
  ASSERT_TRUE(eclipses.ok());
  // Brute force: first and last 1-s sample with sunlit fraction below 1.
  std::vector<std::pair<TimePoint, TimePoint>> reference;
  bool in = false;
  for (TimePoint t = epoch; t <= end; t += Seconds(1)) {
    const double f = SunlitFraction(sat.PropagateAt(t)->r_km, SunPositionEci(t));
    if (f < 1 && !in) reference.push_back({t, t});
    if (f < 1) reference.back().second = t;
    in = f < 1;
  }
  ASSERT_EQ(eclipses->size(), reference.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_LE(std::abs(ToSeconds((*eclipses)[i].entry - reference[i].first)), 1.0);
    EXPECT_LE(std::abs(ToSeconds((*eclipses)[i].exit - reference[i].second)), 1.0);
  }
}

TEST(Eclipse, DawnDuskSunSynchronousOrbitHasNoUmbraAtJuneSolstice) {
  const TimePoint june = At("2026-06-21T08:24:00Z");
  ConstellationSpec spec;
  spec.epoch = june;
  spec.altitude_km = 650;
  spec.sun_synchronous_ltan_hours = 6.0;
  auto sats = GenerateConstellation(spec);
  ASSERT_TRUE(sats.ok()) << sats.status().ToString();
  EXPECT_NEAR((*sats)[0].inclination_deg, 97.99, 0.05);
  const Sgp4 sat = *Sgp4::Create((*sats)[0]);
  const double beta = BetaAngleDeg(*sat.PropagateAt(june), SunPositionEci(june));
  EXPECT_NEAR(std::fabs(beta), 74.6, 0.3);
  auto eclipses = FindEclipses(sat, june, june + Hours(24));
  ASSERT_TRUE(eclipses.ok());
  double umbra = 0;
  for (const Eclipse& e : *eclipses) umbra += e.umbra_s;
  EXPECT_EQ(umbra, 0.0);
  EXPECT_TRUE(eclipses->empty());
}

TEST(Eclipse, DawnDuskSunSynchronousOrbitHasShortEclipsesAtDecemberSolstice) {
  const TimePoint december = At("2026-12-21T20:50:00Z");
  ConstellationSpec spec;
  spec.epoch = december;
  spec.altitude_km = 650;
  spec.sun_synchronous_ltan_hours = 6.0;
  const Sgp4 sat = *Sgp4::Create((*GenerateConstellation(spec))[0]);
  const TemeState s = *sat.PropagateAt(december);
  const double beta = BetaAngleDeg(s, SunPositionEci(december));
  EXPECT_NEAR(std::fabs(beta), 58.5, 0.3);
  auto eclipses = FindEclipses(sat, december, december + Hours(24));
  ASSERT_TRUE(eclipses.ok());
  EXPECT_GE(eclipses->size(), 14u);  // one per revolution (~97.7 min)
  const double cylinder_s =
      CylindricalFraction(Norm(s.r_km) - kR, beta) * sat.period_minutes() * 60;
  for (const Eclipse& e : *eclipses) {
    if (e.starts_in_shadow || e.ends_in_shadow) continue;
    EXPECT_GT(e.umbra_s, 0.0);
    EXPECT_LT(e.umbra_s + e.penumbra_s, 25 * 60);  // short: well under a third of the orbit
    EXPECT_NEAR(e.umbra_s + e.penumbra_s / 2, cylinder_s, 0.03 * cylinder_s);
  }
}

}  // namespace
}  // namespace apsis::link
