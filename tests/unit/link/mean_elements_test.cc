#include "link/mean_elements.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "link/sgp4.h"

namespace apsis::link {
namespace {

TEST(MeanElements, AltitudeIsReproducedBySgp4) {
  MeanKeplerian m;
  m.satnum = 1;
  m.epoch = *ParseRfc3339("2026-01-01T00:00:00Z");
  m.altitude_km = 550;
  m.inclination_deg = 53;
  auto e = ElementsFromMeanKeplerian(m);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto model = Sgp4::Create(*e);
  ASSERT_TRUE(model.ok());
  // SGP4's recovered semi-major axis equals the requested one.
  const double a =
      std::pow(model->record().xke / model->record().no_unkozai, 2.0 / 3.0) * kSgp4EarthRadiusKm;
  EXPECT_NEAR(a, kSgp4EarthRadiusKm + 550, 1e-6);
  // The osculating radius over an orbit stays within ~20 km of it (J2 short-period terms).
  for (double t = 0; t < 96; t += 4) {
    TemeState s;
    ASSERT_EQ(model->PropagateMinutes(t, &s), Sgp4Error::kNone);
    EXPECT_NEAR(Norm(s.r_km), kSgp4EarthRadiusKm + 550, 20);
  }
}

TEST(MeanElements, RejectsImpossibleOrbitsWithReasons) {
  MeanKeplerian m;
  m.name = "low";
  m.semi_major_axis_km = 7000;
  m.eccentricity = 0.2;  // perigee 5600 km
  auto e = ElementsFromMeanKeplerian(m);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("perigee radius"), std::string::npos);
  m.altitude_km = 500;
  EXPECT_FALSE(ElementsFromMeanKeplerian(m).ok());  // both a and altitude
}

TEST(MeanElements, SunSynchronousInclinationFromAltitude) {
  EXPECT_NEAR(*SunSynchronousInclinationDeg(650), 97.99, 0.05);
  EXPECT_NEAR(*SunSynchronousInclinationDeg(800), 98.6, 0.05);
  EXPECT_FALSE(SunSynchronousInclinationDeg(7000).ok());
}

TEST(MeanElements, WalkerDeltaLayout) {
  ConstellationSpec spec;
  spec.name_prefix = "W";
  spec.planes = 3;
  spec.sats_per_plane = 4;
  spec.phasing = 1;
  spec.altitude_km = 550;
  spec.inclination_deg = 53;
  auto sats = GenerateConstellation(spec);
  ASSERT_TRUE(sats.ok()) << sats.status().ToString();
  ASSERT_EQ(sats->size(), 12u);
  EXPECT_EQ((*sats)[5].name, "W-2-2");
  EXPECT_EQ((*sats)[5].satnum, 90005);
  EXPECT_DOUBLE_EQ((*sats)[5].raan_deg, 120);
  // Slot 2 of plane 2: 90° in-plane spacing + F · 360° / T = 30° phase offset.
  EXPECT_NEAR((*sats)[5].mean_anomaly_deg, 120, 1e-9);
  spec.phasing = 3;
  EXPECT_FALSE(GenerateConstellation(spec).ok());
}

TEST(MeanElements, RefusesConstellationsWhoseSatelliteCountWouldOverflow) {
  // "999999/999999/5" parses (each part has at most six digits) but is ~10^12 satellites: the count
  // would overflow int and reserve memory for all of them.
  ConstellationSpec spec;
  ASSERT_TRUE(ParseWalkerPattern("999999/999999/5", &spec).ok());
  spec.inclination_deg = 53;
  auto sats = GenerateConstellation(spec);
  ASSERT_FALSE(sats.ok());
  EXPECT_NE(sats.status().message().find("exceeds the limit of 100000"), std::string::npos)
      << sats.status().message();
  spec.planes = 1;
  spec.sats_per_plane = 2;
  spec.phasing = 0;
  spec.first_satnum = std::numeric_limits<int>::max() - 1;
  EXPECT_FALSE(GenerateConstellation(spec).ok());
}

TEST(MeanElements, ParsesWalkerPatternsAndLocalTimes) {
  ConstellationSpec spec;
  ASSERT_TRUE(ParseWalkerPattern("24/22/1", &spec).ok());
  EXPECT_EQ(spec.planes, 24);
  EXPECT_EQ(spec.sats_per_plane, 22);
  EXPECT_EQ(spec.phasing, 1);
  const Status bad = ParseWalkerPattern("24/x/1", &spec);
  EXPECT_NE(bad.message().find("column 4: satellites per plane"), std::string::npos)
      << bad.message();
  EXPECT_FALSE(ParseWalkerPattern("24/22", &spec).ok());
  EXPECT_FALSE(ParseWalkerPattern("4/2/4", &spec).ok());
  EXPECT_EQ(*ParseLocalTimeOfAscendingNode("dawn-dusk"), 6.0);
  EXPECT_EQ(*ParseLocalTimeOfAscendingNode("dusk-dawn"), 18.0);
  EXPECT_EQ(*ParseLocalTimeOfAscendingNode("10:30"), 10.5);
  EXPECT_FALSE(ParseLocalTimeOfAscendingNode("25:00").ok());
}

}  // namespace
}  // namespace apsis::link
