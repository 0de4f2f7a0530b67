#include "storage/faulty_store.h"

namespace apsis::storage {
namespace {

std::string Corrupt(std::string_view value) {
  std::string out(value);
  if (!out.empty()) out[0] = static_cast<char>(~static_cast<unsigned char>(out[0]));
  return out;
}

}  // namespace

void FaultyStore::FailNthWrite(uint64_t n) {
  std::lock_guard lock(mu_);
  writes_until_failure_ = n;
}

void FaultyStore::SetDiskFull(bool full) {
  std::lock_guard lock(mu_);
  disk_full_ = full;
}

void FaultyStore::CorruptReads(Column column, std::string key) {
  std::lock_guard lock(mu_);
  corrupted_.emplace(column, std::move(key));
}

void FaultyStore::ClearFaults() {
  std::lock_guard lock(mu_);
  writes_until_failure_ = 0;
  disk_full_ = false;
  corrupted_.clear();
}

uint64_t FaultyStore::failed_writes() const {
  std::lock_guard lock(mu_);
  return failed_writes_;
}

bool FaultyStore::IsCorrupted(Column column, std::string_view key) const {
  std::lock_guard lock(mu_);
  if (corrupted_.empty()) return false;
  return corrupted_.count(std::make_pair(column, std::string(key))) > 0;
}

Result<CommitInfo> FaultyStore::Write(const WriteBatch& batch) {
  {
    std::lock_guard lock(mu_);
    if (disk_full_) {
      ++failed_writes_;
      return ResourceExhaustedError(Describe() +
                                    ": no space left on device (injected disk-full fault); "
                                    "nothing of this write was applied. Free disk space");
    }
    if (writes_until_failure_ > 0 && --writes_until_failure_ == 0) {
      ++failed_writes_;
      return UnavailableError(Describe() +
                              ": I/O error (injected write failure); nothing of "
                              "this write was applied");
    }
  }
  return target_.Write(batch);
}

Result<std::optional<std::string>> FaultyStore::Get(Column column, std::string_view key) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, target_.Get(column, key));
  if (value && IsCorrupted(column, key)) return std::optional<std::string>(Corrupt(*value));
  return value;
}

Status FaultyStore::Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const {
  return target_.Scan(column, range, [&](std::string_view key, std::string_view value) {
    if (IsCorrupted(column, key)) {
      std::string corrupted = Corrupt(value);
      return visit(key, corrupted);
    }
    return visit(key, value);
  });
}

}  // namespace apsis::storage
