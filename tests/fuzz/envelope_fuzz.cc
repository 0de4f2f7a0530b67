// Fuzzes envelope decoding as the scheduler's and agent's receive paths do it: size check,
// protobuf parse, version check, then re-encoding of whatever was accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quiet_protobuf.h"
#include "transport/envelope_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  apsis::v1::Envelope envelope;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto result = apsis::transport::DecodeEnvelope(bytes, 1 << 20, &envelope);
  if (result.failure == apsis::transport::DecodeFailure::kNone ||
      result.failure == apsis::transport::DecodeFailure::kUnsupportedVersion) {
    std::string again = apsis::transport::EncodeEnvelope(envelope);
    apsis::v1::Envelope round_trip;
    if (!round_trip.ParseFromString(again)) __builtin_trap();
    (void)apsis::transport::BodyName(round_trip);
  }
  return 0;
}
