#include "common/yaml_config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace apsis {

namespace {
// A configuration file is a few KiB; the parsed YAML tree takes ~50x the text in memory, so a
// file beyond this is refused before it is read rather than allowed to exhaust memory.
constexpr uintmax_t kMaxConfigFileBytes = 4 << 20;
}  // namespace

Result<YamlDocument> YamlDocument::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot read config file '" + path + "': " + std::strerror(errno) +
                         " (check the path and its permissions)");
  }
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxConfigFileBytes) {
    return InvalidArgumentError(path + ":1:1: config file is " + std::to_string(size) +
                                " bytes; configuration files are limited to " +
                                std::to_string(kMaxConfigFileBytes) +
                                " bytes (put long series in their CSV files)");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Parse(buffer.str(), path);
}

Result<YamlDocument> YamlDocument::Parse(const std::string& text, const std::string& name) {
  YamlDocument doc;
  doc.file_ = name;
  try {
    doc.root_ = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
  return doc;
}

ConfigMap ConfigReader::Root() { return ConfigMap(*this, doc_.root(), ""); }

std::string ConfigReader::Where(const YAML::Node& node) const {
  // A lookup of a missing key in a const node gives an invalid node, whose Mark() throws.
  if (!node.IsDefined()) return doc_.file() + ":1:1";
  YAML::Mark mark = node.Mark();
  if (mark.line < 0) return doc_.file() + ":1:1";
  return doc_.file() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void ConfigReader::Error(const YAML::Node& at, const std::string& message) {
  errors_.push_back(Where(at) + ": " + message);
}

Status ConfigReader::status() const {
  if (errors_.empty()) return Status::Ok();
  std::string all;
  for (const auto& e : errors_) {
    if (!all.empty()) all += '\n';
    all += e;
  }
  return InvalidArgumentError(all);
}

ConfigMap::ConfigMap(ConfigReader& reader, YAML::Node node, std::string path)
    : reader_(&reader), node_(node), path_(std::move(path)), valid_(node && node.IsMap()) {
  if (node && !node.IsMap() && !node.IsNull()) {
    reader.Error(node, (path_.empty() ? std::string("the document") : "'" + path_ + "'") +
                           " must be a mapping of key: value, got " + Show(node));
  }
}

bool ConfigMap::Has(const std::string& key) const { return valid_ && node_[key]; }

YAML::Node ConfigMap::Lookup(const std::string& key) {
  used_.insert(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& const_node = node_;
  YAML::Node child = const_node[key];
  if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return child;
}

YAML::Node ConfigMap::Raw(const std::string& key) { return Lookup(key); }

std::string ConfigMap::Describe() const {
  return path_.empty() ? std::string("the top level") : "'" + path_ + "'";
}

std::string ConfigMap::KeyPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string ConfigMap::Show(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

std::string ConfigMap::RangeText(const Range& r) {
  std::ostringstream out;
  out << "[" << r.min << ", " << r.max << "]";
  return out.str();
}

std::string ConfigMap::Enum(const std::string& key, const std::vector<std::string>& choices,
                            std::optional<std::string> fallback) {
  YAML::Node child = Lookup(key);
  if (!child || child.IsNull()) {
    if (fallback) return *fallback;
    if (valid_) reader_->Error(node_, "missing required key '" + key + "' in " + Describe());
    return choices.empty() ? "" : choices.front();
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!child.IsScalar()) {
    reader_->Error(child, "'" + KeyPath(key) + "' must be one of " + list + ", got " + Show(child));
    return fallback.value_or(choices.empty() ? "" : choices.front());
  }
  for (const auto& c : choices)
    if (child.Scalar() == c) return c;
  reader_->Error(
      child, "'" + KeyPath(key) + "' must be one of " + list + ", got '" + child.Scalar() + "'");
  return fallback.value_or(choices.empty() ? "" : choices.front());
}

ConfigMap ConfigMap::Map(const std::string& key, bool required) {
  YAML::Node child = Lookup(key);
  if (!child && required && valid_)
    reader_->Error(node_, "missing required key '" + key + "' in " + Describe());
  return ConfigMap(*reader_, child, KeyPath(key));
}

ConfigList ConfigMap::List(const std::string& key, bool required) {
  YAML::Node child = Lookup(key);
  if (!child && required && valid_)
    reader_->Error(node_, "missing required key '" + key + "' in " + Describe());
  return ConfigList(*reader_, child, KeyPath(key));
}

void ConfigMap::Finish() {
  if (!valid_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (used_.count(key)) continue;
    std::string best;
    size_t best_distance = 3;  // suggest only close matches
    for (const auto& known : used_) {
      size_t d = EditDistance(key, known);
      if (d < best_distance) {
        best_distance = d;
        best = known;
      }
    }
    std::string message = "unknown key '" + key + "' in " + Describe();
    if (!best.empty()) message += " (did you mean '" + best + "'?)";
    reader_->Error(it->first, message);
  }
}

ConfigList::ConfigList(ConfigReader& reader, YAML::Node node, std::string path)
    : reader_(&reader), node_(node), path_(std::move(path)), valid_(node && node.IsSequence()) {
  if (node && !node.IsSequence() && !node.IsNull())
    reader.Error(node, "'" + path_ + "' must be a list");
}

ConfigMap ConfigList::MapAt(size_t i) {
  return ConfigMap(*reader_, node_[i], path_ + "[" + std::to_string(i) + "]");
}

std::optional<std::string> YamlScalar<std::string>::Read(const YAML::Node& n, std::string* what) {
  *what = "a string";
  if (!n.IsScalar()) return std::nullopt;
  return n.Scalar();
}

std::optional<double> YamlScalar<double>::Read(const YAML::Node& n, std::string* what) {
  *what = "a number";
  if (!n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> YamlScalar<int64_t>::Read(const YAML::Node& n, std::string* what) {
  *what = "an integer";
  if (!n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<int> YamlScalar<int>::Read(const YAML::Node& n, std::string* what) {
  auto v = YamlScalar<int64_t>::Read(n, what);
  if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
    return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<bool> YamlScalar<bool>::Read(const YAML::Node& n, std::string* what) {
  *what = "true or false";
  if (!n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::optional<Duration> YamlScalar<Duration>::Read(const YAML::Node& n, std::string* what) {
  *what = "a duration such as 90s, 15m or 2h";
  if (!n.IsScalar()) return std::nullopt;
  auto d = ParseDuration(n.Scalar());
  if (!d.ok()) return std::nullopt;
  return *d;
}

std::optional<TimePoint> YamlScalar<TimePoint>::Read(const YAML::Node& n, std::string* what) {
  *what = "an RFC 3339 UTC time such as 2026-12-01T00:00:00Z";
  if (!n.IsScalar()) return std::nullopt;
  auto t = ParseRfc3339(n.Scalar());
  if (!t.ok()) return std::nullopt;
  return *t;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace apsis
