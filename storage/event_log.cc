#include "storage/event_log.h"

#include <string>

#include "common/log.h"

namespace apsis::storage {
namespace {

// Looks the events of index keys up; entries whose event is gone (deleted by retention after
// the index was read) are skipped.
Result<std::vector<Event>> LoadEvents(const Store& store, const std::vector<uint64_t>& sequences) {
  std::vector<Event> events;
  events.reserve(sequences.size());
  for (uint64_t sequence : sequences) {
    std::string key = EventKey(sequence);
    ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(Column::kEvents, key));
    if (!value) continue;
    ASSIGN_OR_RETURN(Event event, DecodeEvent(key, *value));
    events.push_back(std::move(event));
  }
  return events;
}

Result<std::vector<uint64_t>> IndexSequences(const Store& store, Column index,
                                             const ScanRange& range, size_t limit) {
  std::vector<uint64_t> sequences;
  Status bad_key;
  RETURN_IF_ERROR(store.Scan(index, range, [&](std::string_view key, std::string_view) {
    if (sequences.size() >= limit) return false;
    std::optional<uint64_t> sequence = SequenceFromIndexKey(key);
    if (!sequence) {
      bad_key =
          DataLossError(store.Describe() + ": malformed key in " + std::string(ColumnName(index)));
      return false;
    }
    sequences.push_back(*sequence);
    return true;
  }));
  RETURN_IF_ERROR(bad_key);
  return sequences;
}

Status DeleteEvents(Store& store, const std::vector<Event>& events) {
  WriteBatch batch;
  for (const Event& event : events) {
    batch.Delete(Column::kEvents, EventKey(event.sequence));
    if (!event.job_id.empty()) {
      batch.Delete(Column::kEventsByJob, EventByJobKey(event.job_id, event.sequence));
    }
    batch.Delete(Column::kEventsByTime, EventByTimeKey(event.time, event.sequence));
  }
  if (batch.empty()) return Status::Ok();
  return store.Write(batch).status();
}

// Deletes, chunk by chunk, the events of `events_range` (keys of the events column).
Result<uint64_t> DeleteEventRange(Store& store, const ScanRange& events_range, size_t chunk) {
  uint64_t deleted = 0;
  while (true) {
    std::vector<Event> victims;
    Status decode;
    RETURN_IF_ERROR(
        store.Scan(Column::kEvents, events_range, [&](std::string_view k, std::string_view v) {
          Result<Event> event = DecodeEvent(k, v);
          if (!event.ok()) {
            decode = event.status();
            return false;
          }
          victims.push_back(std::move(*event));
          return victims.size() < chunk;
        }));
    RETURN_IF_ERROR(decode);
    if (victims.empty()) return deleted;
    RETURN_IF_ERROR(DeleteEvents(store, victims));
    deleted += victims.size();
  }
}

}  // namespace

Result<std::vector<Event>> ReadEventsAfter(const Store& store, uint64_t after_sequence,
                                           size_t limit) {
  std::vector<Event> events;
  Status decode;
  ScanRange range;
  if (after_sequence == UINT64_MAX) return events;
  range.begin = EventKey(after_sequence + 1);
  RETURN_IF_ERROR(store.Scan(Column::kEvents, range, [&](std::string_view k, std::string_view v) {
    if (events.size() >= limit) return false;
    Result<Event> event = DecodeEvent(k, v);
    if (!event.ok()) {
      decode = event.status();
      return false;
    }
    events.push_back(std::move(*event));
    return true;
  }));
  RETURN_IF_ERROR(decode);
  return events;
}

Result<std::vector<Event>> ReadEventsByTime(const Store& store, TimePoint from, TimePoint to,
                                            size_t limit, EventOrder order) {
  if (to <= from) return std::vector<Event>();
  ScanRange range = ScanRange::Between(EncodeOrderedTime(from), EncodeOrderedTime(to));
  if (order == EventOrder::kNewestFirst) range = range.Reversed();
  ASSIGN_OR_RETURN(std::vector<uint64_t> sequences,
                   IndexSequences(store, Column::kEventsByTime, range, limit));
  return LoadEvents(store, sequences);
}

Result<std::vector<Event>> ReadEventsForJob(const Store& store, std::string_view job_id,
                                            size_t limit, EventOrder order) {
  if (job_id.empty()) return InvalidArgumentError("a job id is required to query its events");
  ScanRange range = ScanRange::WithPrefix(EventByJobPrefix(job_id));
  if (order == EventOrder::kNewestFirst) range = range.Reversed();
  ASSIGN_OR_RETURN(std::vector<uint64_t> sequences,
                   IndexSequences(store, Column::kEventsByJob, range, limit));
  return LoadEvents(store, sequences);
}

Result<RetentionResult> ApplyEventRetention(Store& store, const RetentionPolicy& policy,
                                            const Clock& clock) {
  RetentionResult result;
  size_t chunk = policy.delete_batch_size == 0 ? 10000 : policy.delete_batch_size;
  if (policy.max_events) {
    uint64_t last = store.LastEventSequence();
    if (last > *policy.max_events) {
      uint64_t first_kept = last - *policy.max_events + 1;
      ASSIGN_OR_RETURN(
          uint64_t deleted,
          DeleteEventRange(store, ScanRange::Between("", EventKey(first_kept)), chunk));
      result.deleted_events += deleted;
    }
  }
  if (policy.max_age) {
    TimePoint cutoff = clock.Now() - *policy.max_age;
    ScanRange old = ScanRange::Between("", EncodeOrderedTime(cutoff));
    while (true) {
      ASSIGN_OR_RETURN(std::vector<uint64_t> sequences,
                       IndexSequences(store, Column::kEventsByTime, old, chunk));
      if (sequences.empty()) break;
      ASSIGN_OR_RETURN(std::vector<Event> events, LoadEvents(store, sequences));
      if (events.size() < sequences.size()) {
        // Index entries without their event: a damaged store (both are written atomically).
        return DataLossError(store.Describe() +
                             ": events_by_time refers to missing events; "
                             "run a backup restore or a consistency repair");
      }
      RETURN_IF_ERROR(DeleteEvents(store, events));
      result.deleted_events += events.size();
    }
  }
  if (result.deleted_events > 0) {
    LogInfo("event retention applied",
            {{"store", store.Describe()}, {"deleted_events", Kv(result.deleted_events)}});
  }
  return result;
}

}  // namespace apsis::storage
