#include "storage/memory_store.h"

#include <mutex>

#include "storage/encoding.h"

namespace apsis::storage {

Result<std::unique_ptr<MemoryStore>> MemoryStore::Open(const SchemaOptions& schema) {
  auto store = std::make_unique<MemoryStore>();
  RETURN_IF_ERROR(PrepareSchema(*store, schema));
  return store;
}

Result<CommitInfo> MemoryStore::Write(const WriteBatch& batch) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  std::unique_lock lock(mu_);
  uint64_t first = last_event_sequence_.load() + 1;
  ForEachResolvedOp(batch, first, [&](const ResolvedOp& op) {
    Table& table = tables_[static_cast<size_t>(op.column)];
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        table.insert_or_assign(std::string(op.key), std::string(op.value));
        break;
      case WriteBatch::OpKind::kDelete: {
        auto it = table.find(op.key);
        if (it != table.end()) table.erase(it);
        break;
      }
      case WriteBatch::OpKind::kDeleteRange: {
        if (!op.value.empty() && op.value <= op.key) break;
        auto begin = table.lower_bound(op.key);
        auto end = op.value.empty() ? table.end() : table.lower_bound(op.value);
        table.erase(begin, end);
        break;
      }
    }
  });
  CommitInfo info;
  if (batch.event_count() > 0) {
    info.first_event_sequence = first;
    info.event_count = batch.event_count();
    last_event_sequence_.store(first + batch.event_count() - 1);
  }
  return info;
}

Result<std::optional<std::string>> MemoryStore::Get(Column column, std::string_view key) const {
  std::shared_lock lock(mu_);
  const Table& table = tables_[static_cast<size_t>(column)];
  auto it = table.find(key);
  if (it == table.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const {
  std::shared_lock lock(mu_);
  const Table& table = tables_[static_cast<size_t>(column)];
  if (!range.begin.empty() && !range.end.empty() && range.end <= range.begin) {
    return Status::Ok();  // empty or inverted range
  }
  auto begin = range.begin.empty() ? table.begin() : table.lower_bound(range.begin);
  auto end = range.end.empty() ? table.end() : table.lower_bound(range.end);
  if (!range.reverse) {
    for (auto it = begin; it != end; ++it) {
      if (!visit(it->first, it->second)) break;
    }
  } else {
    for (auto it = end; it != begin;) {
      --it;
      if (!visit(it->first, it->second)) break;
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> MemoryStore::SplitKeys(Column column, int parts) const {
  std::shared_lock lock(mu_);
  const Table& table = tables_[static_cast<size_t>(column)];
  std::vector<std::string> splits;
  if (parts < 2 || table.size() < static_cast<size_t>(parts)) return splits;
  size_t step = table.size() / parts, index = 0;
  for (auto it = table.begin(); it != table.end(); ++it, ++index) {
    if (index > 0 && index % step == 0 && splits.size() + 1 < static_cast<size_t>(parts)) {
      splits.push_back(it->first);
    }
  }
  return splits;
}

Status MemoryStore::BackupTo(const std::string& dir) {
  return UnimplementedError("the in-memory store has nothing on disk to back up to " + dir);
}

}  // namespace apsis::storage
