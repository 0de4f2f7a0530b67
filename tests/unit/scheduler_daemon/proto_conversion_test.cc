#include "scheduler/daemon/proto_conversion.h"

#include <gtest/gtest.h>

#include <limits>

namespace apsis::daemon {
namespace {

const TimePoint kNow = TimePoint::FromSeconds(1796083200);

v1::Hello GroundHello(int64_t agent_time_us) {
  v1::Hello hello;
  hello.mutable_spec()->set_id("g1");
  hello.mutable_spec()->set_kind(v1::NODE_KIND_GROUND);
  hello.mutable_spec()->mutable_gpus()->set_count(8);
  hello.set_agent_time_us(agent_time_us);
  return hello;
}

TEST(ValidateHello, AcceptsAClockWithinThirtySeconds) {
  Duration behind;
  EXPECT_TRUE(ValidateHello(GroundHello((kNow + Seconds(29)).micros()), kNow, &behind).ok());
  EXPECT_TRUE(ValidateHello(GroundHello((kNow - Seconds(29)).micros()), kNow, &behind).ok());
  EXPECT_EQ(behind, Seconds(29));
  EXPECT_TRUE(ValidateHello(GroundHello(0), kNow, &behind).ok());  // no clock sent
}

TEST(ValidateHello, RefusesSkewedGroundClocksButLetsOrbitalHellosBeLate) {
  Duration behind;
  const Status ahead = ValidateHello(GroundHello((kNow + Minutes(5)).micros()), kNow, &behind);
  EXPECT_EQ(ahead.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ahead.message().find("differs from the scheduler's by 5m"), std::string::npos)
      << ahead.message();
  EXPECT_FALSE(ValidateHello(GroundHello((kNow - Minutes(5)).micros()), kNow, &behind).ok());
  v1::Hello orbital = GroundHello((kNow - Minutes(5)).micros());
  orbital.mutable_spec()->set_kind(v1::NODE_KIND_ORBITAL);
  EXPECT_TRUE(ValidateHello(orbital, kNow, &behind).ok());
  EXPECT_EQ(behind, Minutes(5));
}

TEST(ValidateHello, ExtremeAgentClocksAreRefusedWithoutOverflow) {
  // agent_time_us - now does not fit in int64 for these.
  Duration behind;
  for (int64_t t : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min() + 1,
                    std::numeric_limits<int64_t>::max()}) {
    const Status s = ValidateHello(GroundHello(t), kNow, &behind);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << t;
  }
  v1::Hello orbital = GroundHello(std::numeric_limits<int64_t>::min());
  orbital.mutable_spec()->set_kind(v1::NODE_KIND_ORBITAL);
  EXPECT_TRUE(ValidateHello(orbital, kNow, &behind).ok());
  EXPECT_GT(behind, Hours(24 * 365 * 1000));
}

TEST(ValidateHello, NeedsAnIdAndGpus) {
  Duration behind;
  v1::Hello hello = GroundHello(0);
  hello.mutable_spec()->mutable_gpus()->set_count(0);
  EXPECT_EQ(ValidateHello(hello, kNow, &behind).code(), StatusCode::kInvalidArgument);
  hello.mutable_spec()->clear_id();
  EXPECT_EQ(ValidateHello(hello, kNow, &behind).message(), "Hello without spec.id");
}

}  // namespace
}  // namespace apsis::daemon
