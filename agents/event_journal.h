// EventJournal: the agent's durable queue of JobEvents awaiting the scheduler's acknowledgement.
//
// Events get strictly increasing per-node sequence numbers and are appended to one file with
// fsync before they are sent, so an agent that crashes or restarts mid-job loses none: reopening
// the journal yields every event the scheduler has not acknowledged, in order. Acknowledgements
// ("everything up to sequence N") are appended too; the file is rewritten compactly once it grows
// and nothing is pending. Records carry a length and checksum; a torn record at the end (a crash
// mid-write) is dropped, and corruption anywhere else is reported as DATA_LOSS naming the offset.
//
// Not thread-safe: used from the agent's loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "apsis/v1/agent.pb.h"
#include "common/status.h"

namespace apsis::agents {

class EventJournal {
 public:
  // Opens (or creates) the journal at `path`; its directory must exist. The file is rewritten
  // once it exceeds `compact_at_bytes` with nothing pending.
  static Result<std::unique_ptr<EventJournal>> Open(const std::string& path,
                                                    size_t compact_at_bytes = 256 * 1024);
  ~EventJournal();

  // Assigns the next sequence number to `event`, makes it durable and queues it.
  Result<v1::JobEvent> Append(v1::JobEvent event);

  // Drops every queued event with sequence <= `sequence` (durably).
  Status Acknowledge(uint64_t sequence);

  // Makes sure new events are numbered above `last_recorded` (the scheduler's Welcome says which
  // sequence it has already recorded for this node, e.g. after this agent's disk was replaced).
  Status EnsureSequenceAbove(uint64_t last_recorded);

  const std::deque<v1::JobEvent>& pending() const { return pending_; }
  uint64_t next_sequence() const { return next_sequence_; }
  uint64_t acknowledged() const { return acknowledged_; }
  const std::string& path() const { return path_; }

 private:
  EventJournal(std::string path, int fd, size_t compact_at_bytes)
      : path_(std::move(path)), fd_(fd), compact_at_bytes_(compact_at_bytes) {}
  Status Load();
  Status WriteRecord(char type, const std::string& payload);
  Status MaybeCompact();

  std::string path_;
  int fd_ = -1;
  size_t compact_at_bytes_;
  uint64_t next_sequence_ = 1;
  uint64_t acknowledged_ = 0;
  size_t file_bytes_ = 0;
  std::deque<v1::JobEvent> pending_;
};

}  // namespace apsis::agents
