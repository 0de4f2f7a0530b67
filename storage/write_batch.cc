#include "storage/write_batch.h"

#include <iterator>
#include <utility>

namespace apsis::storage {

std::string_view ColumnName(Column column) {
  switch (column) {
    case Column::kNodes:
      return "nodes";
    case Column::kJobs:
      return "jobs";
    case Column::kPlacements:
      return "placements";
    case Column::kEvents:
      return "events";
    case Column::kEventsByJob:
      return "events_by_job";
    case Column::kEventsByTime:
      return "events_by_time";
    case Column::kMeta:
      return "meta";
  }
  return "unknown";
}

void WriteBatch::Put(Column column, std::string_view key, std::string_view value) {
  ops_.push_back(Op{OpKind::kPut, column, std::string(key), std::string(value)});
  byte_size_ += key.size() + value.size();
}

void WriteBatch::Delete(Column column, std::string_view key) {
  ops_.push_back(Op{OpKind::kDelete, column, std::string(key), std::string()});
  byte_size_ += key.size();
}

void WriteBatch::DeleteRange(Column column, std::string_view begin, std::string_view end) {
  ops_.push_back(Op{OpKind::kDeleteRange, column, std::string(begin), std::string(end)});
  byte_size_ += begin.size() + end.size();
}

void WriteBatch::AppendEvent(NewEvent event) {
  byte_size_ += event.job_id.size() + event.payload.size() + 8;
  events_.push_back(std::move(event));
}

void WriteBatch::Append(const WriteBatch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  events_.insert(events_.end(), other.events_.begin(), other.events_.end());
  byte_size_ += other.byte_size_;
}

void WriteBatch::Append(WriteBatch&& other) {
  if (empty()) {
    *this = std::move(other);
    other.Clear();
    return;
  }
  ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
              std::make_move_iterator(other.ops_.end()));
  events_.insert(events_.end(), std::make_move_iterator(other.events_.begin()),
                 std::make_move_iterator(other.events_.end()));
  byte_size_ += other.byte_size_;
  other.Clear();
}

void WriteBatch::Clear() {
  ops_.clear();
  events_.clear();
  byte_size_ = 0;
}

}  // namespace apsis::storage
