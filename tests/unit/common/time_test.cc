#include "common/time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace apsis {
namespace {

TEST(TimeTest, ParsesUtcAndOffsets) {
  auto t = ParseRfc3339("2026-12-01T03:14:00Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->unix_seconds(), 1'796'094'840);
  auto with_offset = ParseRfc3339("2026-12-01T05:14:00+02:00");
  ASSERT_TRUE(with_offset.ok());
  EXPECT_EQ(*with_offset, *t);
  auto negative = ParseRfc3339("2026-11-30T22:14:00-05:00");
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(*negative, *t);
}

TEST(TimeTest, ParsesFractionsToMicroseconds) {
  auto t = ParseRfc3339("1970-01-01T00:00:01.5Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->micros(), 1'500'000);
  auto fine = ParseRfc3339("1970-01-01T00:00:00.0000019Z");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->micros(), 1);  // digits past microseconds are truncated
}

TEST(TimeTest, FormatsRoundTrip) {
  for (int64_t us : {int64_t{0}, int64_t{1'796'094'840'000'000}, int64_t{951'782'400'123'456},
                     int64_t{-1'000'000}, int64_t{4'102'444'799'999'999}}) {
    TimePoint t = TimePoint::FromMicros(us);
    auto back = ParseRfc3339(FormatRfc3339(t));
    ASSERT_TRUE(back.ok()) << FormatRfc3339(t);
    EXPECT_EQ(back->micros(), us) << FormatRfc3339(t);
  }
  EXPECT_EQ(FormatRfc3339(TimePoint::FromMicros(1'500'000)), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatRfc3339(TimePoint::FromSeconds(951'782'400)), "2000-02-29T00:00:00Z");
}

TEST(TimeTest, RejectsMalformedTimesNamingTheColumn) {
  auto bad_month = ParseRfc3339("2026-13-01T00:00:00Z");
  ASSERT_FALSE(bad_month.ok());
  EXPECT_NE(bad_month.status().message().find("column 8"), std::string::npos)
      << bad_month.status().message();
  EXPECT_FALSE(ParseRfc3339("2026-02-29T00:00:00Z").ok());  // not a leap year
  EXPECT_FALSE(ParseRfc3339("2026-12-01T00:00:00").ok());   // no zone
  EXPECT_FALSE(ParseRfc3339("2026-12-01T24:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2026-12-01T00:00:00Zjunk").ok());
  EXPECT_FALSE(ParseRfc3339("").ok());
}

TEST(TimeTest, CivilDayConversionIsInverse) {
  for (int64_t days = -800'000; days < 800'000; days += 997) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
}

TEST(TimeTest, ParsesDurations) {
  EXPECT_EQ(*ParseDuration("90s"), Seconds(90));
  EXPECT_EQ(*ParseDuration("1h30m"), Minutes(90));
  EXPECT_EQ(*ParseDuration("250ms"), Duration(250'000));
  EXPECT_EQ(*ParseDuration("2"), Seconds(2));
  EXPECT_EQ(*ParseDuration("1d"), Hours(24));
  EXPECT_FALSE(ParseDuration("5 parsecs").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_EQ(FormatDuration(Minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(Duration(1'500'000)), "1.5s");
}

TEST(TimeTest, ArithmeticAndOrdering) {
  TimePoint a = TimePoint::FromSeconds(100);
  TimePoint b = a + Seconds(60);
  EXPECT_LT(a, b);
  EXPECT_EQ(b - a, Minutes(1));
  EXPECT_EQ(TimePoint::FromMicros(-1).unix_seconds(), -1);
}

// Traces and configs can hold any number; converting it must not be undefined behaviour (the
// sanitizer build aborts on that) and a clamped value must still add without overflow.
TEST(TimeTest, OutOfRangeSecondsClampInsteadOfOverflowing) {
  const double huge = 1e300;
  EXPECT_EQ(Seconds(huge).count(), kMaxMicros);
  EXPECT_EQ(Seconds(-huge).count(), -kMaxMicros);
  EXPECT_EQ(Hours(std::numeric_limits<double>::infinity()).count(), kMaxMicros);
  EXPECT_EQ(Seconds(std::nan("")).count(), 0);
  EXPECT_EQ(TimePoint::FromSeconds(huge).micros(), kMaxMicros);
  EXPECT_EQ(TimePoint::FromSeconds(-huge).micros(), -kMaxMicros);
  EXPECT_EQ((TimePoint::FromSeconds(huge) + Seconds(huge)).micros(), 2 * kMaxMicros);
  EXPECT_EQ(Seconds(1.5e-6).count(), 2);  // ordinary values still round to the nearest µs
  EXPECT_EQ(Seconds(-1.5e-6).count(), -2);
}

}  // namespace
}  // namespace apsis
