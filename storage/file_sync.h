// SyncFile: fsync a file or directory by path, so that copies and renames survive power loss.
// Thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace apsis::storage {

Status SyncFile(const std::string& path);

}  // namespace apsis::storage
