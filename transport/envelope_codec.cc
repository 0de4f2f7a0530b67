#include "transport/envelope_codec.h"

namespace apsis::transport {

DecodeResult DecodeEnvelope(std::string_view bytes, size_t max_bytes, v1::Envelope* out) {
  if (bytes.size() > max_bytes) {
    return {DecodeFailure::kOversized,
            ResourceExhaustedError("message of " + std::to_string(bytes.size()) +
                                   " bytes exceeds the limit of " + std::to_string(max_bytes) +
                                   " bytes (max_message_bytes)")};
  }
  out->Clear();
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return {DecodeFailure::kUndecodable,
            InvalidArgumentError("message of " + std::to_string(bytes.size()) +
                                 " bytes is not a valid apsis.v1.Envelope")};
  }
  if (out->major_version() != kProtocolMajor) {
    return {DecodeFailure::kUnsupportedVersion,
            FailedPreconditionError("peer speaks protocol major version " +
                                    std::to_string(out->major_version()) + ", this side speaks " +
                                    std::to_string(kProtocolMajor) +
                                    ": upgrade the older side so both use the same major version")};
  }
  return {};
}

std::string EncodeEnvelope(v1::Envelope envelope) {
  if (envelope.major_version() == 0) {
    envelope.set_major_version(kProtocolMajor);
    envelope.set_minor_version(kProtocolMinor);
  }
  return envelope.SerializeAsString();
}

v1::Envelope MakeErrorReply(const v1::Envelope& request, v1::ErrorCode code, std::string message) {
  v1::Envelope reply;
  reply.set_major_version(kProtocolMajor);
  reply.set_minor_version(kProtocolMinor);
  reply.set_correlation_id(request.correlation_id());
  reply.mutable_error()->set_code(code);
  reply.mutable_error()->set_message(std::move(message));
  return reply;
}

std::string BodyName(const v1::Envelope& envelope) {
  switch (envelope.body_case()) {
    case v1::Envelope::kHello:
      return "hello";
    case v1::Envelope::kHeartbeat:
      return "heartbeat";
    case v1::Envelope::kForecast:
      return "forecast";
    case v1::Envelope::kJobEvent:
      return "job_event";
    case v1::Envelope::kWelcome:
      return "welcome";
    case v1::Envelope::kStartJob:
      return "start_job";
    case v1::Envelope::kStopJob:
      return "stop_job";
    case v1::Envelope::kAck:
      return "ack";
    case v1::Envelope::kClientRequest:
      return "client_request";
    case v1::Envelope::kClientResponse:
      return "client_response";
    case v1::Envelope::kError:
      return "error";
    case v1::Envelope::BODY_NOT_SET:
      return "empty";
  }
  return "unknown";
}

}  // namespace apsis::transport
