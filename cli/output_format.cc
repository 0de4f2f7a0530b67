#include "cli/output_format.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "apsis/v1/common.pb.h"

namespace apsis::cli {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "JOB_STATE_OUT_OF_CONTACT" with prefix "JOB_STATE_" -> "out-of-contact".
std::string EnumWord(const std::string& full_name, const std::string& prefix) {
  std::string word = full_name.rfind(prefix, 0) == 0 ? full_name.substr(prefix.size()) : full_name;
  word = Lower(word);
  std::replace(word.begin(), word.end(), '_', '-');
  return word;
}

// Upper-case with '_' so that "out-of-contact", "Running" and "JOB_STATE_RUNNING" all match.
std::string EnumKey(const std::string& text, const std::string& prefix) {
  std::string key;
  for (char c : text)
    key += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return key.rfind(prefix, 0) == 0 ? key : prefix + key;
}

bool ReadsAsNonString(const std::string& s) {
  if (s.empty()) return true;
  static const char* const kSpecial[] = {"true", "false", "yes", "no", "on",
                                         "off",  "null",  "~",   "y",  "n"};
  const std::string lower = Lower(s);
  for (const char* word : kSpecial)
    if (lower == word) return true;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size()) return true;  // a number
  // Leading/trailing blanks would be stripped from a plain scalar.
  return std::isspace(static_cast<unsigned char>(s.front())) ||
         std::isspace(static_cast<unsigned char>(s.back()));
}

void Emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, child] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        Emit(out, child);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& child : value) Emit(out, child);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      if (ReadsAsNonString(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    case nlohmann::json::value_t::boolean:
      out << value.get<bool>();
      break;
    default:
      // Numbers keep nlohmann's shortest round-trip spelling (0.1, not 0.10000000000000001).
      out << value.dump();
  }
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(const std::string& text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return InvalidArgumentError("unknown output format '" + text + "': use table, json or yaml");
}

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size() && i < width.size())
        line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

void PrintFields(std::ostream& out, const Fields& fields, const std::string& indent) {
  size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, label.size());
  for (const auto& [label, value] : fields) {
    out << indent << label << ":" << std::string(width - label.size() + 2, ' ') << value << "\n";
  }
}

std::string JsonToYaml(const nlohmann::json& value) {
  YAML::Emitter out;
  Emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

void PrintStructured(std::ostream& out, OutputFormat format, const nlohmann::json& value) {
  if (format == OutputFormat::kYaml) {
    out << JsonToYaml(value);
  } else {
    out << value.dump(2) << "\n";
  }
}

std::string JobStateName(v1::JobState state) {
  return EnumWord(v1::JobState_Name(state), "JOB_STATE_");
}
std::string JobKindName(v1::JobKind kind) { return EnumWord(v1::JobKind_Name(kind), "JOB_KIND_"); }
std::string NodeStateName(v1::NodeState state) {
  return EnumWord(v1::NodeState_Name(state), "NODE_STATE_");
}
std::string NodeKindName(v1::NodeKind kind) {
  return EnumWord(v1::NodeKind_Name(kind), "NODE_KIND_");
}

Result<v1::JobState> ParseJobState(const std::string& text) {
  v1::JobState state;
  if (v1::JobState_Parse(EnumKey(text, "JOB_STATE_"), &state) &&
      state != v1::JOB_STATE_UNSPECIFIED) {
    return state;
  }
  std::string names;
  for (int i = v1::JobState_MIN + 1; i <= v1::JobState_MAX; ++i)
    if (v1::JobState_IsValid(i))
      names += (names.empty() ? "" : ", ") + JobStateName(static_cast<v1::JobState>(i));
  return InvalidArgumentError("unknown job state '" + text + "': use one of " + names);
}

Result<v1::JobKind> ParseJobKind(const std::string& text) {
  v1::JobKind kind;
  if (v1::JobKind_Parse(EnumKey(text, "JOB_KIND_"), &kind) && kind != v1::JOB_KIND_UNSPECIFIED) {
    return kind;
  }
  return InvalidArgumentError("unknown job kind '" + text + "': use training or inference");
}

std::string TableTime(int64_t micros) {
  if (micros == 0) return "-";
  // Whole seconds: tables are for people; JSON keeps the microseconds.
  return FormatRfc3339(TimePoint::FromMicros(micros - micros % 1'000'000));
}

nlohmann::json TimeJson(int64_t micros) {
  if (micros == 0) return nullptr;
  return FormatRfc3339(TimePoint::FromMicros(micros));
}

std::string CompactDuration(Duration d) {
  int64_t s = d.count() / 1'000'000;
  char buffer[32];
  if (s < 60) {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buffer;
}

std::string RelativeTime(int64_t micros, TimePoint now) {
  const Duration delta = TimePoint::FromMicros(micros) - now;
  if (std::llabs(delta.count()) < 1'000'000) return "now";
  if (delta.count() > 0) return "in " + CompactDuration(delta);
  return CompactDuration(-delta) + " ago";
}

Result<TimePoint> ParseTimeOrDurationAgo(const std::string& text, TimePoint now) {
  auto time = ParseRfc3339(text);
  if (time.ok()) return *time;
  auto ago = ParseDuration(text);
  if (ago.ok() && ago->count() >= 0) return now - *ago;
  return InvalidArgumentError("'" + text +
                              "' is neither an RFC 3339 time (2026-12-01T00:00:00Z) nor a duration "
                              "before now (90s, 15m, 2h, 7d)");
}

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string Dollars(double usd) {
  const double magnitude = std::fabs(usd);
  const int decimals = magnitude == 0 || magnitude >= 1 ? 2 : magnitude >= 0.01 ? 3 : 5;
  return (usd < 0 ? "-$" : "$") + Fixed(magnitude, decimals);
}

std::string Truncate(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  if (width <= 3) return text.substr(0, width);
  return text.substr(0, width - 3) + "...";
}

}  // namespace apsis::cli
