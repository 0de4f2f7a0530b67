#include "sim/csv_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace apsis::sim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

CsvReader::CsvReader(std::string text, std::string source)
    : text_(std::move(text)), source_(std::move(source)) {}

bool CsvReader::Next() {
  while (pos_ < text_.size()) {
    size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    const std::string_view line(text_.data() + pos_, end - pos_);
    const size_t line_start = pos_;
    pos_ = end + 1;
    ++line_;
    const std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    fields_.clear();
    columns_.clear();
    size_t start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      const size_t stop = comma == std::string_view::npos ? line.size() : comma;
      std::string_view raw = line.substr(start, stop - start);
      size_t lead = 0;
      while (lead < raw.size() && (raw[lead] == ' ' || raw[lead] == '\t')) ++lead;
      fields_.push_back(Trim(raw));
      columns_.push_back(static_cast<int>(start + lead) + 1);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    (void)line_start;
    return true;
  }
  return false;
}

Status CsvReader::ErrorAt(size_t i, const std::string& message) const {
  const int col = i < columns_.size() ? columns_[i] : 1;
  return InvalidArgumentError(source_ + ":" + std::to_string(line_) + ":" + std::to_string(col) +
                              ": " + message);
}

Status CsvReader::ErrorAtLine(const std::string& message) const {
  return InvalidArgumentError(source_ + ":" + std::to_string(line_) + ":1: " + message);
}

Result<double> CsvReader::Number(size_t i, std::string_view name) const {
  if (i >= fields_.size()) {
    return ErrorAtLine("missing column '" + std::string(name) + "' (field " +
                       std::to_string(i + 1) + "); the row has " + std::to_string(fields_.size()) +
                       " fields");
  }
  const std::string s(fields_[i]);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    return ErrorAt(i, "'" + std::string(name) + "' must be a number, got '" + s + "'");
  }
  return v;
}

Result<int64_t> CsvReader::Integer(size_t i, std::string_view name) const {
  if (i >= fields_.size()) {
    return ErrorAtLine("missing column '" + std::string(name) + "' (field " +
                       std::to_string(i + 1) + "); the row has " + std::to_string(fields_.size()) +
                       " fields");
  }
  int64_t v = 0;
  const std::string_view s = fields_[i];
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return ErrorAt(i,
                   "'" + std::string(name) + "' must be an integer, got '" + std::string(s) + "'");
  }
  return v;
}

Result<double> CsvReader::NumberOr(size_t i, std::string_view name, double fallback) const {
  if (i >= fields_.size() || fields_[i].empty()) return fallback;
  return Number(i, name);
}

Result<bool> CsvReader::Bool(size_t i, std::string_view name, bool fallback) const {
  if (i >= fields_.size() || fields_[i].empty()) return fallback;
  const std::string_view s = fields_[i];
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no") return false;
  return ErrorAt(i,
                 "'" + std::string(name) + "' must be true or false, got '" + std::string(s) + "'");
}

Status ExpectHeader(const CsvReader& csv, const std::vector<std::string>& expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i >= csv.size()) {
      return csv.ErrorAtLine("header lacks column '" + expected[i] + "'; the header must be " +
                             [&] {
                               std::string h;
                               for (const auto& e : expected) h += (h.empty() ? "" : ",") + e;
                               return h;
                             }());
    }
    if (csv.field(i) != expected[i]) {
      return csv.ErrorAt(i, "header column " + std::to_string(i + 1) + " must be '" + expected[i] +
                                "', got '" + std::string(csv.field(i)) + "'");
    }
  }
  return Status::Ok();
}

}  // namespace apsis::sim
