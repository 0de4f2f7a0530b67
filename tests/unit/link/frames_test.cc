#include "link/frames.h"

#include <gtest/gtest.h>

#include <cmath>

namespace apsis::link {
namespace {

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(Frames, JulianDateOfKnownInstants) {
  EXPECT_DOUBLE_EQ(JulianDate(TimePoint::FromSeconds(0)), 2440587.5);
  EXPECT_DOUBLE_EQ(JulianDate(At("2000-01-01T12:00:00Z")), 2451545.0);
  EXPECT_NEAR(DaysSinceJ2000(At("2000-01-02T18:00:00Z")), 1.25, 1e-12);
}

TEST(Frames, GmstMatchesIau82ReferenceValues) {
  // At J2000.0 GMST = 280.46061837° (IAU-82 with UT1 = UTC).
  EXPECT_NEAR(Gmst(At("2000-01-01T12:00:00Z")) * 180 / M_PI, 280.46061837, 1e-6);
  // Vallado, Fundamentals of Astrodynamics, example 3-5: 1992-08-20 12:14 UT1 → 152.578788°.
  EXPECT_NEAR(Gmst(At("1992-08-20T12:14:00Z")) * 180 / M_PI, 152.578788, 1e-5);
  EXPECT_NEAR(GmstFromJulianDate(2451545.0), Gmst(At("2000-01-01T12:00:00Z")), 1e-12);
}

TEST(Frames, GeodeticRoundTripsThroughEcef) {
  for (double lat : {-89.9, -45.0, 0.0, 33.3, 71.29, 90.0}) {
    for (double lon : {-179.5, -70.87, 0.0, 120.0}) {
      for (double alt : {-0.4, 0.0, 1.2, 550.0, 35786.0}) {
        const Geodetic g{lat, lon, alt};
        const Geodetic back = EcefToGeodetic(GeodeticToEcef(g));
        EXPECT_NEAR(back.lat_deg, lat, 1e-9);
        if (std::fabs(lat) < 90) {
          EXPECT_NEAR(back.lon_deg, lon, 1e-9);
        }
        EXPECT_NEAR(back.alt_km, alt, 1e-6);
      }
    }
  }
  const Vec3 equator = GeodeticToEcef({0, 0, 0});
  EXPECT_NEAR(equator.x, 6378.137, 1e-9);
  const Vec3 pole = GeodeticToEcef({90, 0, 0});
  EXPECT_NEAR(pole.z, 6356.752314245, 1e-6);
}

TEST(Frames, TemeToEcefRotatesByGmstAndRemovesEarthRotation) {
  // A point fixed on the rotating Earth has zero Earth-fixed velocity.
  const double gmst = 1.234;
  const Vec3 r_ecef = {7000, 100, 50};
  const Vec3 r_teme = EcefToTemePosition(r_ecef, gmst);
  const Vec3 omega = {0, 0, kEarthRotationRadPerS};
  const TemeState teme{r_teme, Cross(omega, r_teme)};
  const EcefState ecef = TemeToEcef(teme, gmst);
  EXPECT_NEAR(Norm(ecef.r_km - r_ecef), 0, 1e-9);
  EXPECT_NEAR(Norm(ecef.v_km_s), 0, 1e-12);
}

TEST(Frames, LookAnglesOfKnownGeometry) {
  const Geodetic site{45, 10, 0};
  const Topocentric topo(site);
  // 500 km straight up along the ellipsoid normal: elevation 90°, range 500 km.
  const Vec3 above = GeodeticToEcef({45, 10, 500});
  auto look = topo.Look({above, {0, 0, 1}});
  EXPECT_NEAR(look.elevation_deg, 90.0, 1e-6);
  EXPECT_NEAR(look.range_km, 500.0, 1e-6);
  // Moving straight up at 1 km/s: range rate = +1 km/s · sin(elevation-ish) = up component.
  const Vec3 up = topo.up();
  look = topo.Look({above, up * 2.0});
  EXPECT_NEAR(look.range_rate_km_s, 2.0, 1e-9);
  // A point due north on the horizon plane: azimuth 0, elevation 0.
  const Vec3 north = {-std::sin(45 * M_PI / 180) * std::cos(10 * M_PI / 180),
                      -std::sin(45 * M_PI / 180) * std::sin(10 * M_PI / 180),
                      std::cos(45 * M_PI / 180)};
  look = topo.Look({topo.position_km() + north * 1000.0, {}});
  EXPECT_NEAR(look.azimuth_deg, 0.0, 1e-9);
  EXPECT_NEAR(look.elevation_deg, 0.0, 1e-9);
  // Due east: azimuth 90°.
  const Vec3 east = {-std::sin(10 * M_PI / 180), std::cos(10 * M_PI / 180), 0};
  look = topo.Look({topo.position_km() + east * 1000.0 + up * 1000.0, {}});
  EXPECT_NEAR(look.azimuth_deg, 90.0, 1e-9);
  EXPECT_NEAR(look.elevation_deg, 45.0, 1e-9);
}

}  // namespace
}  // namespace apsis::link
