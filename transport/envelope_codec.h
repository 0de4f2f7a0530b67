// Encoding and decoding of apsis.v1.Envelope, the unit of every message on the wire.
//
// Decoding checks, in order: size limit, protobuf well-formedness, protocol major version. Pure
// functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apsis/v1/envelope.pb.h"
#include "common/status.h"

namespace apsis::transport {

inline constexpr uint32_t kProtocolMajor = 1;
inline constexpr uint32_t kProtocolMinor = 0;
inline constexpr size_t kDefaultMaxMessageBytes = 4 * 1024 * 1024;

enum class DecodeFailure { kNone, kOversized, kUndecodable, kUnsupportedVersion };

struct DecodeResult {
  DecodeFailure failure = DecodeFailure::kNone;
  Status status;  // OK when failure == kNone
};

// Parses `bytes` into `out`. On kUnsupportedVersion `out` is filled (so a reply can carry the
// correlation id); on other failures its content is unspecified.
DecodeResult DecodeEnvelope(std::string_view bytes, size_t max_bytes, v1::Envelope* out);

// Serializes `envelope`, stamping the protocol version if it is unset.
std::string EncodeEnvelope(v1::Envelope envelope);

// An Error envelope answering `request` (same correlation id).
v1::Envelope MakeErrorReply(const v1::Envelope& request, v1::ErrorCode code, std::string message);

// "hello", "heartbeat", ... : the name of the body case, for logs and metrics.
std::string BodyName(const v1::Envelope& envelope);

}  // namespace apsis::transport
