// Strict YAML configuration reading with precise errors.
//
// A ConfigReader collects every problem in one pass, each reported as "file:line:col: message":
// unknown keys (with a suggestion), wrong types, missing required keys, out-of-range values and
// malformed YAML. Readers are single-threaded helpers used while loading a file.
//
//   ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::LoadFile(path));
//   ConfigReader reader(doc);
//   ConfigMap site = reader.Root();
//   double grid_kw = site.Required<double>("grid_kw", Range{0, 1e7});
//   std::string name = site.Optional<std::string>("name", "site");
//   site.Finish();
//   RETURN_IF_ERROR(reader.status());
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace apsis {

class YamlDocument {
 public:
  static Result<YamlDocument> LoadFile(const std::string& path);
  static Result<YamlDocument> Parse(const std::string& text, const std::string& name);
  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

 private:
  YAML::Node root_;
  std::string file_;
};

struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

class ConfigMap;
class ConfigList;

class ConfigReader {
 public:
  explicit ConfigReader(const YamlDocument& doc) : doc_(doc) {}
  ConfigMap Root();
  // "file:line:col" of a node (1-based).
  std::string Where(const YAML::Node& node) const;
  void Error(const YAML::Node& at, const std::string& message);
  bool has_errors() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  // OK, or INVALID_ARGUMENT with every error on its own line.
  Status status() const;

 private:
  const YamlDocument& doc_;
  std::vector<std::string> errors_;
};

// Conversion of one scalar node; returns an error message on failure ("a number", ...).
template <typename T>
struct YamlScalar;

class ConfigMap {
 public:
  // `path` names this mapping in messages, e.g. "nodes[2].battery".
  ConfigMap(ConfigReader& reader, YAML::Node node, std::string path);

  bool valid() const { return valid_; }
  bool Has(const std::string& key) const;
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  ConfigReader& reader() const { return *reader_; }

  template <typename T>
  T Required(const std::string& key, std::optional<Range> range = std::nullopt) {
    YAML::Node child = Lookup(key);
    if (!child) {
      if (valid_) reader_->Error(node_, "missing required key '" + key + "' in " + Describe());
      return T{};
    }
    return Convert<T>(child, key, range).value_or(T{});
  }

  template <typename T>
  T Optional(const std::string& key, T fallback, std::optional<Range> range = std::nullopt) {
    YAML::Node child = Lookup(key);
    if (!child || child.IsNull()) return fallback;
    return Convert<T>(child, key, range).value_or(fallback);
  }

  template <typename T>
  std::optional<T> Maybe(const std::string& key, std::optional<Range> range = std::nullopt) {
    YAML::Node child = Lookup(key);
    if (!child || child.IsNull()) return std::nullopt;
    return Convert<T>(child, key, range);
  }

  // A string that must be one of `choices`.
  std::string Enum(const std::string& key, const std::vector<std::string>& choices,
                   std::optional<std::string> fallback = std::nullopt);

  // Nested mapping; an invalid ConfigMap (reads return defaults) when absent or not a mapping.
  ConfigMap Map(const std::string& key, bool required = false);
  ConfigList List(const std::string& key, bool required = false);
  // Raw access for values with custom formats; marks the key as known.
  YAML::Node Raw(const std::string& key);

  // Reports every key that was never looked up as unknown. Call after reading all keys.
  void Finish();

 private:
  YAML::Node Lookup(const std::string& key);
  std::string Describe() const;
  std::string KeyPath(const std::string& key) const;

  template <typename T>
  std::optional<T> Convert(const YAML::Node& child, const std::string& key,
                           const std::optional<Range>& range) {
    std::string what;
    std::optional<T> value = YamlScalar<T>::Read(child, &what);
    if (!value) {
      reader_->Error(child, "'" + KeyPath(key) + "' must be " + what + ", got " + Show(child));
      return std::nullopt;
    }
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (range &&
          (static_cast<double>(*value) < range->min || static_cast<double>(*value) > range->max)) {
        reader_->Error(child, "'" + KeyPath(key) + "' = " + child.Scalar() + " is out of range " +
                                  RangeText(*range));
        return std::nullopt;
      }
    }
    return value;
  }
  static std::string Show(const YAML::Node& node);
  static std::string RangeText(const Range& range);

  ConfigReader* reader_;
  YAML::Node node_;
  std::string path_;
  bool valid_;
  std::set<std::string> used_;
};

class ConfigList {
 public:
  ConfigList(ConfigReader& reader, YAML::Node node, std::string path);
  size_t size() const { return valid_ ? node_.size() : 0; }
  ConfigMap MapAt(size_t i);
  template <typename T>
  std::optional<T> ScalarAt(size_t i) {
    std::string what;
    auto value = YamlScalar<T>::Read(node_[i], &what);
    if (!value) reader_->Error(node_[i], path_ + "[" + std::to_string(i) + "] must be " + what);
    return value;
  }
  const YAML::Node& node() const { return node_; }

 private:
  ConfigReader* reader_;
  YAML::Node node_;
  std::string path_;
  bool valid_;
};

template <>
struct YamlScalar<std::string> {
  static std::optional<std::string> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<double> {
  static std::optional<double> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<int64_t> {
  static std::optional<int64_t> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<int> {
  static std::optional<int> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<bool> {
  static std::optional<bool> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<Duration> {
  static std::optional<Duration> Read(const YAML::Node& n, std::string* what);
};
template <>
struct YamlScalar<TimePoint> {
  static std::optional<TimePoint> Read(const YAML::Node& n, std::string* what);
};

// Edit distance, used for "did you mean" suggestions.
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace apsis
