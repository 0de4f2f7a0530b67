#include "storage/store.h"

#include <thread>

#include "storage/encoding.h"

namespace apsis::storage {

ScanRange ScanRange::WithPrefix(std::string_view prefix) {
  return ScanRange{std::string(prefix), PrefixSuccessor(prefix)};
}

Status ParallelScan(const Store& store, Column column, const std::vector<std::string>& split_keys,
                    const std::function<ScanVisitor(size_t range)>& visitor_for) {
  size_t ranges = split_keys.size() + 1;
  std::vector<Status> results(ranges);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ranges; ++i) {
    ScanRange range;
    if (i > 0) range.begin = split_keys[i - 1];
    if (i < split_keys.size()) range.end = split_keys[i];
    ScanVisitor visitor = visitor_for(i);
    auto scan = [&store, column, range, visitor = std::move(visitor), &result = results[i]] {
      result = store.Scan(column, range, visitor);
    };
    if (i + 1 == ranges) {
      scan();  // the calling thread takes the last range
    } else {
      threads.emplace_back(std::move(scan));
    }
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) RETURN_IF_ERROR(s);
  return Status::Ok();
}

}  // namespace apsis::storage
