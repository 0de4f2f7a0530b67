#include "storage/schema.h"

#include <charconv>
#include <utility>

#include "common/log.h"
#include "storage/encoding.h"

namespace apsis::storage {

Status SchemaMigrations::Register(MigrationStep step) {
  if (!step.apply) return InvalidArgumentError("migration step without a function");
  uint32_t from = step.from_version;
  if (!steps_.emplace(from, std::move(step)).second) {
    return AlreadyExistsError("a migration step from schema version " + std::to_string(from) +
                              " is already registered");
  }
  return Status::Ok();
}

const MigrationStep* SchemaMigrations::Find(uint32_t from_version) const {
  auto it = steps_.find(from_version);
  return it == steps_.end() ? nullptr : &it->second;
}

Result<std::optional<uint32_t>> ReadSchemaVersion(const Store& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, store.Get(Column::kMeta, kMetaSchemaVersion));
  if (!text) return std::optional<uint32_t>();
  uint32_t version = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
  if (ec != std::errc() || end != text->data() + text->size() || version == 0) {
    return DataLossError(store.Describe() + ": meta record schema_version is unreadable (\"" +
                         *text + "\"); restore the latest backup");
  }
  return std::optional<uint32_t>(version);
}

namespace {

Result<bool> ColumnHasData(const Store& store, Column column) {
  bool found = false;
  RETURN_IF_ERROR(store.Scan(column, ScanRange::All(), [&](std::string_view, std::string_view) {
    found = true;
    return false;
  }));
  return found;
}

Status InitializeEmpty(Store& store, const SchemaOptions& options) {
  for (Column column : kAllColumns) {
    ASSIGN_OR_RETURN(bool has_data, ColumnHasData(store, column));
    if (has_data) {
      return DataLossError(store.Describe() + ": column '" + std::string(ColumnName(column)) +
                           "' holds data but the meta record schema_version is missing; the "
                           "store is damaged. Restore the latest backup into an empty directory "
                           "instead of starting on this one");
    }
  }
  WriteBatch batch;
  batch.Put(Column::kMeta, kMetaSchemaVersion, std::to_string(options.version));
  batch.Put(Column::kMeta, kMetaClusterId, options.cluster_id);
  RETURN_IF_ERROR(store.Write(batch));
  LogInfo("state store created", {{"store", store.Describe()},
                                  {"cluster_id", options.cluster_id},
                                  {"schema_version", Kv(options.version)}});
  return Status::Ok();
}

}  // namespace

Status PrepareSchema(Store& store, const SchemaOptions& options) {
  if (options.cluster_id.empty()) {
    return InvalidArgumentError(
        "a cluster id is required to open the state store; configure the scheduler's cluster id "
        "(the same value every time it opens this store)");
  }
  if (options.version == 0) return InvalidArgumentError("schema version 0 is not valid");
  ASSIGN_OR_RETURN(std::optional<uint32_t> recorded, ReadSchemaVersion(store));
  if (!recorded) return InitializeEmpty(store, options);

  ASSIGN_OR_RETURN(std::optional<std::string> cluster_id, store.Get(Column::kMeta, kMetaClusterId));
  if (!cluster_id) {
    return DataLossError(store.Describe() +
                         ": meta record cluster_id is missing although the "
                         "schema version is recorded; restore the latest backup");
  }
  if (*cluster_id != options.cluster_id) {
    return FailedPreconditionError(
        store.Describe() + " belongs to cluster '" + *cluster_id + "', not '" + options.cluster_id +
        "'. Point --state-dir at this cluster's store, or set cluster_id to '" + *cluster_id +
        "' if this store is the right one");
  }
  if (*recorded > options.version) {
    return FailedPreconditionError(
        store.Describe() + " has schema version " + std::to_string(*recorded) +
        ", newer than version " + std::to_string(options.version) +
        " which this build understands; it was written by a newer Apsis. Run that newer "
        "release (downgrading is not supported), or restore a backup taken before the upgrade");
  }
  for (uint32_t version = *recorded; version < options.version; ++version) {
    const MigrationStep* step = options.migrations ? options.migrations->Find(version) : nullptr;
    if (step == nullptr) {
      return FailedPreconditionError(
          store.Describe() + " has schema version " + std::to_string(version) +
          " and no migration step to version " + std::to_string(version + 1) +
          " is registered; upgrade through an intermediate release that carries it");
    }
    WriteBatch changes;
    RETURN_IF_ERROR(step->apply(store, changes)
                        .WithContext("migrating " + store.Describe() + " from schema version " +
                                     std::to_string(version)));
    changes.Put(Column::kMeta, kMetaSchemaVersion, std::to_string(version + 1));
    RETURN_IF_ERROR(store.Write(changes));
    LogInfo("state store migrated", {{"store", store.Describe()},
                                     {"from", Kv(version)},
                                     {"to", Kv(version + 1)},
                                     {"step", step->description}});
  }
  return Status::Ok();
}

}  // namespace apsis::storage
