// Store: the durable state of the Apsis scheduler, as column families of opaque byte values.
//
// Implementations: RocksDbStore (production, rocksdb_store.h), MemoryStore (tests, simulator,
// memory_store.h) and FaultyStore (wraps another store and injects failures, faulty_store.h).
//
// Durability contract: Write() returns OK only after the whole batch is durable (for RocksDB: in
// the write-ahead log with sync=true). A batch is applied all or nothing, also across a crash.
// One fsync per Write() is slow (~2,300/s on our disks); callers that write often go through a
// GroupCommitter (group_committer.h), which merges the batches of many submitters into one Write.
//
// Thread-safety: every method may be called concurrently from any thread. Scan visitors run on
// the calling thread and must not write to the same store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/write_batch.h"

namespace apsis::storage {

// Keys visited by Scan: [begin, end) in bytewise order; empty begin/end mean unbounded.
struct ScanRange {
  std::string begin;
  std::string end;
  bool reverse = false;  // visit from the last key of the range down to the first

  static ScanRange All() { return {}; }
  static ScanRange WithPrefix(std::string_view prefix);
  static ScanRange Between(std::string_view begin, std::string_view end) {
    return ScanRange{std::string(begin), std::string(end)};
  }
  ScanRange Reversed() const {
    ScanRange copy = *this;
    copy.reverse = !reverse;
    return copy;
  }
};

// Called for each entry in order; return false to stop the scan early. The views are valid only
// during the call.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class Store {
 public:
  virtual ~Store() = default;

  // Applies `batch` atomically and durably; assigns sequence numbers to its events.
  // Errors: ResourceExhausted when the disk is full (nothing of the batch is applied), DataLoss
  // when the store is corrupt, Unavailable/Internal for other I/O failures.
  virtual Result<CommitInfo> Write(const WriteBatch& batch) = 0;

  // The value at `key`, or nullopt when absent.
  virtual Result<std::optional<std::string>> Get(Column column, std::string_view key) const = 0;

  // Visits the entries of `range` in one consistent snapshot.
  virtual Status Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const = 0;

  // The sequence number of the last appended event (0 when none ever was).
  virtual uint64_t LastEventSequence() const = 0;

  // Writes a consistent, self-contained copy of the store to `dir` (which must not exist) while
  // the store stays online. See RestoreBackup in rocksdb_store.h for the way back.
  virtual Status BackupTo(const std::string& dir) = 0;

  // Checks every stored checksum; DataLoss on corruption. Reads the whole store.
  virtual Status VerifyIntegrity() const = 0;

  // Where this store lives, for messages ("rocksdb store at /var/lib/apsis/state").
  virtual std::string Describe() const = 0;

  // Up to `parts` - 1 keys that cut `column` into ranges of roughly equal size, in order, so a
  // start-up rebuild can scan the ranges on several threads (see ParallelScan). May return fewer
  // (none for a small column); any split is correct, only the balance varies.
  virtual Result<std::vector<std::string>> SplitKeys(Column column, int parts) const {
    return std::vector<std::string>();
  }
};

// Scans `column` in the ranges cut by `split_keys`, one thread per range; visitor_for(i) makes the
// visitor of range i (ranges are in key order). Returns the first error of any range.
Status ParallelScan(const Store& store, Column column, const std::vector<std::string>& split_keys,
                    const std::function<ScanVisitor(size_t range)>& visitor_for);

}  // namespace apsis::storage
