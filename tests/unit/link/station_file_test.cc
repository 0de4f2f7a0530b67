#include "link/station_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace apsis::link {
namespace {

TEST(StationFile, ReadsYamlList) {
  auto stations = ParseStationFile(R"(
- name: Oregon
  lat: 45.51
  lon: -119.37
  alt_m: 100
  min_elevation_deg: 5
  uplink_bps: 2.0e6
  downlink_bps: 5.0e7
- name: Ohio
  lat: 40.06
  lon: -83.12
)",
                                   "stations.yaml");
  ASSERT_TRUE(stations.ok()) << stations.status().ToString();
  ASSERT_EQ(stations->size(), 2u);
  EXPECT_EQ((*stations)[0].name, "Oregon");
  EXPECT_DOUBLE_EQ((*stations)[0].location.alt_km, 0.1);
  EXPECT_DOUBLE_EQ((*stations)[0].min_elevation_deg, 5);
  EXPECT_DOUBLE_EQ((*stations)[0].downlink_bps, 5e7);
  EXPECT_DOUBLE_EQ((*stations)[1].min_elevation_deg, 10);
}

TEST(StationFile, ErrorsNameFileLineAndColumn) {
  auto stations = ParseStationFile(
      "- name: A\n  lat: 95\n  lon: 0\n- name: B\n  lat: 1\n"
      "  lon: 2\n  elevation: 3\n",
      "s.yaml");
  ASSERT_FALSE(stations.ok());
  const std::string& m = stations.status().message();
  EXPECT_NE(m.find("s.yaml:2:8:"), std::string::npos) << m;
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  EXPECT_NE(m.find("s.yaml:7:3:"), std::string::npos) << m;  // unknown key
  EXPECT_FALSE(ParseStationFile("[]", "e.yaml").ok());
  EXPECT_FALSE(
      ParseStationFile("- {name: A, lat: 1, lon: 2}\n- {name: A, lat: 1, lon: 2}\n", "d.yaml")
          .ok());
}

TEST(StationFile, ReadsGeoJsonPointsInLonLatOrder) {
  auto stations = ParseStationFile(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-149.90, 71.29]},
     "properties": {"name": "Alaska", "provider": "Aws", "frequency_bands": ["S", "X"]}}]})",
                                   "gs.json");
  ASSERT_TRUE(stations.ok()) << stations.status().ToString();
  ASSERT_EQ(stations->size(), 1u);
  EXPECT_EQ((*stations)[0].name, "Alaska");
  EXPECT_DOUBLE_EQ((*stations)[0].location.lat_deg, 71.29);
  EXPECT_DOUBLE_EQ((*stations)[0].location.lon_deg, -149.90);
}

TEST(StationFile, GeoJsonGeometryWithoutATypeIsAnErrorNotAnException) {
  // Reporting the wrong type at the absent "type" key threw YAML::InvalidNode.
  auto stations = ParseStationFile(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"typo": "Point", "coordinates": [-149.90, 71.29]},
     "properties": {"name": "Alaska"}}]})",
                                   "gs.json");
  ASSERT_FALSE(stations.ok());
  EXPECT_NE(stations.status().message().find("gs.json:2:"), std::string::npos)
      << stations.status().message();
  EXPECT_NE(stations.status().message().find("missing required key 'type'"), std::string::npos)
      << stations.status().message();
}

TEST(StationFile, ReadsTheAwsGroundStations) {
  const char* root = std::getenv("APSIS_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : ".") + "/../shared/data/groundstations/aws.json";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "shared data not found at " << path << " (absent in a fresh clone)";
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto stations = ParseStationFile(buffer.str(), path);
  ASSERT_TRUE(stations.ok()) << stations.status().ToString();
  EXPECT_EQ(stations->size(), 12u);
}

}  // namespace
}  // namespace apsis::link
