// TLE parsing: NORAD two-line element sets (with or without a name line) into OrbitalElements.
//
// Accepts two-line and three-line sets ("NAME" or "0 NAME" before line 1), LF or CRLF endings,
// Alpha-5 catalogue numbers. Every field is checked for its format and range and the checksum of
// each line is verified; an error names the source, line, column and what is wrong, e.g.
// "starlink.tle:5:69: checksum is 7 but the line sums to 3". Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "link/orbital_elements.h"

namespace apsis::link {

struct TleParseOptions {
  bool verify_checksum = true;
  // Allow text after column 69 (Vallado's verification file appends start/stop/step times).
  bool allow_trailing_text = false;
};

// Parses one element set. `first_line_number` is the 1-based number of `line1` in `source`,
// used only in error messages.
Result<OrbitalElements> ParseTle(std::string_view line1, std::string_view line2,
                                 std::string_view name = "", std::string_view source = "tle",
                                 int first_line_number = 1, const TleParseOptions& options = {});

// Parses a whole file's text: any number of two- or three-line sets; blank lines are ignored.
Result<std::vector<OrbitalElements>> ParseTleText(std::string_view text,
                                                  std::string_view source = "tle",
                                                  const TleParseOptions& options = {});

// The TLE checksum of a line's first 68 columns (digits add their value, '-' adds 1, mod 10).
int TleChecksum(std::string_view line);

}  // namespace apsis::link
