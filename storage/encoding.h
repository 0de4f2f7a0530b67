// Key and value encodings shared by every Store implementation, so that all of them lay data out
// identically and the event queries in event_log.h work over any of them.
//
//   events          key: big-endian u64 sequence          value: EncodeEventValue(...)
//   events_by_job   key: job_id '\0' big-endian u64 seq    value: empty
//   events_by_time  key: ordered i64 time µs, u64 seq      value: empty
//   meta            "schema_version" (decimal text), "cluster_id" (text),
//                   "last_event_sequence" (big-endian u64)
//
// Big-endian fixed-width integers sort in numeric order under RocksDB's bytewise comparator.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "storage/write_batch.h"

namespace apsis::storage {

inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaClusterId = "cluster_id";
inline constexpr std::string_view kMetaLastEventSequence = "last_event_sequence";

std::string EncodeBigEndian64(uint64_t value);
// nullopt unless `bytes` is exactly 8 bytes.
std::optional<uint64_t> DecodeBigEndian64(std::string_view bytes);

// A signed time as 8 bytes whose bytewise order is the numeric order (sign bit flipped).
std::string EncodeOrderedTime(TimePoint time);
TimePoint DecodeOrderedTime(std::string_view bytes);  // needs >= 8 bytes

// A stored event.
struct Event {
  uint64_t sequence = 0;
  TimePoint time;
  std::string job_id;
  std::string payload;
};

std::string EventKey(uint64_t sequence);
std::string EventValue(const NewEvent& event);
// Decodes an events-column entry; DataLoss if the bytes are not a valid event.
Result<Event> DecodeEvent(std::string_view key, std::string_view value);

std::string EventByJobKey(std::string_view job_id, uint64_t sequence);
std::string EventByJobPrefix(std::string_view job_id);
std::string EventByTimeKey(TimePoint time, uint64_t sequence);
// The sequence number at the end of an index key (the last 8 bytes).
std::optional<uint64_t> SequenceFromIndexKey(std::string_view key);

// The smallest key greater than every key that starts with `prefix` ("" if there is none, i.e.
// the prefix is all 0xff bytes, meaning "unbounded").
std::string PrefixSuccessor(std::string_view prefix);

// A write with its events resolved into plain puts: the events, both indexes and the meta record
// of the last sequence. Stores call this under their write lock with the next free sequence.
struct ResolvedOp {
  WriteBatch::OpKind kind;
  Column column;
  std::string_view key;
  std::string_view value;  // end key for kDeleteRange
};
// Validates the batch (job ids without '\0'); InvalidArgument otherwise.
Status ValidateBatch(const WriteBatch& batch);
void ForEachResolvedOp(const WriteBatch& batch, uint64_t first_sequence,
                       const std::function<void(const ResolvedOp&)>& apply);

}  // namespace apsis::storage
