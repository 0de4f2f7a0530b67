// Schema versioning for a Store: what a new store records, what an existing one must match, and
// how an older store is upgraded.
//
// The meta column holds the schema version (written by this code) and the cluster id (chosen by
// the operator, e.g. "prod-eu-1"). Opening refuses a store written by a newer Apsis (downgrades
// would silently drop data they don't understand) and a store of another cluster (a wrong
// --state-dir would otherwise merge two fleets). An older store is migrated one version at a time
// through registered steps; each step's changes and its version bump form one atomic batch, so a
// crash during migration leaves the store at a whole version and the next open resumes.
//
// Thread-safety: SchemaMigrations is immutable after setup; PrepareSchema must run before the
// store is shared.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/status.h"
#include "storage/store.h"

namespace apsis::storage {

// The schema version this build writes. Bump it together with a registered migration step.
inline constexpr uint32_t kCurrentSchemaVersion = 1;

struct MigrationStep {
  uint32_t from_version = 0;  // upgrades a store at this version to from_version + 1
  std::string description;
  // Reads what it needs from `store` and puts the changes in `changes`; must not write itself.
  std::function<Status(const Store& store, WriteBatch& changes)> apply;
};

class SchemaMigrations {
 public:
  // AlreadyExists when a step from the same version is registered twice.
  Status Register(MigrationStep step);
  const MigrationStep* Find(uint32_t from_version) const;

 private:
  std::map<uint32_t, MigrationStep> steps_;
};

struct SchemaOptions {
  std::string cluster_id;                    // required, non-empty
  uint32_t version = kCurrentSchemaVersion;  // the version this process reads and writes
  const SchemaMigrations* migrations = nullptr;
};

// On an empty store records `options.version` and `options.cluster_id` (synced). On an existing
// store checks the cluster id and version and runs migration steps up to `options.version`.
// Errors: FailedPrecondition for a newer version, another cluster id or a missing migration step;
// DataLoss when the meta records are missing or unreadable although the store holds data.
Status PrepareSchema(Store& store, const SchemaOptions& options);

// The recorded schema version, or nullopt for an empty store.
Result<std::optional<uint32_t>> ReadSchemaVersion(const Store& store);

}  // namespace apsis::storage
