#include "transport/envelope_codec.h"

#include <gtest/gtest.h>

namespace apsis::transport {
namespace {

TEST(EnvelopeCodecTest, RoundTripsAndStampsVersion) {
  v1::Envelope in;
  in.set_correlation_id(42);
  in.mutable_heartbeat()->set_node_id("orbital-1");
  in.mutable_heartbeat()->set_battery_soc_wh(1234.5);
  std::string bytes = EncodeEnvelope(in);
  v1::Envelope out;
  DecodeResult r = DecodeEnvelope(bytes, kDefaultMaxMessageBytes, &out);
  ASSERT_EQ(r.failure, DecodeFailure::kNone) << r.status.ToString();
  EXPECT_EQ(out.major_version(), kProtocolMajor);
  EXPECT_EQ(out.correlation_id(), 42u);
  EXPECT_EQ(out.heartbeat().node_id(), "orbital-1");
  EXPECT_EQ(BodyName(out), "heartbeat");
}

TEST(EnvelopeCodecTest, RejectsOversizedBeforeParsing) {
  std::string big(1025, 'x');
  v1::Envelope out;
  DecodeResult r = DecodeEnvelope(big, 1024, &out);
  EXPECT_EQ(r.failure, DecodeFailure::kOversized);
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status.message().find("1025 bytes exceeds the limit of 1024"), std::string::npos);
}

TEST(EnvelopeCodecTest, RejectsGarbage) {
  const std::string garbage("\xff\xff\xff\xff\xff\x01\x02", 7);
  v1::Envelope out;
  EXPECT_EQ(DecodeEnvelope(garbage, kDefaultMaxMessageBytes, &out).failure,
            DecodeFailure::kUndecodable);
}

TEST(EnvelopeCodecTest, UnknownMajorVersionKeepsCorrelationIdForTheReply) {
  v1::Envelope in;
  in.set_major_version(2);
  in.set_correlation_id(7);
  v1::Envelope out;
  DecodeResult r = DecodeEnvelope(in.SerializeAsString(), kDefaultMaxMessageBytes, &out);
  ASSERT_EQ(r.failure, DecodeFailure::kUnsupportedVersion);
  EXPECT_NE(r.status.message().find("major version 2"), std::string::npos);
  v1::Envelope reply = MakeErrorReply(out, v1::ERROR_CODE_UNSUPPORTED_VERSION, r.status.message());
  EXPECT_EQ(reply.correlation_id(), 7u);
  EXPECT_EQ(reply.error().code(), v1::ERROR_CODE_UNSUPPORTED_VERSION);
}

}  // namespace
}  // namespace apsis::transport
