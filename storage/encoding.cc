#include "storage/encoding.h"

#include <cstring>

namespace apsis::storage {

std::string EncodeBigEndian64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeBigEndian64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return value;
}

std::string EncodeOrderedTime(TimePoint time) {
  return EncodeBigEndian64(static_cast<uint64_t>(time.micros()) ^ (uint64_t{1} << 63));
}

TimePoint DecodeOrderedTime(std::string_view bytes) {
  uint64_t raw = *DecodeBigEndian64(bytes.substr(0, 8));
  return TimePoint::FromMicros(static_cast<int64_t>(raw ^ (uint64_t{1} << 63)));
}

std::string EventKey(uint64_t sequence) { return EncodeBigEndian64(sequence); }

// Value layout: ordered time (8) | job id length (big-endian u32) | job id | payload.
std::string EventValue(const NewEvent& event) {
  std::string out = EncodeOrderedTime(event.time);
  uint32_t n = static_cast<uint32_t>(event.job_id.size());
  char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                 static_cast<char>(n)};
  out.append(len, 4);
  out += event.job_id;
  out += event.payload;
  return out;
}

Result<Event> DecodeEvent(std::string_view key, std::string_view value) {
  std::optional<uint64_t> sequence = DecodeBigEndian64(key);
  if (!sequence) return DataLossError("event key is not an 8-byte sequence number");
  if (value.size() < 12) {
    return DataLossError("event " + std::to_string(*sequence) + " is truncated (" +
                         std::to_string(value.size()) + " bytes)");
  }
  Event event;
  event.sequence = *sequence;
  event.time = DecodeOrderedTime(value);
  uint32_t n = 0;
  for (int i = 8; i < 12; ++i) n = (n << 8) | static_cast<unsigned char>(value[i]);
  if (value.size() - 12 < n) {
    return DataLossError("event " + std::to_string(*sequence) + " has a job id longer than itself");
  }
  event.job_id.assign(value.substr(12, n));
  event.payload.assign(value.substr(12 + n));
  return event;
}

std::string EventByJobKey(std::string_view job_id, uint64_t sequence) {
  std::string out = EventByJobPrefix(job_id);
  out += EncodeBigEndian64(sequence);
  return out;
}

std::string EventByJobPrefix(std::string_view job_id) {
  std::string out(job_id);
  out.push_back('\0');
  return out;
}

std::string EventByTimeKey(TimePoint time, uint64_t sequence) {
  return EncodeOrderedTime(time) + EncodeBigEndian64(sequence);
}

std::optional<uint64_t> SequenceFromIndexKey(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  return DecodeBigEndian64(key.substr(key.size() - 8));
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    unsigned char last = static_cast<unsigned char>(out.back());
    if (last != 0xff) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

Status ValidateBatch(const WriteBatch& batch) {
  for (const NewEvent& event : batch.events()) {
    if (event.job_id.find('\0') != std::string::npos) {
      return InvalidArgumentError("event job id contains a NUL byte; job ids must be text");
    }
  }
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.kind == WriteBatch::OpKind::kDeleteRange && (op.value.empty() || op.value < op.key)) {
      return InvalidArgumentError("DeleteRange in column " + std::string(ColumnName(op.column)) +
                                  " needs an end key that does not sort before its begin");
    }
  }
  return Status::Ok();
}

void ForEachResolvedOp(const WriteBatch& batch, uint64_t first_sequence,
                       const std::function<void(const ResolvedOp&)>& apply) {
  for (const WriteBatch::Op& op : batch.ops()) {
    apply(ResolvedOp{op.kind, op.column, op.key, op.value});
  }
  if (batch.events().empty()) return;
  uint64_t sequence = first_sequence;
  for (const NewEvent& event : batch.events()) {
    std::string key = EventKey(sequence);
    std::string value = EventValue(event);
    apply(ResolvedOp{WriteBatch::OpKind::kPut, Column::kEvents, key, value});
    if (!event.job_id.empty()) {
      std::string by_job = EventByJobKey(event.job_id, sequence);
      apply(ResolvedOp{WriteBatch::OpKind::kPut, Column::kEventsByJob, by_job, {}});
    }
    std::string by_time = EventByTimeKey(event.time, sequence);
    apply(ResolvedOp{WriteBatch::OpKind::kPut, Column::kEventsByTime, by_time, {}});
    ++sequence;
  }
  std::string last = EncodeBigEndian64(sequence - 1);
  apply(ResolvedOp{WriteBatch::OpKind::kPut, Column::kMeta, kMetaLastEventSequence, last});
}

}  // namespace apsis::storage
