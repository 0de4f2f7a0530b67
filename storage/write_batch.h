// WriteBatch: the changes of one state transition, applied by a Store all or nothing.
//
// Values are opaque bytes (serialized protobuf messages); keys are chosen by the caller per column.
// Events are appended without a sequence number: the store assigns consecutive sequence numbers
// when the batch is written, and keeps the event indexes (by job, by time) and the meta record of
// the last sequence in the same atomic write. A WriteBatch is a plain value (thread-compatible).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace apsis::storage {

// Column families. kEventsByJob and kEventsByTime are indexes maintained by the store.
enum class Column : uint8_t {
  kNodes = 0,
  kJobs,
  kPlacements,
  kEvents,
  kEventsByJob,
  kEventsByTime,
  kMeta,
};
inline constexpr size_t kColumnCount = 7;
inline constexpr Column kAllColumns[kColumnCount] = {
    Column::kNodes,       Column::kJobs,         Column::kPlacements, Column::kEvents,
    Column::kEventsByJob, Column::kEventsByTime, Column::kMeta};

// The RocksDB column family name ("nodes", "jobs", "placements", "events", "events_by_job",
// "events_by_time", "meta").
std::string_view ColumnName(Column column);

// An event to append; `job_id` may be empty for events that concern no job (they are then not in
// the by-job index). Job ids must not contain '\0'.
struct NewEvent {
  TimePoint time;
  std::string job_id;
  std::string payload;
};

class WriteBatch {
 public:
  enum class OpKind : uint8_t { kPut, kDelete, kDeleteRange };
  struct Op {
    OpKind kind;
    Column column;
    std::string key;    // for kDeleteRange: first key deleted
    std::string value;  // for kDeleteRange: first key kept (exclusive end)
  };

  void Put(Column column, std::string_view key, std::string_view value);
  void Delete(Column column, std::string_view key);
  // Deletes every key in [begin, end); `end` must be non-empty and not sort before `begin`.
  void DeleteRange(Column column, std::string_view begin, std::string_view end);
  // Appends an event; its sequence number is assigned when the batch is written.
  void AppendEvent(NewEvent event);

  // Appends all of `other` after this batch's changes (group commit merges batches this way).
  void Append(const WriteBatch& other);
  void Append(WriteBatch&& other);

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<NewEvent>& events() const { return events_; }
  bool empty() const { return ops_.empty() && events_.empty(); }
  size_t event_count() const { return events_.size(); }
  // Approximate payload size in bytes (keys + values), for batch size caps.
  size_t byte_size() const { return byte_size_; }
  void Clear();

 private:
  std::vector<Op> ops_;
  std::vector<NewEvent> events_;
  size_t byte_size_ = 0;
};

// What a successful write assigned: events of the batch got sequence numbers
// first_event_sequence .. first_event_sequence + event_count - 1 in batch order.
struct CommitInfo {
  uint64_t first_event_sequence = 0;  // 0 when the batch had no events
  uint64_t event_count = 0;
};

}  // namespace apsis::storage
