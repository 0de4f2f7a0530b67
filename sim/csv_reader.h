// CsvReader: splits comma-separated text into rows of fields and names the place of a bad field.
//
// Used by the workload and trace importers. Blank lines and lines starting with '#' are skipped;
// fields are not quoted (none of the formats Apsis reads quotes them). Errors read
// "file:line:col: what; how to fix". Single-threaded value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace apsis::sim {

class CsvReader {
 public:
  CsvReader(std::string text, std::string source);

  // The next data row; false at the end of the text.
  bool Next();
  int line() const { return line_; }
  size_t size() const { return fields_.size(); }
  std::string_view field(size_t i) const { return fields_[i]; }
  // 1-based column of field i on the current line.
  int column(size_t i) const { return columns_[i]; }

  // "source:line:col: message" for field i of the current row.
  Status ErrorAt(size_t i, const std::string& message) const;
  Status ErrorAtLine(const std::string& message) const;

  // Typed reads of field i; errors name the column by `name`.
  Result<double> Number(size_t i, std::string_view name) const;
  Result<int64_t> Integer(size_t i, std::string_view name) const;
  // An empty field gives `fallback`.
  Result<double> NumberOr(size_t i, std::string_view name, double fallback) const;
  Result<bool> Bool(size_t i, std::string_view name, bool fallback) const;

  const std::string& source() const { return source_; }

 private:
  std::string text_;
  std::string source_;
  size_t pos_ = 0;
  int line_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<int> columns_;
};

// Header check: the columns of the current row must be `expected`, in order.
Status ExpectHeader(const CsvReader& csv, const std::vector<std::string>& expected);

}  // namespace apsis::sim
