// CURVE key pairs and key files.
//
// Key files: `name.pub` holds the 40-character Z85 public key; `name.key` (mode 0600) holds
// "public-key: <z85>" and "secret-key: <z85>" lines. A secret key file readable by group or others
// is refused. An allowlist is a directory of `*.pub` files. Functions are thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::transport {

struct CurveKeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters
};

Result<CurveKeyPair> GenerateCurveKeyPair();

// Writes DIR/NAME.key (0600) and DIR/NAME.pub; refuses to overwrite existing files.
Status WriteCurveKeyFiles(const std::string& dir, const std::string& name,
                          const CurveKeyPair& keys);

// Reads a `.key` file; refuses files that group or others can read.
Result<CurveKeyPair> LoadCurveKeyPair(const std::string& key_path);

// Reads a `.pub` file (or a `.key` file's public key).
Result<std::string> LoadCurvePublicKey(const std::string& path);

// Every `*.pub` in `dir`: public key -> file stem (the peer's name).
Result<std::map<std::string, std::string>> LoadAllowlistDir(const std::string& dir);

bool IsValidZ85Key(const std::string& key);

}  // namespace apsis::transport
