#include "link/contact_windows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "link/tle.h"

namespace apsis::link {
namespace {

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// STARLINK-31 and STARLINK-22 from CelesTrak's 2020-05-07 snapshot, and the ISS.
Sgp4 Satellite(int which) {
  static const char* kSets[][2] = {
      {"1 44235U 19029A   20128.16667824  .00034978  00000-0  20154-2 0  9997",
       "2 44235  53.0035  38.0572 0001730  67.2101 205.9720 15.12101915 53963"},
      {"1 44236U 19029B   20128.16667824  .00039927  00000-0  52883-3 0  9992",
       "2 44236  53.0048   9.4111 0011887  79.6963   5.9282 15.57838918 54361"},
      {"1 25544U 98067A   20128.54791667  .00000751  00000-0  21541-4 0  9998",
       "2 25544  51.6441 169.4960 0001183 201.3036 302.5849 15.49330813225238"},
  };
  auto e = ParseTle(kSets[which][0], kSets[which][1]);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return *Sgp4::Create(*e);
}

struct ReferencePass {
  TimePoint first, last;  // first and last 1-s sample above the mask
  double max_elevation_deg = -90;
  TimePoint max_at;
};

// The brute-force reference: elevation sampled every second.
std::vector<ReferencePass> BruteForce(const Sgp4& sat, const GroundStation& station,
                                      TimePoint start, TimePoint end) {
  const Topocentric site(station.location);
  std::vector<ReferencePass> passes;
  bool in = false;
  for (TimePoint t = start; t <= end; t += Seconds(1)) {
    const TemeState s = *sat.PropagateAt(t);
    const double el = site.Look(TemeToEcef(s, Gmst(t))).elevation_deg;
    const bool above = el > station.min_elevation_deg;
    if (above && !in) passes.push_back({t, t, -90, t});
    if (above) {
      passes.back().last = t;
      if (el > passes.back().max_elevation_deg) {
        passes.back().max_elevation_deg = el;
        passes.back().max_at = t;
      }
    }
    in = above;
  }
  // Near the zenith the elevation peaks sharply (up to ~0.07° between 1-s samples), so the
  // reference maximum is resampled every 10 ms within a second of the best 1-s sample.
  for (ReferencePass& pass : passes) {
    const TimePoint from = std::max(pass.first, pass.max_at - Seconds(1));
    const TimePoint to = std::min(pass.last, pass.max_at + Seconds(1));
    for (TimePoint t = from; t <= to; t += Seconds(0.01)) {
      const double el = site.Look(TemeToEcef(*sat.PropagateAt(t), Gmst(t))).elevation_deg;
      pass.max_elevation_deg = std::max(pass.max_elevation_deg, el);
    }
  }
  return passes;
}

TEST(ContactWindows, AgreeWithOneSecondBruteForceOver24Hours) {
  const TimePoint start = At("2020-05-07T12:00:00Z");
  const TimePoint end = start + Hours(24);
  const std::vector<GroundStation> stations = {
      {"Oregon", {45.51, -119.37, 0.1}, 10.0, 2e6, 50e6},
      {"Punta Arenas", {-52.94, -70.87, 0.0}, 5.0, 2e6, 50e6},
      {"Svalbard", {78.23, 15.40, 0.5}, 0.0, 2e6, 50e6},
  };
  int compared = 0;
  for (int sat_index = 0; sat_index < 3; ++sat_index) {
    const Sgp4 sat = Satellite(sat_index);
    for (const GroundStation& station : stations) {
      if (sat_index == 2 && station.name == "Svalbard") continue;  // never visible
      auto windows = FindContactWindows(sat, station, start, end);
      ASSERT_TRUE(windows.ok()) << windows.status().ToString();
      const auto reference = BruteForce(sat, station, start, end);
      ASSERT_EQ(windows->size(), reference.size())
          << "satellite " << sat.elements().satnum << " over " << station.name;
      for (size_t i = 0; i < reference.size(); ++i) {
        const ContactWindow& w = (*windows)[i];
        EXPECT_EQ(w.station, station.name);
        EXPECT_LE(std::abs(ToSeconds(w.aos - reference[i].first)), 1.0) << FormatRfc3339(w.aos);
        EXPECT_LE(std::abs(ToSeconds(w.los - reference[i].last)), 1.0) << FormatRfc3339(w.los);
        EXPECT_NEAR(w.max_elevation_deg, reference[i].max_elevation_deg, 0.01)
            << sat.elements().satnum << " " << station.name << " " << FormatRfc3339(w.aos) << " "
            << FormatRfc3339(w.max_elevation_at) << " " << FormatRfc3339(reference[i].max_at);
        EXPECT_GE(w.max_elevation_at, w.aos);
        EXPECT_LE(w.max_elevation_at, w.los);
        EXPECT_GT(w.min_range_km, 300.0);
        EXPECT_EQ(w.downlink_bps, 50e6);
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, 20);
}

TEST(ContactWindows, MinimumRangeIsTheSmallestSampledRange) {
  const Sgp4 sat = Satellite(0);
  const GroundStation station{"Oregon", {45.51, -119.37, 0.1}, 10.0, 0, 0};
  const TimePoint start = At("2020-05-07T12:00:00Z");
  auto windows = FindContactWindows(sat, station, start, start + Hours(12));
  ASSERT_TRUE(windows.ok());
  ASSERT_FALSE(windows->empty());
  const Topocentric site(station.location);
  for (const ContactWindow& w : *windows) {
    double min_range = 1e9;
    for (TimePoint t = w.aos; t <= w.los; t += Seconds(1)) {
      min_range = std::min(min_range, site.Look(TemeToEcef(*sat.PropagateAt(t), Gmst(t))).range_km);
    }
    EXPECT_LE(w.min_range_km, min_range + 1e-6);
    EXPECT_GT(w.min_range_km, min_range - 0.05);
  }
}

TEST(ContactWindows, PassInProgressAtTheStartIsClipped) {
  const Sgp4 sat = Satellite(0);
  const GroundStation station{"Oregon", {45.51, -119.37, 0.1}, 10.0, 0, 0};
  const TimePoint start = At("2020-05-07T12:00:00Z");
  auto windows = FindContactWindows(sat, station, start, start + Hours(24));
  ASSERT_TRUE(windows.ok());
  ASSERT_FALSE(windows->empty());
  const ContactWindow first = windows->front();
  const TimePoint mid = first.aos + first.duration() / 2;
  auto clipped = FindContactWindows(sat, station, mid, mid + Hours(1));
  ASSERT_TRUE(clipped.ok());
  ASSERT_FALSE(clipped->empty());
  EXPECT_EQ(clipped->front().aos, mid);
  EXPECT_LE(std::abs(ToSeconds(clipped->front().los - first.los)), 1.0);
}

TEST(ContactWindows, FleetSearchMatchesSingleSearchesOnAnyThreadCount) {
  std::vector<Sgp4> sats = {Satellite(0), Satellite(1), Satellite(2)};
  const std::vector<GroundStation> stations = {
      {"Oregon", {45.51, -119.37, 0.1}, 10.0, 0, 0},
      {"Punta Arenas", {-52.94, -70.87, 0.0}, 10.0, 0, 0},
  };
  const TimePoint start = At("2020-05-07T12:00:00Z");
  const TimePoint end = start + Hours(24);
  const auto one = FindFleetContactWindows(sats, stations, start, end, {}, 1);
  const auto two = FindFleetContactWindows(sats, stations, start, end, {}, 2);
  ASSERT_EQ(one.size(), 3u);
  for (size_t i = 0; i < sats.size(); ++i) {
    EXPECT_TRUE(one[i].status.ok());
    EXPECT_EQ(one[i].satnum, sats[i].elements().satnum);
    EXPECT_EQ(one[i].windows, two[i].windows);
    size_t total = 0;
    for (const GroundStation& station : stations) {
      total += FindContactWindows(sats[i], station, start, end)->size();
    }
    EXPECT_EQ(one[i].windows.size(), total);
    for (size_t k = 1; k < one[i].windows.size(); ++k) {
      EXPECT_LE(one[i].windows[k - 1].aos, one[i].windows[k].aos);
    }
  }
}

TEST(ContactWindows, AllStationsAtOnceGiveEachStationsOwnWindows) {
  const std::vector<GroundStation> stations = {
      {"Oregon", {45.51, -119.37, 0.1}, 10.0, 0, 0},
      {"Punta Arenas", {-52.94, -70.87, 0.0}, 5.0, 0, 0},
      {"Svalbard", {78.23, 15.39, 0.5}, 10.0, 0, 0},
  };
  const TimePoint start = At("2020-05-07T12:00:00Z");
  const TimePoint end = start + Hours(48);
  auto by_aos_then_station = [](const ContactWindow& a, const ContactWindow& b) {
    return a.aos != b.aos ? a.aos < b.aos : a.station < b.station;
  };
  for (int which = 0; which < 3; ++which) {
    const Sgp4 sat = Satellite(which);
    SatelliteContacts all = FindSatelliteContactWindows(sat, stations, start, end);
    ASSERT_TRUE(all.status.ok());
    std::vector<ContactWindow> separate;
    for (const GroundStation& station : stations) {
      auto w = FindContactWindows(sat, station, start, end);
      ASSERT_TRUE(w.ok());
      separate.insert(separate.end(), w->begin(), w->end());
    }
    ASSERT_GT(separate.size(), 10u);
    std::sort(all.windows.begin(), all.windows.end(), by_aos_then_station);
    std::sort(separate.begin(), separate.end(), by_aos_then_station);
    EXPECT_EQ(all.windows, separate) << "satellite " << which;
  }
}

TEST(ContactWindows, ElevationMaskOverrideApplies) {
  const Sgp4 sat = Satellite(0);
  const GroundStation station{"Oregon", {45.51, -119.37, 0.1}, 10.0, 0, 0};
  const TimePoint start = At("2020-05-07T12:00:00Z");
  ContactSearchOptions high;
  high.min_elevation_deg = 40.0;
  auto low_mask = FindContactWindows(sat, station, start, start + Hours(24));
  auto high_mask = FindContactWindows(sat, station, start, start + Hours(24), high);
  ASSERT_TRUE(low_mask.ok() && high_mask.ok());
  EXPECT_LT(high_mask->size(), low_mask->size());
  for (const ContactWindow& w : *high_mask) EXPECT_GE(w.max_elevation_deg, 40.0);
}

}  // namespace
}  // namespace apsis::link
