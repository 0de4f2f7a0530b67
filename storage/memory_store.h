// MemoryStore: a Store held in ordered maps, for unit tests and the simulator. Same layout and
// semantics as RocksDbStore (atomic batches, event sequences and indexes), no durability: the data
// lives as long as the object.
//
// Thread-safe (one reader/writer lock). Scan holds the read lock while visiting, so a visitor must
// not write to the same store.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "storage/schema.h"
#include "storage/store.h"

namespace apsis::storage {

class MemoryStore final : public Store {
 public:
  // An empty store with no schema records; most callers want Open().
  MemoryStore() = default;
  // An empty store prepared with `schema` (version and cluster id recorded).
  static Result<std::unique_ptr<MemoryStore>> Open(const SchemaOptions& schema);

  Result<CommitInfo> Write(const WriteBatch& batch) override;
  Result<std::optional<std::string>> Get(Column column, std::string_view key) const override;
  Status Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const override;
  uint64_t LastEventSequence() const override { return last_event_sequence_.load(); }
  Status BackupTo(const std::string& dir) override;
  Status VerifyIntegrity() const override { return Status::Ok(); }
  std::string Describe() const override { return "in-memory store"; }
  Result<std::vector<std::string>> SplitKeys(Column column, int parts) const override;

 private:
  using Table = std::map<std::string, std::string, std::less<>>;
  mutable std::shared_mutex mu_;
  Table tables_[kColumnCount];
  std::atomic<uint64_t> last_event_sequence_{0};
};

}  // namespace apsis::storage
