#include "link/station_file.h"

#include <set>

#include "common/yaml_config.h"

namespace apsis::link {
namespace {

constexpr double kDefaultMinElevationDeg = 10.0;

void ReadYamlStation(ConfigMap& m, std::vector<GroundStation>* out) {
  GroundStation s;
  s.name = m.Required<std::string>("name");
  s.location.lat_deg = m.Required<double>("lat", Range{-90, 90});
  s.location.lon_deg = m.Required<double>("lon", Range{-180, 360});
  s.location.alt_km = m.Optional<double>("alt_m", 0.0, Range{-500, 10000}) / 1000.0;
  s.min_elevation_deg =
      m.Optional<double>("min_elevation_deg", kDefaultMinElevationDeg, Range{-10, 90});
  s.uplink_bps = m.Optional<double>("uplink_bps", 0.0, Range{0, 1e13});
  s.downlink_bps = m.Optional<double>("downlink_bps", 0.0, Range{0, 1e13});
  m.Finish();
  out->push_back(std::move(s));
}

void ReadGeoJsonFeature(ConfigReader& reader, ConfigMap& feature, std::vector<GroundStation>* out) {
  GroundStation s;
  ConfigMap geometry = feature.Map("geometry", true);
  const std::string type = geometry.Required<std::string>("type");
  if (geometry.valid() && geometry.Has("type") && type != "Point") {
    reader.Error(geometry.node()["type"],
                 "'" + geometry.path() + ".type' must be Point, got " + type);
    return;
  }
  ConfigList coordinates = geometry.List("coordinates", true);
  if (geometry.valid() && coordinates.size() != 2 && coordinates.size() != 3) {
    reader.Error(coordinates.node(),
                 "'" + geometry.path() + ".coordinates' must be [lon, lat] or [lon, lat, alt_m]");
    return;
  }
  ConfigMap properties = feature.Map("properties", true);
  s.name = properties.Required<std::string>("name");
  s.min_elevation_deg =
      properties.Optional<double>("min_elevation_deg", kDefaultMinElevationDeg, Range{-10, 90});
  s.uplink_bps = properties.Optional<double>("uplink_bps", 0.0, Range{0, 1e13});
  s.downlink_bps = properties.Optional<double>("downlink_bps", 0.0, Range{0, 1e13});
  if (coordinates.size() < 2) return;
  const auto lon = coordinates.ScalarAt<double>(0);
  const auto lat = coordinates.ScalarAt<double>(1);
  if (!lon || !lat) return;
  if (*lat < -90 || *lat > 90) {
    reader.Error(coordinates.node()[1], "latitude " + std::to_string(*lat) +
                                            " is out of range [-90, 90] (GeoJSON order is "
                                            "[lon, lat])");
    return;
  }
  if (*lon < -180 || *lon > 360) {
    reader.Error(coordinates.node()[0],
                 "longitude " + std::to_string(*lon) + " is out of range [-180, 360]");
    return;
  }
  s.location.lat_deg = *lat;
  s.location.lon_deg = *lon;
  if (coordinates.size() == 3) {
    if (auto alt = coordinates.ScalarAt<double>(2)) s.location.alt_km = *alt / 1000.0;
  }
  out->push_back(std::move(s));
}

}  // namespace

Result<std::vector<GroundStation>> ParseStationFile(const std::string& text,
                                                    const std::string& source) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, source));
  ConfigReader reader(doc);
  std::vector<GroundStation> stations;
  const YAML::Node& root = doc.root();
  if (root.IsSequence()) {
    ConfigList list(reader, root, "stations");
    for (size_t i = 0; i < list.size(); ++i) {
      ConfigMap m = list.MapAt(i);
      ReadYamlStation(m, &stations);
    }
  } else if (root.IsMap() && root["type"]) {
    ConfigMap top = reader.Root();
    const std::string type = top.Required<std::string>("type");
    if (type != "FeatureCollection") {
      reader.Error(root["type"], "GeoJSON 'type' must be FeatureCollection, got " + type);
    }
    ConfigList features = top.List("features", true);
    for (size_t i = 0; i < features.size(); ++i) {
      ConfigMap feature = features.MapAt(i);
      ReadGeoJsonFeature(reader, feature, &stations);
    }
  } else {
    ConfigMap top = reader.Root();
    ConfigList list = top.List("stations", true);
    for (size_t i = 0; i < list.size(); ++i) {
      ConfigMap m = list.MapAt(i);
      ReadYamlStation(m, &stations);
    }
    top.Finish();
  }
  RETURN_IF_ERROR(reader.status());
  if (stations.empty()) {
    return InvalidArgumentError(source + ":1:1: no ground stations in the file");
  }
  std::set<std::string> names;
  for (const GroundStation& s : stations) {
    if (!names.insert(s.name).second) {
      return InvalidArgumentError(source + ": station name '" + s.name +
                                  "' appears twice; names must be unique");
    }
  }
  return stations;
}

}  // namespace apsis::link
