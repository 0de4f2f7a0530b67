// RocksDbStore: the production Store, one RocksDB database with a column family per Column.
//
// Durability: every Write is one rocksdb::WriteBatch written with WriteOptions::sync = true, so it
// is in the WAL on disk before Write returns; recovery uses kPointInTimeRecovery, which drops a
// torn, never-acknowledged tail of the WAL after a crash or power loss and always recovers a
// consistent prefix of whole batches. Its trade-off: bit rot in the middle of the (small, recent)
// WAL would end recovery there instead of failing the open; kTolerateCorruptedTailRecords would
// report it but also refuse to open after an ordinary torn write at power loss. SST files are
// covered by block checksums and report corruption as DataLoss. Event sequence numbers are
// assigned under a write lock, and the meta record of the last sequence rides in the same batch.
//
// Options (defaults in RocksDbOptions, chosen for ~1M jobs of ~250 B, a 2-core host and restarts
// that must finish in seconds):
// - max_total_wal_size 64 MiB: when the live WALs pass it, RocksDB flushes the column families that
//   pin the oldest WAL, so crash recovery replays at most ~64 MiB (storage_bench: 21 MiB of WAL
//   replayed in ~0.5 s on a busy 2-core host).
// - write_buffer_size 32 MiB per column family, db_write_buffer_size 128 MiB in total: memtables
//   stay small enough to flush quickly and bound memory.
// - compression: LZ4 on every level (falls back to Snappy or none if the linked librocksdb lacks
//   it; Debian 12's has LZ4 and ZSTD). ZSTD on the bottommost level saved only ~5 % of disk on
//   job-like values in storage_bench (195 vs 204 MiB for 1M jobs); LZ4 decompresses several
//   times faster and the start-up scan reads every block, so restart time wins.
// - checksums: XXH3 per block (as strong as CRC32c for corruption detection, and fast in a
//   generic distribution build without SSE4.2 CRC instructions).
// - block cache: one shared LRU cache of 128 MiB for data, index and filter blocks; 16 KiB blocks
//   (better compression and faster sequential scans than 4 KiB for our value sizes).
// - bloom filters (10 bits/key) on nodes, jobs, placements and meta, which are read by key; none on
//   the event columns, which are only scanned.
// - avoid_flush_during_recovery: after a crash, open replays the WAL into memtables and returns;
//   they are flushed later in the background instead of writing SSTs before the scheduler starts.
// - avoid_unnecessary_blocking_io: obsolete WALs and SSTs are deleted in the background, not
//   inside open (unlinking hundreds of MiB took ~0.5 s of the first open on a busy disk).
// - max_open_files -1: table readers are opened once at start, not lazily during the first scan.
// - max_background_jobs 2 (the host has 2 cores), bytes_per_sync 1 MiB to smooth SST writes.
// - paranoid_checks on: corruption found during open or a background job is reported, never
//   skipped.
//
// Failed writes: RocksDB stops accepting writes after an I/O error (disk full, EIO). The next
// Write first tries rocksdb::DB::Resume(); if RocksDB cannot resume in place (a failed WAL write
// is fatal to the open instance) and a probe file can be written again, the store closes and
// reopens the database, replaying its WAL. Until then writes fail with the same clear error and
// reads keep working. A write that failed with an I/O error (not disk full) may still turn out to
// be applied after such a reopen, exactly as a write in flight during a crash may.
//
// Thread-safety: all methods are thread-safe. Writes are serialized by a mutex (a GroupCommitter
// in front makes one Write carry many submissions).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/schema.h"
#include "storage/store.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
}  // namespace rocksdb

namespace apsis::storage {

struct RocksDbOptions {
  std::string path;  // directory of the database
  SchemaOptions schema;
  bool create_if_missing = true;
  uint64_t max_total_wal_bytes = 64ull << 20;
  uint64_t write_buffer_bytes = 32ull << 20;
  uint64_t total_write_buffer_bytes = 128ull << 20;
  uint64_t block_cache_bytes = 128ull << 20;
  int background_jobs = 2;
  // Reads every block of every SST on open to check checksums (slow for big stores; corruption in
  // a block is otherwise found when the block is read, e.g. by the start-up scan).
  bool verify_checksums_on_open = false;
  // Flush memtables when the store is closed so the next open replays no WAL. Tests turn it off to
  // leave the state in the WAL, as after a crash.
  bool flush_on_close = true;
  // The RocksDB environment (filesystem); null for the default. Tests pass one that injects
  // filesystem errors such as ENOSPC. Must outlive the store.
  rocksdb::Env* env = nullptr;
};

class RocksDbStore final : public Store {
 public:
  // Opens (or creates, when the directory is missing or empty and create_if_missing is set) the
  // store and prepares its schema (see schema.h). Never creates a store over a non-empty
  // directory that lacks a RocksDB CURRENT file. Errors say what failed, on which path and what
  // to do: DataLoss for corruption, FailedPrecondition for a wrong cluster or schema version or a
  // store held by another process, NotFound when missing and create_if_missing is false.
  static Result<std::unique_ptr<RocksDbStore>> Open(const RocksDbOptions& options);
  ~RocksDbStore() override;

  Result<CommitInfo> Write(const WriteBatch& batch) override;
  Result<std::optional<std::string>> Get(Column column, std::string_view key) const override;
  Status Scan(Column column, const ScanRange& range, const ScanVisitor& visit) const override;
  uint64_t LastEventSequence() const override;
  // A RocksDB checkpoint: memtables are flushed first, SSTs are hard-linked when `dir` is on the
  // same filesystem (copied otherwise), so the backup is consistent and cheap. Put `dir` on another
  // disk (or copy it off the host) for protection against losing the disk.
  Status BackupTo(const std::string& dir) override;
  Status VerifyIntegrity() const override;
  std::string Describe() const override;
  // From the SST files of the column's deepest level (sorted, non-overlapping, most of the data).
  Result<std::vector<std::string>> SplitKeys(Column column, int parts) const override;

  // Writes all memtables to SST files (tests and benchmarks; normal operation never needs it).
  Status Flush();
  // Flushes and compacts every column family into its last level (after bulk loads or a large
  // retention run; RocksDB compacts in the background anyway). Blocks until done.
  Status CompactAll();
  // A RocksDB property of one column family, e.g. "rocksdb.levelstats" or
  // "rocksdb.estimate-num-keys" (for metrics and diagnostics); NotFound for unknown names.
  Result<std::string> Property(Column column, const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  RocksDbStore() = default;
  Status OpenDatabase(const RocksDbOptions& options);  // needs db_mu_ held exclusively
  void CloseDatabase();                                // needs db_mu_ held exclusively
  Status LoadLastSequence();
  Status RecoverFromWriteFailure();  // needs write_mu_
  Status ProbeWritable() const;
  Status Closed() const;
  rocksdb::ColumnFamilyHandle* Handle(Column column) const;

  std::string path_;
  RocksDbOptions options_;  // for reopening after a write failure
  // Guards the database instance: shared by every use, exclusive to close and reopen it.
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned by db_, destroyed before it
  rocksdb::ColumnFamilyHandle* columns_[kColumnCount] = {};
  std::mutex write_mu_;
  std::atomic<uint64_t> last_event_sequence_{0};  // changed only under write_mu_ (or in Open)
  bool needs_resume_ = false;                     // guarded by write_mu_: a write failed
};

// Restores a backup made by BackupTo into `target_dir`, which must not exist or be empty (restore
// into a fresh directory, then point the scheduler's --state-dir at it, or move the old directory
// aside first). Files are copied, synced and checksum-verified; the scheduler must not be running
// on `target_dir`. Steps for operators:
//   systemctl stop apsis-scheduler
//   mv /var/lib/apsis/state /var/lib/apsis/state.broken
//   apsis-scheduler --config /etc/apsis/scheduler.yaml --restore-from /backups/apsis-2026-12-01
//   systemctl start apsis-scheduler
Status RestoreBackup(const std::string& backup_dir, const std::string& target_dir);

}  // namespace apsis::storage
