// Event log queries and retention over any Store (the layout is in encoding.h).
//
// Events are appended through WriteBatch::AppendEvent and get consecutive sequence numbers. Two
// indexes written in the same batch make the common questions cheap: events_by_job
// (job id, sequence) answers "what happened to job X" and events_by_time (time, sequence) answers
// "what happened between T1 and T2" even when event times are not monotonic in sequence order.
//
// Thread-safety: the functions are thread-safe as far as the Store is. Retention may run while
// other threads append events: it deletes only events older than its cut-off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/time.h"
#include "storage/encoding.h"
#include "storage/store.h"

namespace apsis::storage {

enum class EventOrder { kOldestFirst, kNewestFirst };

// Events with sequence > `after_sequence`, oldest first, at most `limit`.
Result<std::vector<Event>> ReadEventsAfter(const Store& store, uint64_t after_sequence,
                                           size_t limit);

// Events with from <= time < to, ordered by (time, sequence), at most `limit`.
Result<std::vector<Event>> ReadEventsByTime(const Store& store, TimePoint from, TimePoint to,
                                            size_t limit,
                                            EventOrder order = EventOrder::kOldestFirst);

// Events of one job in sequence order, at most `limit`.
Result<std::vector<Event>> ReadEventsForJob(const Store& store, std::string_view job_id,
                                            size_t limit,
                                            EventOrder order = EventOrder::kOldestFirst);

struct RetentionPolicy {
  std::optional<Duration> max_age;     // delete events older than now - max_age
  std::optional<uint64_t> max_events;  // keep only the newest max_events sequence numbers
  size_t delete_batch_size = 10000;    // events deleted per atomic write
};

struct RetentionResult {
  uint64_t deleted_events = 0;
};

// Deletes events (and their index entries) that fall outside `policy`; `clock` gives "now".
Result<RetentionResult> ApplyEventRetention(Store& store, const RetentionPolicy& policy,
                                            const Clock& clock);

}  // namespace apsis::storage
