// Output building blocks of apsisctl's client commands: the `-o table|json|yaml` choice, aligned
// text tables, JSON-to-YAML rendering, and the human spelling of protocol enums and times.
//
// Every command builds one JSON value (nlohmann::json) for scripts and renders it as JSON or YAML,
// so both machine formats always carry the same fields; tables are written separately for people.
// Everything here is a pure function or a plain value type (thread-compatible).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "apsis/v1/common.pb.h"
#include "common/status.h"
#include "common/time.h"

namespace apsis::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// "table", "json" or "yaml"; anything else is INVALID_ARGUMENT naming the choices.
Result<OutputFormat> ParseOutputFormat(const std::string& text);

// Columns padded to the widest cell, two spaces apart, headers in capitals as given.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t rows() const { return rows_.size(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "label:  value" lines with the values aligned, each prefixed by `indent`.
using Fields = std::vector<std::pair<std::string, std::string>>;
void PrintFields(std::ostream& out, const Fields& fields, const std::string& indent = "");

// Block-style YAML of a JSON value. Strings that YAML would read back as something else (numbers,
// booleans, null, empty) are quoted, so `-o yaml` parses to the same data as `-o json`.
std::string JsonToYaml(const nlohmann::json& value);

// Writes `value` as pretty JSON or YAML (both end with a newline).
void PrintStructured(std::ostream& out, OutputFormat format, const nlohmann::json& value);

// Lower-case names without the enum prefix, '-' for '_': JOB_STATE_RUNNING -> "running",
// NODE_STATE_OUT_OF_CONTACT -> "out-of-contact".
std::string JobStateName(v1::JobState state);
std::string JobKindName(v1::JobKind kind);
std::string NodeStateName(v1::NodeState state);
std::string NodeKindName(v1::NodeKind kind);

// Accepts "running", "RUNNING", "out_of_contact", "JOB_STATE_RUNNING", ...
Result<v1::JobState> ParseJobState(const std::string& text);
Result<v1::JobKind> ParseJobKind(const std::string& text);

// RFC 3339 UTC to the second for tables ("-" for 0, meaning unset); JSON uses TimeJson.
std::string TableTime(int64_t micros);
// An RFC 3339 string, or null for 0 (unset).
nlohmann::json TimeJson(int64_t micros);
// "in 2h05m", "3m10s ago", "now"; for tables next to absolute times.
std::string RelativeTime(int64_t micros, TimePoint now);
// A compact duration: "45s", "12m30s", "3h05m", "2d04h".
std::string CompactDuration(Duration d);

// An RFC 3339 time, or a duration ("90m", "2h", "7d") meaning that long before `now`.
Result<TimePoint> ParseTimeOrDurationAgo(const std::string& text, TimePoint now);

// Fixed-point text with `decimals` digits; "-" for a NaN.
std::string Fixed(double value, int decimals);
// "$12.34", or with more digits for small amounts ("$0.0042").
std::string Dollars(double usd);
// Shortens to at most `width` characters, marking the cut with "...".
std::string Truncate(const std::string& text, size_t width);

}  // namespace apsis::cli
