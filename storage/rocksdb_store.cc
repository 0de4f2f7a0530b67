#include "storage/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/log.h"
#include "storage/encoding.h"
#include "storage/file_sync.h"

namespace apsis::storage {
namespace {

namespace fs = std::filesystem;

// Maps a RocksDB status to an Apsis status that says what failed, where and what to do.
Status FromRocks(const rocksdb::Status& s, std::string_view action, const std::string& path) {
  if (s.ok()) return Status::Ok();
  std::string what = std::string(action) + " rocksdb store at " + path + ": " + s.ToString();
  if (s.IsCorruption()) {
    return DataLossError(what +
                         ". The store is corrupt and was not modified or reset. Stop the "
                         "scheduler, move the directory aside and restore the latest backup "
                         "(apsisctl backup restore); keep the damaged copy for diagnosis");
  }
  if (s.IsNoSpace()) {
    return ResourceExhaustedError(what +
                                  ". The disk holding the store is full; nothing of this "
                                  "write was acknowledged. Free space there; writes "
                                  "resume once space is available");
  }
  if (s.IsIOError()) {
    if (s.ToString().find("lock") != std::string::npos) {
      return FailedPreconditionError(what +
                                     ". Another process (a running scheduler?) has the "
                                     "store open; stop it or use another --state-dir");
    }
    return UnavailableError(what + ". Check the disk and filesystem holding the store");
  }
  if (s.IsInvalidArgument()) return InvalidArgumentError(what);
  if (s.IsNotFound() || s.IsPathNotFound()) return NotFoundError(what);
  if (s.IsBusy() || s.IsTryAgain() || s.IsIncomplete()) return UnavailableError(what);
  return InternalError(what);
}

rocksdb::CompressionType Pick(const std::vector<rocksdb::CompressionType>& supported,
                              std::initializer_list<rocksdb::CompressionType> preference) {
  for (rocksdb::CompressionType type : preference) {
    if (std::find(supported.begin(), supported.end(), type) != supported.end()) return type;
  }
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions ColumnOptions(const RocksDbOptions& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool point_lookups) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  cf.target_file_size_base = 64ull << 20;
  cf.level_compaction_dynamic_level_bytes = true;
  std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  cf.compression = Pick(supported, {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression});
  cf.bottommost_compression = cf.compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 * 1024;
  table.format_version = 5;
  table.checksum = rocksdb::kXXH3;  // fast without SSE4.2 crc32c in a generic distro build
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

bool IsPointLookupColumn(std::string_view name) {
  return name == "nodes" || name == "jobs" || name == "placements" || name == "meta";
}

}  // namespace

Status RocksDbStore::OpenDatabase(const RocksDbOptions& options) {
  std::error_code ec;
  bool exists = fs::exists(path_, ec);
  if (exists && !fs::is_directory(path_, ec)) {
    return FailedPreconditionError("state store path " + path_ +
                                   " exists but is not a directory; point --state-dir at a "
                                   "directory");
  }
  bool has_current = exists && fs::exists(fs::path(path_) / "CURRENT", ec);
  bool empty_dir = !exists || fs::is_empty(path_, ec);
  if (!has_current && !empty_dir) {
    return DataLossError("state store directory " + path_ +
                         " is not empty but has no RocksDB CURRENT file: it is damaged or not a "
                         "store. Refusing to create a new store over it; restore a backup into an "
                         "empty directory, or point --state-dir elsewhere");
  }
  if (!has_current && !options.create_if_missing) {
    return NotFoundError("no state store at " + path_ +
                         " and creating one was not allowed; check --state-dir");
  }
  if (!exists) {
    fs::create_directories(path_, ec);  // RocksDB creates only the last path component
    if (ec) {
      return UnavailableError("creating state store directory " + path_ + ": " + ec.message() +
                              "; check the path and its permissions");
    }
  }

  rocksdb::DBOptions db;
  db.create_if_missing = true;  // only reached for a missing or empty directory (checked above)
  db.create_missing_column_families = true;
  db.paranoid_checks = true;
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.max_total_wal_size = options.max_total_wal_bytes;
  db.db_write_buffer_size = options.total_write_buffer_bytes;
  db.max_background_jobs = options.background_jobs;
  db.bytes_per_sync = 1 << 20;
  db.max_open_files = -1;
  db.keep_log_file_num = 5;
  db.max_log_file_size = 16 << 20;
  db.avoid_flush_during_shutdown = !options.flush_on_close;
  db.avoid_flush_during_recovery = true;    // open replays the WAL into memtables, writes no SST
  db.avoid_unnecessary_blocking_io = true;  // obsolete files are deleted in the background
  if (options.env != nullptr) db.env = options.env;

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<std::string> names;
  if (has_current) {
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db, path_, &names);
    if (!s.ok()) return FromRocks(s, "listing column families of", path_);
  }
  // Open every existing family (a newer release may have added some; the schema check then says
  // so clearly) plus any of ours that is missing.
  for (Column column : kAllColumns) {
    std::string name(ColumnName(column));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end()) {
    names.push_back(rocksdb::kDefaultColumnFamilyName);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, ColumnOptions(options, cache, IsPointLookupColumn(name)));
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db, path_, descriptors, &handles_, &raw);
  if (!s.ok()) return FromRocks(s, "opening", path_);
  db_.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) {
    for (Column column : kAllColumns) {
      if (names[i] == ColumnName(column)) columns_[static_cast<size_t>(column)] = handles_[i];
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const RocksDbOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("state store path is empty");
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->path_ = options.path;
  store->options_ = options;
  store->options_.schema.migrations = nullptr;  // only needed here, may not outlive Open
  RETURN_IF_ERROR(store->OpenDatabase(options));
  RETURN_IF_ERROR(store->LoadLastSequence());
  if (options.verify_checksums_on_open) RETURN_IF_ERROR(store->VerifyIntegrity());
  RETURN_IF_ERROR(PrepareSchema(*store, options.schema));
  return store;
}

Status RocksDbStore::LoadLastSequence() {
  ASSIGN_OR_RETURN(std::optional<std::string> last, Get(Column::kMeta, kMetaLastEventSequence));
  uint64_t recorded = 0;
  if (last) {
    std::optional<uint64_t> value = DecodeBigEndian64(*last);
    if (!value) {
      return DataLossError(Describe() +
                           ": meta record last_event_sequence is unreadable; "
                           "restore the latest backup");
    }
    recorded = *value;
  }
  // The newest event must not be beyond the recorded last sequence (they are written together).
  uint64_t newest = 0;
  RETURN_IF_ERROR(Scan(Column::kEvents, ScanRange::All().Reversed(),
                       [&](std::string_view key, std::string_view) {
                         newest = DecodeBigEndian64(key).value_or(0);
                         return false;
                       }));
  if (newest > recorded) {
    return DataLossError(Describe() + ": event " + std::to_string(newest) +
                         " is newer than the recorded last sequence " + std::to_string(recorded) +
                         "; the store is inconsistent. Restore the latest backup");
  }
  last_event_sequence_ = recorded;
  return Status::Ok();
}

void RocksDbStore::CloseDatabase() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (!s.ok()) LogWarn("closing column family failed", {{"error", s.ToString()}});
  }
  handles_.clear();
  for (auto& column : columns_) column = nullptr;
  rocksdb::Status s = db_->Close();
  if (!s.ok()) LogWarn("closing state store failed", {{"path", path_}, {"error", s.ToString()}});
  db_.reset();
}

RocksDbStore::~RocksDbStore() {
  std::unique_lock lock(db_mu_);
  CloseDatabase();
}

Status RocksDbStore::Closed() const {
  return UnavailableError(Describe() +
                          " is closed after a failed write and could not be reopened yet; "
                          "the next write retries. Check the disk");
}

// Writes and syncs a small file next to the database: does the filesystem take writes again?
Status RocksDbStore::ProbeWritable() const {
  rocksdb::Env* env = options_.env != nullptr ? options_.env : rocksdb::Env::Default();
  std::string probe = path_ + "/WRITE_PROBE";
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::Status s = env->NewWritableFile(probe, &file, rocksdb::EnvOptions());
  if (s.ok()) s = file->Append(std::string(64 * 1024, '\0'));
  if (s.ok()) s = file->Sync();
  if (file) {
    rocksdb::Status closed = file->Close();
    if (s.ok()) s = closed;
  }
  rocksdb::Status removed = env->DeleteFile(probe);
  (void)removed;  // absent when creation failed
  return FromRocks(s, "probing free space for", path_);
}

// Called under write_mu_ after a failed write. RocksDB stops writes after an I/O error; Resume()
// clears most of them, but a failed WAL write is fatal to the open instance, so then the
// database is closed and reopened (replaying its WAL), once the filesystem accepts writes again;
// until then the old instance stays open for reads.
Status RocksDbStore::RecoverFromWriteFailure() {
  {
    std::shared_lock lock(db_mu_);
    if (db_) {
      rocksdb::Status s = db_->Resume();
      if (s.ok()) {
        LogInfo("state store writable again", {{"path", path_}});
        return Status::Ok();
      }
      // Busy: RocksDB's own recovery is running (it retries a full disk every few seconds); the
      // write tells whether it has finished.
      if (s.IsBusy()) return Status::Ok();
    }
  }
  RETURN_IF_ERROR(ProbeWritable());
  {
    std::unique_lock lock(db_mu_);
    CloseDatabase();
    RETURN_IF_ERROR(OpenDatabase(options_));
  }
  RETURN_IF_ERROR(LoadLastSequence());
  LogInfo("state store reopened after a failed write", {{"path", path_}});
  return Status::Ok();
}

rocksdb::ColumnFamilyHandle* RocksDbStore::Handle(Column column) const {
  return columns_[static_cast<size_t>(column)];
}

std::string RocksDbStore::Describe() const { return "rocksdb store at " + path_; }

uint64_t RocksDbStore::LastEventSequence() const { return last_event_sequence_.load(); }

Result<CommitInfo> RocksDbStore::Write(const WriteBatch& batch) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  std::lock_guard lock(write_mu_);
  if (needs_resume_) {
    RETURN_IF_ERROR(RecoverFromWriteFailure());
    needs_resume_ = false;
  }
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Closed();
  uint64_t first = last_event_sequence_ + 1;
  rocksdb::WriteBatch rocks_batch;
  rocksdb::Status build;
  ForEachResolvedOp(batch, first, [&](const ResolvedOp& op) {
    if (!build.ok()) return;
    rocksdb::ColumnFamilyHandle* cf = Handle(op.column);
    rocksdb::Slice key(op.key.data(), op.key.size());
    rocksdb::Slice value(op.value.data(), op.value.size());
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        build = rocks_batch.Put(cf, key, value);
        break;
      case WriteBatch::OpKind::kDelete:
        build = rocks_batch.Delete(cf, key);
        break;
      case WriteBatch::OpKind::kDeleteRange:
        build = rocks_batch.DeleteRange(cf, key, value);
        break;
    }
  });
  if (!build.ok()) return FromRocks(build, "building a write batch for", path_);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::Status s = db_->Write(write_options, &rocks_batch);
  if (!s.ok()) {
    needs_resume_ = true;  // the next write first gets RocksDB out of its error state
    Status status = FromRocks(s, "writing to", path_);
    LogWarn("state store write failed", {{"path", path_}, {"error", status.ToString()}});
    return status;
  }
  needs_resume_ = false;
  CommitInfo info;
  if (batch.event_count() > 0) {
    info.first_event_sequence = first;
    info.event_count = batch.event_count();
    last_event_sequence_ = first + batch.event_count() - 1;
  }
  return info;
}

Result<std::optional<std::string>> RocksDbStore::Get(Column column, std::string_view key) const {
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Handle(column),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading from", path_);
  return std::optional<std::string>(std::move(value));
}

Status RocksDbStore::Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const {
  if (!range.begin.empty() && !range.end.empty() && range.end <= range.begin) return Status::Ok();
  rocksdb::ReadOptions read_options;
  rocksdb::Slice lower(range.begin);
  rocksdb::Slice upper(range.end);
  if (!range.begin.empty()) read_options.iterate_lower_bound = &lower;
  if (!range.end.empty()) read_options.iterate_upper_bound = &upper;
  // Whole-column scans (start-up rebuild) read sequentially; don't let them evict hot blocks.
  if (range.begin.empty() && range.end.empty()) {
    read_options.fill_cache = false;
    read_options.readahead_size = 2 << 20;
  }
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Handle(column)));
  if (!range.reverse) {
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
        break;
      }
    }
  } else {
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
        break;
      }
    }
  }
  return FromRocks(it->status(), "scanning column " + std::string(ColumnName(column)) + " of",
                   path_);
}

Status RocksDbStore::BackupTo(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return AlreadyExistsError("backup directory " + dir +
                              " already exists; pick a new directory for each backup");
  }
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s, "preparing a backup of", path_);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  if (!s.ok()) return FromRocks(s, "backing up to " + dir + " from", path_);
  LogInfo("state store backed up", {{"path", path_}, {"backup", dir}});
  return Status::Ok();
}

Status RocksDbStore::VerifyIntegrity() const {
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  return FromRocks(db_->VerifyChecksum(), "verifying checksums of", path_);
}

Status RocksDbStore::Flush() {
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  return FromRocks(db_->Flush(flush, all), "flushing", path_);
}

Status RocksDbStore::CompactAll() {
  RETURN_IF_ERROR(Flush());
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    rocksdb::Status s = db_->CompactRange(compact, handle, nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, "compacting", path_);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RocksDbStore::SplitKeys(Column column, int parts) const {
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  std::string_view name = ColumnName(column);
  int deepest = -1;
  for (const auto& f : files) {
    if (f.column_family_name == name) deepest = std::max(deepest, f.level);
  }
  std::vector<std::pair<std::string, uint64_t>> level;  // smallest key, size
  uint64_t total = 0;
  for (const auto& f : files) {
    if (f.column_family_name != name || f.level != deepest) continue;
    level.emplace_back(f.smallestkey, f.size);
    total += f.size;
  }
  std::sort(level.begin(), level.end());
  std::vector<std::string> splits;
  uint64_t before = 0;
  for (const auto& [smallest, size] : level) {
    // Cut before this file when the data before it has reached the next share.
    size_t next = splits.size() + 1;
    if (next < static_cast<size_t>(parts) && before > 0 && before * parts >= total * next) {
      splits.push_back(smallest);
    }
    before += size;
  }
  return splits;
}

Result<std::string> RocksDbStore::Property(Column column, const std::string& name) const {
  std::shared_lock lock(db_mu_);
  if (!db_) return Closed();
  std::string value;
  if (!db_->GetProperty(Handle(column), name, &value)) {
    return NotFoundError("no RocksDB property '" + name + "' for column " +
                         std::string(ColumnName(column)));
  }
  return value;
}

Status RestoreBackup(const std::string& backup_dir, const std::string& target_dir) {
  std::error_code ec;
  if (!fs::exists(fs::path(backup_dir) / "CURRENT", ec)) {
    return NotFoundError("no backup at " + backup_dir +
                         " (no CURRENT file); give the directory BackupTo wrote");
  }
  if (fs::exists(target_dir, ec) && !fs::is_empty(target_dir, ec)) {
    return FailedPreconditionError("restore target " + target_dir +
                                   " is not empty; move the old store aside first");
  }
  // Copy into a sibling temporary directory and rename it into place, so a crash mid-copy never
  // leaves a half-restored store at the target path.
  std::string staging = target_dir + ".restoring";
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return UnavailableError("creating " + staging + ": " + ec.message());
  for (const fs::directory_entry& entry : fs::directory_iterator(backup_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    fs::path to = fs::path(staging) / entry.path().filename();
    fs::copy_file(entry.path(), to, fs::copy_options::overwrite_existing, ec);
    if (ec) return UnavailableError("copying " + entry.path().string() + ": " + ec.message());
    RETURN_IF_ERROR(SyncFile(to.string()));
  }
  if (ec) return UnavailableError("listing backup " + backup_dir + ": " + ec.message());
  RETURN_IF_ERROR(SyncFile(staging));
  if (fs::exists(target_dir, ec)) fs::remove(target_dir, ec);  // empty, checked above
  fs::rename(staging, target_dir, ec);
  if (ec)
    return UnavailableError("renaming " + staging + " to " + target_dir + ": " + ec.message());
  RETURN_IF_ERROR(SyncFile(fs::path(target_dir).parent_path().string()));

  // Verify every block checksum of the restored copy before anyone opens it for writing.
  rocksdb::DBOptions db;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db, target_dir, &names);
  if (!s.ok()) return FromRocks(s, "listing column families of restored", target_dir);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db, target_dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "opening restored", target_dir);
  std::unique_ptr<rocksdb::DB> restored(raw);
  s = restored->VerifyChecksum();
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    rocksdb::Status destroy = restored->DestroyColumnFamilyHandle(handle);
    (void)destroy;
  }
  if (!s.ok()) return FromRocks(s, "verifying restored", target_dir);
  LogInfo("state store restored", {{"backup", backup_dir}, {"path", target_dir}});
  return Status::Ok();
}

}  // namespace apsis::storage
