#include "storage/store.h"

#include "storage/encoding.h"

namespace apsis::storage {

ScanRange ScanRange::WithPrefix(std::string_view prefix) {
  return ScanRange{std::string(prefix), PrefixSuccessor(prefix)};
}

}  // namespace apsis::storage
