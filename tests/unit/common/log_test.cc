#include "common/log.h"

#include <gtest/gtest.h>

namespace apsis {
namespace {

TEST(LogTest, FormatsKeyValueFields) {
  EXPECT_EQ(FormatLogLine("job placed", {{"job", "j-1"}, {"gpus", Kv(8)}}),
            "job placed job=j-1 gpus=8");
}

TEST(LogTest, QuotesValuesWithSpacesOrEquals) {
  EXPECT_EQ(FormatLogLine("rejected", {{"reason", "no window"}, {"expr", "a=b"}}),
            "rejected reason=\"no window\" expr=\"a=b\"");
}

TEST(LogTest, ParsesLevels) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("loud").ok());
}

}  // namespace
}  // namespace apsis
