#include "link/tle.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace apsis::link {
namespace {

// ISS (ZARYA), a well-known valid element set.
constexpr const char* kLine1 =
    "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927";
constexpr const char* kLine2 =
    "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537";

std::string WithChecksum(std::string line) {
  line.resize(68);
  return line + std::to_string(TleChecksum(line));
}

TEST(TleParser, ParsesEveryFieldOfAValidSet) {
  auto e = ParseTle(kLine1, kLine2, "ISS (ZARYA)");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->name, "ISS (ZARYA)");
  EXPECT_EQ(e->satnum, 25544);
  EXPECT_EQ(e->classification, 'U');
  EXPECT_EQ(e->international_designator, "98067A");
  // 2008 day 264.51782528 = 2008-09-20 12:25:40.104192 UTC.
  EXPECT_EQ(FormatRfc3339(e->epoch), "2008-09-20T12:25:40.104192Z");
  EXPECT_DOUBLE_EQ(e->mean_motion_dot, -0.00002182);
  EXPECT_DOUBLE_EQ(e->mean_motion_ddot, 0.0);
  EXPECT_NEAR(e->bstar, -0.11606e-4, 1e-15);
  EXPECT_EQ(e->element_number, 292);
  EXPECT_DOUBLE_EQ(e->inclination_deg, 51.6416);
  EXPECT_DOUBLE_EQ(e->raan_deg, 247.4627);
  EXPECT_NEAR(e->eccentricity, 0.0006703, 1e-12);
  EXPECT_DOUBLE_EQ(e->arg_perigee_deg, 130.5360);
  EXPECT_DOUBLE_EQ(e->mean_anomaly_deg, 325.0288);
  EXPECT_DOUBLE_EQ(e->mean_motion_rev_day, 15.72125391);
  EXPECT_EQ(e->rev_number, 56353);
}

TEST(TleParser, ReadsThreeLineSetsWithCrlfAndZeroPrefixedNames) {
  const std::string text = std::string("0 ISS (ZARYA)\r\n") + kLine1 + "\r\n" + kLine2 +
                           "\r\n\r\n" + kLine1 + "\n" + kLine2 + "\n";
  auto sets = ParseTleText(text, "iss.tle");
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  ASSERT_EQ(sets->size(), 2u);
  EXPECT_EQ((*sets)[0].name, "ISS (ZARYA)");
  EXPECT_EQ((*sets)[1].name, "");
  EXPECT_EQ((*sets)[1].satnum, 25544);
}

TEST(TleParser, DecodesAlpha5CatalogueNumbers) {
  std::string l1 = kLine1, l2 = kLine2;
  l1.replace(2, 5, "A0001");
  l2.replace(2, 5, "A0001");
  auto e = ParseTle(WithChecksum(l1), WithChecksum(l2));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->satnum, 100001);
}

void ExpectError(const Status& status, const std::string& where, const std::string& what) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(where), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
}

template <typename T>
void ExpectError(const Result<T>& r, const std::string& where, const std::string& what) {
  ASSERT_FALSE(r.ok());
  ExpectError(r.status(), where, what);
}

TEST(TleParser, BadChecksumNamesLineAndColumn69) {
  std::string l1 = kLine1;
  l1[68] = '3';
  ExpectError(ParseTle(l1, kLine2, "", "iss.tle", 10),
              "iss.tle:10:69:", "checksum is 3 but the line sums to 7");
  std::string l2 = kLine2;
  l2[20] = '5';  // corrupt RAAN digit, keep old checksum
  ExpectError(ParseTle(kLine1, l2, "", "iss.tle", 10), "iss.tle:11:69:", "checksum");
}

TEST(TleParser, ShortLineSaysHowLongItIs) {
  ExpectError(ParseTle(std::string(kLine1).substr(0, 60), kLine2, "", "x.tle", 1),
              "x.tle:1:61:", "60 characters long; a TLE line has 69");
}

TEST(TleParser, NonNumericFieldNamesTheColumnAndField) {
  std::string l2 = kLine2;
  l2[10] = 'x';  // inclination "51.6416" -> "5x.6416"
  ExpectError(ParseTle(kLine1, WithChecksum(l2), "", "x.tle", 1),
              "x.tle:2:11:", "inclination ' 5x.6416' is not a number");
  std::string l1 = kLine1;
  l1[55] = 'Q';  // B* mantissa
  ExpectError(ParseTle(WithChecksum(l1), kLine2, "", "x.tle", 1), "x.tle:1:56:", "B* drag term");
}

TEST(TleParser, SwappedLinesAreDetected) {
  ExpectError(ParseTle(kLine2, kLine1, "", "x.tle", 4), "x.tle:4:1:", "swapped");
  ExpectError(ParseTleText(std::string(kLine2) + "\n" + kLine1 + "\n", "y.tle"),
              "y.tle:1:1:", "swapped");
}

TEST(TleParser, DifferentSatelliteNumbersOnTheTwoLinesAreRejected) {
  std::string l2 = kLine2;
  l2.replace(2, 5, "25545");
  ExpectError(ParseTle(kLine1, WithChecksum(l2), "", "x.tle", 1),
              "x.tle:2:3:", "satellite number 25545 differs from line 1's 25544");
}

TEST(TleParser, OutOfRangeValuesAreRejected) {
  std::string l2 = kLine2;
  l2.replace(8, 8, "181.0000");
  ExpectError(ParseTle(kLine1, WithChecksum(l2), "", "x.tle", 1),
              "x.tle:2:9:", "inclination (deg) 181.000000 is out of range [0.000000, 180.000000]");
  std::string l1 = kLine1;
  l1.replace(20, 3, "400");
  ExpectError(ParseTle(WithChecksum(l1), kLine2, "", "x.tle", 1),
              "x.tle:1:21:", "epoch day '400.51782528' is out of range");
}

TEST(TleParser, MissingSeparatorBlankIsReported) {
  std::string l1 = kLine1;
  l1[32] = '0';
  ExpectError(ParseTle(WithChecksum(l1), kLine2, "", "x.tle", 1),
              "x.tle:1:33:", "expected a blank between fields");
}

TEST(TleParser, NameWithoutLinesIsAnError) {
  auto r = ParseTleText("JUST A NAME\n", "z.tle");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("z.tle:1:1:"), std::string::npos) << r.status().message();
}

TEST(TleParser, ParsesTheStarlinkSnapshot) {
  const char* root = std::getenv("APSIS_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : ".") + "/../shared/data/tle/starlink-2020-05-07.tle";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << "shared data not found at " << path << " (absent in a fresh clone)";
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto sets = ParseTleText(buffer.str(), path);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  EXPECT_EQ(sets->size(), 421u);
  EXPECT_EQ(sets->front().name, "STARLINK-31");
  EXPECT_EQ(sets->front().satnum, 44235);
}

}  // namespace
}  // namespace apsis::link
