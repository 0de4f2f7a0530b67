// FaultyStore: wraps another Store and injects the failures a real disk produces, so tests can show
// what the scheduler does when storage misbehaves (in the spirit of leveldb's SpecialEnv).
//
//   FailNthWrite(n)      the n-th Write from now fails with Unavailable (an I/O error); nothing of
//                        that batch is applied.
//   SetDiskFull(true)    every Write fails with ResourceExhausted, as with ENOSPC, until cleared.
//   CorruptReads(c, k)   reads (Get and Scan) of key k in column c return the stored bytes with
//                        every bit of the first byte flipped, as a silently corrupted sector would.
//
// Reads, scans and everything else pass through unchanged. The wrapped store must outlive this
// object. Thread-safe: faults may be set from any thread while others read and write.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "storage/store.h"

namespace apsis::storage {

class FaultyStore final : public Store {
 public:
  explicit FaultyStore(Store& target) : target_(target) {}

  void FailNthWrite(uint64_t n);
  void SetDiskFull(bool full);
  void CorruptReads(Column column, std::string key);
  void ClearFaults();
  uint64_t failed_writes() const;

  Result<CommitInfo> Write(const WriteBatch& batch) override;
  Result<std::optional<std::string>> Get(Column column, std::string_view key) const override;
  Status Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const override;
  uint64_t LastEventSequence() const override { return target_.LastEventSequence(); }
  Status BackupTo(const std::string& dir) override { return target_.BackupTo(dir); }
  Status VerifyIntegrity() const override { return target_.VerifyIntegrity(); }
  std::string Describe() const override { return "faulty wrapper of " + target_.Describe(); }
  Result<std::vector<std::string>> SplitKeys(Column column, int parts) const override {
    return target_.SplitKeys(column, parts);
  }

 private:
  bool IsCorrupted(Column column, std::string_view key) const;

  Store& target_;
  mutable std::mutex mu_;
  uint64_t writes_until_failure_ = 0;  // 0: no pending failure
  bool disk_full_ = false;
  uint64_t failed_writes_ = 0;
  std::set<std::pair<Column, std::string>, std::less<>> corrupted_;
};

}  // namespace apsis::storage
