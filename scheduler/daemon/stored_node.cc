#include "scheduler/daemon/stored_node.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace apsis::daemon {

namespace {

using google::protobuf::internal::WireFormatLite;

constexpr int kForecastField = v1::StoredNode::kForecastFieldNumber;

}  // namespace

Result<SplitNodeRecord> SplitStoredNode(std::string_view value) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(value.data()),
                                            static_cast<int>(value.size()));
  std::string rest;
  rest.reserve(256);
  SplitNodeRecord out;
  int forecasts = 0;
  for (;;) {
    const int field_start = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      // 0 is the end of the input, or a malformed tag anywhere else.
      if (static_cast<size_t>(field_start) != value.size())
        return InvalidArgumentError("node record: malformed field");
      break;
    }
    if (WireFormatLite::GetTagFieldNumber(tag) == kForecastField &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      if (!in.ReadVarint32(&length) || length > value.size() - in.CurrentPosition())
        return InvalidArgumentError("node record: truncated forecast");
      out.forecast = std::string(value.substr(in.CurrentPosition(), length));
      in.Skip(static_cast<int>(length));
      ++forecasts;
      continue;
    }
    if (!WireFormatLite::SkipField(&in, tag))
      return InvalidArgumentError("node record: malformed field");
    rest.append(value.substr(field_start, in.CurrentPosition() - field_start));
  }
  if (!out.rest.ParseFromString(rest)) return InvalidArgumentError("node record: unreadable");
  if (forecasts > 1) {
    // Repeated occurrences of a message field merge; let protobuf do it (never written by us).
    v1::StoredNode whole;
    if (!whole.ParseFromArray(value.data(), static_cast<int>(value.size())))
      return InvalidArgumentError("node record: unreadable forecast");
    out.forecast = whole.forecast().SerializeAsString();
  }
  return out;
}

std::string JoinStoredNode(const v1::StoredNode& rest, const std::optional<std::string>& forecast) {
  std::string out = rest.SerializeAsString();
  if (!forecast) return out;
  // Fields may come in any order on the wire; a length-delimited field 5 appended to the rest
  // parses as the forecast.
  uint8_t header[16];
  uint8_t* end = WireFormatLite::WriteTagToArray(kForecastField,
                                                 WireFormatLite::WIRETYPE_LENGTH_DELIMITED, header);
  end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(forecast->size()), end);
  out.append(reinterpret_cast<const char*>(header), end - header);
  out.append(*forecast);
  return out;
}

ForecastGaugeSeries ForecastGaugeSeries::From(const v1::Forecast& forecast, bool orbital) {
  ForecastGaugeSeries out;
  out.start_us = forecast.start_us();
  out.step_us = forecast.step_us();
  out.battery_capacity_wh = forecast.battery().capacity_wh();
  out.available_w.reserve(forecast.steps_size());
  for (const v1::PowerStep& step : forecast.steps()) {
    out.available_w.push_back(static_cast<float>(step.available_w()));
    if (orbital) out.sunlit.push_back(step.sunlit_fraction() > 0);
  }
  return out;
}

}  // namespace apsis::daemon
