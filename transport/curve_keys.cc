#include "transport/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace apsis::transport {
namespace fs = std::filesystem;

bool IsValidZ85Key(const std::string& key) {
  if (key.size() != 40) return false;
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, key.c_str()) != nullptr;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  if (!zmq_has("curve")) return UnavailableError("this libzmq was built without CURVE support");
  char public_key[41], secret_key[41];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    return InternalError(std::string("zmq_curve_keypair failed: ") + zmq_strerror(zmq_errno()));
  return CurveKeyPair{public_key, secret_key};
}

Status WriteCurveKeyFiles(const std::string& dir, const std::string& name,
                          const CurveKeyPair& keys) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create key directory '" + dir + "': " + ec.message());
  const std::string key_path = dir + "/" + name + ".key";
  const std::string pub_path = dir + "/" + name + ".pub";
  for (const auto& p : {key_path, pub_path}) {
    if (fs::exists(p))
      return AlreadyExistsError("'" + p + "' exists; remove it first or choose another name");
  }
  {
    // Create with 0600 from the start so the secret is never readable by others.
    const mode_t old_mask = umask(077);
    std::ofstream out(key_path);
    umask(old_mask);
    if (!out) return UnavailableError("cannot write '" + key_path + "': " + std::strerror(errno));
    out << "public-key: " << keys.public_z85 << "\n"
        << "secret-key: " << keys.secret_z85 << "\n";
  }
  fs::permissions(key_path, fs::perms::owner_read | fs::perms::owner_write, ec);
  std::ofstream pub(pub_path);
  if (!pub) return UnavailableError("cannot write '" + pub_path + "': " + std::strerror(errno));
  pub << keys.public_z85 << "\n";
  return Status::Ok();
}

namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot read '" + path + "': " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// The mode is checked on the opened file, not on the path, so the file read is the file checked.
Result<std::string> ReadPrivateFile(const std::string& key_path) {
  const int fd = open(key_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return NotFoundError("cannot read key file '" + key_path + "': " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return NotFoundError("cannot read key file '" + key_path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError("key file '" + key_path + "' is not a regular file");
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return PermissionDeniedError("key file '" + key_path +
                                 "' is accessible by group or others; run: chmod 600 " + key_path);
  }
  // A key file is two short lines; a larger one is not a key file.
  constexpr size_t kMaxKeyFileBytes = 64 * 1024;
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return NotFoundError("cannot read key file '" + key_path + "': " + std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxKeyFileBytes) {
      return InvalidArgumentError("key file '" + key_path + "' is larger than 64 KiB");
    }
  }
  return text;
}

}  // namespace

Result<CurveKeyPair> LoadCurveKeyPair(const std::string& key_path) {
  ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(key_path));
  CurveKeyPair keys;
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    const std::string field = colon == std::string::npos ? line : Trim(line.substr(0, colon));
    const std::string value = colon == std::string::npos ? "" : Trim(line.substr(colon + 1));
    std::string* target = field == "public-key"   ? &keys.public_z85
                          : field == "secret-key" ? &keys.secret_z85
                                                  : nullptr;
    if (target == nullptr || !IsValidZ85Key(value)) {
      return InvalidArgumentError(key_path + ":" + std::to_string(line_no) +
                                  ": expected 'public-key: <40 Z85 chars>' or 'secret-key: <40 Z85 "
                                  "chars>'; regenerate with 'apsisctl keygen'");
    }
    *target = value;
  }
  if (keys.public_z85.empty() || keys.secret_z85.empty())
    return InvalidArgumentError(key_path + ": needs both public-key and secret-key lines");
  return keys;
}

Result<std::string> LoadCurvePublicKey(const std::string& path) {
  if (path.size() > 4 && path.substr(path.size() - 4) == ".key") {
    ASSIGN_OR_RETURN(CurveKeyPair keys, LoadCurveKeyPair(path));
    return keys.public_z85;
  }
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  std::string key = Trim(text);
  if (!IsValidZ85Key(key))
    return InvalidArgumentError(path + ":1:1: not a 40-character Z85 CURVE public key");
  return key;
}

Result<std::map<std::string, std::string>> LoadAllowlistDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return NotFoundError("allowlist directory '" + dir +
                         "' does not exist; create it and copy "
                         "the peers' .pub files into it");
  std::map<std::string, std::string> keys;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pub") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    ASSIGN_OR_RETURN(std::string key, LoadCurvePublicKey(f.string()));
    keys.emplace(key, f.stem().string());
  }
  return keys;
}

}  // namespace apsis::transport
