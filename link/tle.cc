#include "link/tle.h"

#include <cctype>
#include <cstdint>
#include <string>

namespace apsis::link {
namespace {

constexpr int kLineLength = 69;

// One TLE line with its position in the source, for precise error messages.
class TleLine {
 public:
  TleLine(std::string_view text, std::string_view source, int line_number)
      : text_(text), source_(source), line_number_(line_number) {}

  std::string_view text() const { return text_; }
  // 1-based inclusive columns, as TLE documentation numbers them.
  std::string_view Columns(int first, int last) const {
    return text_.substr(first - 1, last - first + 1);
  }
  char At(int column) const { return text_[column - 1]; }

  Status Error(int column, const std::string& message) const {
    return InvalidArgumentError(std::string(source_) + ":" + std::to_string(line_number_) + ":" +
                                std::to_string(column) + ": " + message);
  }

 private:
  std::string_view text_;
  std::string_view source_;
  int line_number_;
};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A decimal number such as " 53.0035", "-.00017490" or "15.12101915" in columns first..last.
Result<double> ParseDecimal(const TleLine& line, int first, int last, const char* what) {
  const std::string_view field = line.Columns(first, last);
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  if (i == field.size()) return line.Error(first, std::string(what) + " is blank");
  double sign = 1.0;
  if (field[i] == '-' || field[i] == '+') {
    if (field[i] == '-') sign = -1.0;
    ++i;
  }
  double value = 0.0;
  bool any_digit = false;
  bool seen_point = false;
  double scale = 1.0;
  for (; i < field.size(); ++i) {
    const char c = field[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (seen_point) {
        scale /= 10.0;
        value += (c - '0') * scale;
      } else {
        value = value * 10.0 + (c - '0');
      }
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (c == ' ' && field.find_first_not_of(' ', i) == std::string_view::npos) {
      break;  // trailing blanks
    } else {
      return line.Error(first + static_cast<int>(i),
                        std::string(what) + " " + Quote(field) + " is not a number (unexpected " +
                            Quote(std::string_view(&field[i], 1)) + ")");
    }
  }
  if (!any_digit)
    return line.Error(first, std::string(what) + " " + Quote(field) + " has no digits");
  return sign * value;
}

// An unsigned integer, right-aligned with optional leading blanks; a blank field is 0.
Result<int64_t> ParseUnsigned(const TleLine& line, int first, int last, const char* what,
                              bool blank_is_zero) {
  const std::string_view field = line.Columns(first, last);
  int64_t value = 0;
  bool any_digit = false;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c == ' ' && !any_digit) continue;
    if (c < '0' || c > '9') {
      return line.Error(first + static_cast<int>(i),
                        std::string(what) + " " + Quote(field) + " must be digits (unexpected " +
                            Quote(std::string_view(&field[i], 1)) + ")");
    }
    any_digit = true;
    value = value * 10 + (c - '0');
  }
  if (!any_digit && !blank_is_zero) return line.Error(first, std::string(what) + " is blank");
  return value;
}

// The TLE "assumed decimal point" exponent form: "-11606-4" means -0.11606e-4 (columns 1..8 of
// the field: sign, five digits, exponent sign, exponent digit).
Result<double> ParseExponential(const TleLine& line, int first, const char* what) {
  const char sign = line.At(first);
  if (sign != ' ' && sign != '+' && sign != '-') {
    return line.Error(first, std::string(what) + " " + Quote(line.Columns(first, first + 7)) +
                                 " must start with a sign or a blank");
  }
  double mantissa = 0.0;
  double scale = 0.1;
  for (int c = first + 1; c <= first + 5; ++c) {
    const char d = line.At(c);
    if (d < '0' || d > '9') {
      return line.Error(c, std::string(what) + " " + Quote(line.Columns(first, first + 7)) +
                               " must have five mantissa digits (unexpected " +
                               Quote(std::string_view(&line.text()[c - 1], 1)) + ")");
    }
    mantissa += (d - '0') * scale;
    scale /= 10.0;
  }
  const char exp_sign = line.At(first + 6);
  if (exp_sign != '-' && exp_sign != '+' && exp_sign != ' ') {
    return line.Error(first + 6, std::string(what) + " " + Quote(line.Columns(first, first + 7)) +
                                     " must have an exponent sign");
  }
  const char exp_digit = line.At(first + 7);
  if (exp_digit < '0' || exp_digit > '9') {
    return line.Error(first + 7, std::string(what) + " " + Quote(line.Columns(first, first + 7)) +
                                     " must end with an exponent digit");
  }
  const int exponent = (exp_sign == '-' ? -1 : 1) * (exp_digit - '0');
  double value = mantissa;
  for (int i = 0; i < (exponent < 0 ? -exponent : exponent); ++i) {
    value = exponent < 0 ? value / 10.0 : value * 10.0;
  }
  return sign == '-' ? -value : value;
}

// Catalogue number, including Alpha-5 ("A0001" = 100001; letters I and O are not used).
Result<int> ParseSatnum(const TleLine& line) {
  const char first = line.At(3);
  if (std::isalpha(static_cast<unsigned char>(first))) {
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(first)));
    if (upper == 'I' || upper == 'O') {
      return line.Error(3, "satellite number " + Quote(line.Columns(3, 7)) +
                               " uses letter I or O, which Alpha-5 does not");
    }
    int value = upper - 'A' + 10;
    if (upper > 'I') --value;
    if (upper > 'O') --value;
    for (int c = 4; c <= 7; ++c) {
      const char d = line.At(c);
      if (d < '0' || d > '9') {
        return line.Error(c, "satellite number " + Quote(line.Columns(3, 7)) + " must be digits");
      }
      value = value * 10 + (d - '0');
    }
    return value;
  }
  ASSIGN_OR_RETURN(int64_t value, ParseUnsigned(line, 3, 7, "satellite number", false));
  return static_cast<int>(value);
}

Status CheckSpaces(const TleLine& line, std::initializer_list<int> columns) {
  for (int c : columns) {
    if (line.At(c) != ' ') {
      return line.Error(c, "expected a blank between fields at column " + std::to_string(c) +
                               ", found " + Quote(std::string_view(&line.text()[c - 1], 1)));
    }
  }
  return Status::Ok();
}

Status CheckRange(const TleLine& line, int column, const char* what, double value, double min,
                  double max, bool max_inclusive = true) {
  if (value < min || value > max || (!max_inclusive && value == max)) {
    return line.Error(column, std::string(what) + " " + std::to_string(value) +
                                  " is out of range [" + std::to_string(min) + ", " +
                                  std::to_string(max) + (max_inclusive ? "]" : ")"));
  }
  return Status::Ok();
}

// Checks the length, the line number in column 1 and the checksum in column 69.
Status CheckLineShape(const TleLine& line, char expected, const TleParseOptions& options) {
  const std::string_view text = line.text();
  if (text.empty()) return line.Error(1, std::string("line ") + expected + " is empty");
  if (text[0] != expected) {
    const char other = expected == '1' ? '2' : '1';
    if (text[0] == other) {
      return line.Error(1, std::string("expected line ") + expected + " but found line " + other +
                               ": are lines 1 and 2 swapped?");
    }
    return line.Error(1, std::string("expected line ") + expected + " to start with '" + expected +
                             "', found " + Quote(text.substr(0, 1)));
  }
  const size_t min_length = options.verify_checksum ? kLineLength : kLineLength - 1;
  if (text.size() < min_length) {
    return line.Error(static_cast<int>(text.size()) + 1,
                      std::string("line ") + expected + " is " + std::to_string(text.size()) +
                          " characters long; a TLE line has " + std::to_string(kLineLength) +
                          " (is it truncated?)");
  }
  if (text.size() > static_cast<size_t>(kLineLength) && !options.allow_trailing_text) {
    return line.Error(kLineLength + 1,
                      std::string("line ") + expected + " is " + std::to_string(text.size()) +
                          " characters long; a TLE line has " + std::to_string(kLineLength));
  }
  if (options.verify_checksum) {
    const char c = text[kLineLength - 1];
    if (c < '0' || c > '9') {
      return line.Error(kLineLength,
                        "checksum " + Quote(text.substr(kLineLength - 1, 1)) + " is not a digit");
    }
    const int sum = TleChecksum(text);
    if (c - '0' != sum) {
      return line.Error(kLineLength, "checksum is " + std::string(1, c) + " but the line sums to " +
                                         std::to_string(sum) + " (a mistyped or corrupted field?)");
    }
  }
  return Status::Ok();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Trailing blanks and the CR of CRLF endings are not part of a line.
std::string_view StripLineEnd(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

int TleChecksum(std::string_view line) {
  int sum = 0;
  for (size_t i = 0; i < line.size() && i < kLineLength - 1; ++i) {
    const char c = line[i];
    if (c >= '0' && c <= '9') sum += c - '0';
    if (c == '-') sum += 1;
  }
  return sum % 10;
}

Result<OrbitalElements> ParseTle(std::string_view line1_text, std::string_view line2_text,
                                 std::string_view name, std::string_view source,
                                 int first_line_number, const TleParseOptions& options) {
  // Lenient mode pads a missing checksum column with a blank so that fixed columns still work.
  std::string padded1(StripLineEnd(line1_text));
  std::string padded2(StripLineEnd(line2_text));
  const TleLine line1(padded1, source, first_line_number);
  const TleLine line2(padded2, source, first_line_number + 1);
  if (!padded1.empty() && padded1[0] == '2' && !padded2.empty() && padded2[0] == '1') {
    return line1.Error(1, "found line 2 before line 1: lines 1 and 2 are swapped");
  }
  RETURN_IF_ERROR(CheckLineShape(line1, '1', options));
  RETURN_IF_ERROR(CheckLineShape(line2, '2', options));
  if (padded1.size() < kLineLength) padded1.resize(kLineLength, ' ');
  if (padded2.size() < kLineLength) padded2.resize(kLineLength, ' ');
  const TleLine l1(padded1, source, first_line_number);
  const TleLine l2(padded2, source, first_line_number + 1);

  OrbitalElements e;
  e.name = std::string(Trim(name));
  if (e.name.size() >= 2 && e.name[0] == '0' && e.name[1] == ' ') {
    std::string rest(Trim(std::string_view(e.name).substr(2)));
    e.name = std::move(rest);
  }

  // ---- line 1 ----
  RETURN_IF_ERROR(CheckSpaces(l1, {2, 9, 18, 33, 44, 53, 62, 64}));
  ASSIGN_OR_RETURN(e.satnum, ParseSatnum(l1));
  const char classification = l1.At(8);
  if (classification != 'U' && classification != 'C' && classification != 'S' &&
      classification != ' ') {
    return l1.Error(8, "classification " + Quote(l1.Columns(8, 8)) + " must be U, C or S");
  }
  e.classification = classification == ' ' ? 'U' : classification;
  e.international_designator = std::string(Trim(l1.Columns(10, 17)));

  ASSIGN_OR_RETURN(int64_t two_digit_year, ParseUnsigned(l1, 19, 20, "epoch year", false));
  // Two-digit years 57..99 are 1957..1999, the first artificial satellite being 1957.
  const int64_t year = two_digit_year < 57 ? 2000 + two_digit_year : 1900 + two_digit_year;
  // Epoch day "DDD.DDDDDDDD": exact integer arithmetic keeps the epoch to the microsecond.
  const std::string_view day_field = l1.Columns(21, 32);
  int64_t day_int = 0;
  __int128 frac_digits = 0;
  int frac_count = 0;
  bool seen_point = false;
  bool any_digit = false;
  for (size_t i = 0; i < day_field.size(); ++i) {
    const char c = day_field[i];
    if (c == ' ' && !any_digit && !seen_point) continue;
    if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (c >= '0' && c <= '9') {
      any_digit = true;
      if (seen_point) {
        if (frac_count < 12) {
          frac_digits = frac_digits * 10 + (c - '0');
          ++frac_count;
        }
      } else {
        day_int = day_int * 10 + (c - '0');
      }
    } else {
      return l1.Error(21 + static_cast<int>(i),
                      "epoch day " + Quote(day_field) + " is not a number (unexpected " +
                          Quote(std::string_view(&day_field[i], 1)) + ")");
    }
  }
  if (!any_digit) return l1.Error(21, "epoch day is blank");
  if (day_int < 1 || day_int > 366) {
    return l1.Error(21, "epoch day " + Quote(Trim(day_field)) + " is out of range [1, 367)");
  }
  __int128 pow10 = 1;
  for (int i = 0; i < frac_count; ++i) pow10 *= 10;
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
  const int64_t frac_micros =
      static_cast<int64_t>((frac_digits * kMicrosPerDay * 2 + pow10) / (2 * pow10));
  const int64_t micros = (DaysFromCivil(year, 1, 1) + day_int - 1) * kMicrosPerDay + frac_micros;
  e.epoch = TimePoint::FromMicros(micros);

  ASSIGN_OR_RETURN(e.mean_motion_dot, ParseDecimal(l1, 34, 43, "mean motion derivative"));
  ASSIGN_OR_RETURN(e.mean_motion_ddot, ParseExponential(l1, 45, "mean motion second derivative"));
  ASSIGN_OR_RETURN(e.bstar, ParseExponential(l1, 54, "B* drag term"));
  const char ephemeris = l1.At(63);
  if (ephemeris != ' ' && (ephemeris < '0' || ephemeris > '9')) {
    return l1.Error(63, "ephemeris type " + Quote(l1.Columns(63, 63)) + " must be a digit");
  }
  e.ephemeris_type = ephemeris == ' ' ? 0 : ephemeris - '0';
  ASSIGN_OR_RETURN(int64_t element_number, ParseUnsigned(l1, 65, 68, "element set number", true));
  e.element_number = static_cast<int>(element_number);

  // ---- line 2 ----
  RETURN_IF_ERROR(CheckSpaces(l2, {2, 8, 17, 26, 34, 43, 52}));
  ASSIGN_OR_RETURN(int satnum2, ParseSatnum(l2));
  if (satnum2 != e.satnum) {
    return l2.Error(3, "satellite number " + std::to_string(satnum2) + " differs from line 1's " +
                           std::to_string(e.satnum) + " (lines from two different element sets?)");
  }
  ASSIGN_OR_RETURN(e.inclination_deg, ParseDecimal(l2, 9, 16, "inclination"));
  RETURN_IF_ERROR(CheckRange(l2, 9, "inclination (deg)", e.inclination_deg, 0, 180));
  ASSIGN_OR_RETURN(e.raan_deg, ParseDecimal(l2, 18, 25, "right ascension of the node"));
  RETURN_IF_ERROR(CheckRange(l2, 18, "right ascension of the node (deg)", e.raan_deg, 0, 360));
  ASSIGN_OR_RETURN(int64_t ecc_digits, ParseUnsigned(l2, 27, 33, "eccentricity", false));
  for (int c = 27; c <= 33; ++c) {
    if (l2.At(c) == ' ') {
      return l2.Error(c, "eccentricity " + Quote(l2.Columns(27, 33)) +
                             " must be seven digits (decimal point assumed)");
    }
  }
  e.eccentricity = static_cast<double>(ecc_digits) * 1e-7;
  ASSIGN_OR_RETURN(e.arg_perigee_deg, ParseDecimal(l2, 35, 42, "argument of perigee"));
  RETURN_IF_ERROR(CheckRange(l2, 35, "argument of perigee (deg)", e.arg_perigee_deg, 0, 360));
  ASSIGN_OR_RETURN(e.mean_anomaly_deg, ParseDecimal(l2, 44, 51, "mean anomaly"));
  RETURN_IF_ERROR(CheckRange(l2, 44, "mean anomaly (deg)", e.mean_anomaly_deg, 0, 360));
  ASSIGN_OR_RETURN(e.mean_motion_rev_day, ParseDecimal(l2, 53, 63, "mean motion"));
  if (!(e.mean_motion_rev_day > 0.0) || e.mean_motion_rev_day > 20.0) {
    return l2.Error(53, "mean motion " + std::to_string(e.mean_motion_rev_day) +
                            " rev/day is out of range (0, 20]");
  }
  ASSIGN_OR_RETURN(int64_t rev_number, ParseUnsigned(l2, 64, 68, "revolution number", true));
  e.rev_number = static_cast<int>(rev_number);
  return e;
}

Result<std::vector<OrbitalElements>> ParseTleText(std::string_view text, std::string_view source,
                                                  const TleParseOptions& options) {
  struct NumberedLine {
    std::string_view text;
    int number;
  };
  std::vector<NumberedLine> lines;
  int number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    const std::string_view line = StripLineEnd(text.substr(pos, end - pos));
    if (!Trim(line).empty()) lines.push_back({line, number});
    pos = end + 1;
  }

  auto looks_like = [](std::string_view line, char n) {
    return line.size() >= 2 && line[0] == n && line[1] == ' ';
  };
  std::vector<OrbitalElements> sets;
  size_t i = 0;
  while (i < lines.size()) {
    std::string_view name;
    if (!looks_like(lines[i].text, '1') && !looks_like(lines[i].text, '2')) {
      name = lines[i].text;
      ++i;
    }
    if (i >= lines.size()) {
      return InvalidArgumentError(std::string(source) + ":" + std::to_string(lines.back().number) +
                                  ":1: name line " + Quote(Trim(name)) +
                                  " is not followed by TLE lines 1 and 2");
    }
    if (i + 1 >= lines.size()) {
      return InvalidArgumentError(std::string(source) + ":" + std::to_string(lines[i].number) +
                                  ":1: TLE line " + Quote(lines[i].text.substr(0, 1)) +
                                  " is not followed by its partner line");
    }
    const NumberedLine& first = lines[i];
    const NumberedLine& second = lines[i + 1];
    if (second.number != first.number + 1) {
      return InvalidArgumentError(std::string(source) + ":" + std::to_string(first.number + 1) +
                                  ":1: a blank line separates the two lines of an element set");
    }
    ASSIGN_OR_RETURN(OrbitalElements elements,
                     ParseTle(first.text, second.text, name, source, first.number, options));
    sets.push_back(std::move(elements));
    i += 2;
  }
  return sets;
}

}  // namespace apsis::link
