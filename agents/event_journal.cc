#include "agents/event_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agents/child_process.h"
#include "common/log.h"

namespace apsis::agents {
namespace {

// Record: [u32 payload length][u8 type][payload][u32 FNV-1a of type + payload], little-endian.
constexpr char kEvent = 'E';
constexpr char kAck = 'A';
constexpr char kSequenceFloor = 'S';
constexpr size_t kHeader = 5;
constexpr size_t kTrailer = 4;

uint32_t Fnv1a(char type, std::string_view payload) {
  uint32_t h = 2166136261u;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  mix(static_cast<unsigned char>(type));
  for (char c : payload) mix(static_cast<unsigned char>(c));
  return h;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
std::string U64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
uint64_t GetU64(std::string_view p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::string Encode(char type, const std::string& payload) {
  std::string record;
  PutU32(&record, static_cast<uint32_t>(payload.size()));
  record.push_back(type);
  record += payload;
  PutU32(&record, Fnv1a(type, payload));
  return record;
}

Status WriteAllAndSync(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return UnavailableError("cannot write event journal '" + path + "': " + strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (fdatasync(fd) != 0) {
    return UnavailableError("cannot sync event journal '" + path + "': " + strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<EventJournal>> EventJournal::Open(const std::string& path,
                                                         size_t compact_at_bytes) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_APPEND, 0600);
  if (fd < 0) {
    return UnavailableError("cannot open event journal '" + path + "': " + strerror(errno) +
                            "; check that state_dir exists and is writable");
  }
  std::unique_ptr<EventJournal> journal(new EventJournal(path, fd, compact_at_bytes));
  RETURN_IF_ERROR(journal->Load());
  return journal;
}

EventJournal::~EventJournal() {
  if (fd_ >= 0) close(fd_);
}

Status EventJournal::Load() {
  ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path_));
  size_t offset = 0;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < kHeader + kTrailer) break;  // torn tail
    const uint32_t length = GetU32(bytes.data() + offset);
    if (bytes.size() - offset < kHeader + length + kTrailer) break;  // torn tail
    const char type = bytes[offset + 4];
    const std::string_view payload(bytes.data() + offset + kHeader, length);
    const uint32_t sum = GetU32(bytes.data() + offset + kHeader + length);
    const size_t end = offset + kHeader + length + kTrailer;
    if (sum != Fnv1a(type, payload)) {
      if (end == bytes.size()) break;  // a torn last record
      return DataLossError("event journal '" + path_ + "' is corrupt at byte " +
                           std::to_string(offset) + "; move it aside to start a fresh one (the " +
                           "scheduler's Welcome restores the sequence numbering)");
    }
    if (type == kEvent) {
      v1::JobEvent event;
      if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return DataLossError("event journal '" + path_ + "' has an unreadable event at byte " +
                             std::to_string(offset));
      }
      next_sequence_ = std::max(next_sequence_, event.sequence() + 1);
      if (event.sequence() > acknowledged_) pending_.push_back(std::move(event));
    } else if ((type == kAck || type == kSequenceFloor) && length == 8) {
      const uint64_t value = GetU64(payload);
      if (type == kAck) {
        acknowledged_ = std::max(acknowledged_, value);
        while (!pending_.empty() && pending_.front().sequence() <= acknowledged_) {
          pending_.pop_front();
        }
      }
      next_sequence_ = std::max(next_sequence_, value + 1);
    }
    offset = end;
  }
  if (offset < bytes.size()) {
    LogWarn("dropping a torn record at the end of the event journal",
            {{"path", path_}, {"bytes", Kv(bytes.size() - offset)}});
    if (ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      return UnavailableError("cannot truncate event journal '" + path_ + "': " + strerror(errno));
    }
  }
  file_bytes_ = offset;
  return Status::Ok();
}

Status EventJournal::WriteRecord(char type, const std::string& payload) {
  const std::string record = Encode(type, payload);
  RETURN_IF_ERROR(WriteAllAndSync(fd_, record, path_));
  file_bytes_ += record.size();
  return Status::Ok();
}

Result<v1::JobEvent> EventJournal::Append(v1::JobEvent event) {
  event.set_sequence(next_sequence_);
  RETURN_IF_ERROR(WriteRecord(kEvent, event.SerializeAsString()));
  next_sequence_++;
  pending_.push_back(event);
  return event;
}

Status EventJournal::Acknowledge(uint64_t sequence) {
  if (sequence <= acknowledged_) return Status::Ok();
  RETURN_IF_ERROR(WriteRecord(kAck, U64(sequence)));
  acknowledged_ = sequence;
  next_sequence_ = std::max(next_sequence_, sequence + 1);
  while (!pending_.empty() && pending_.front().sequence() <= sequence) pending_.pop_front();
  return MaybeCompact();
}

Status EventJournal::EnsureSequenceAbove(uint64_t last_recorded) {
  if (next_sequence_ > last_recorded) return Status::Ok();
  RETURN_IF_ERROR(WriteRecord(kSequenceFloor, U64(last_recorded)));
  next_sequence_ = last_recorded + 1;
  return Status::Ok();
}

Status EventJournal::MaybeCompact() {
  if (!pending_.empty() || file_bytes_ < compact_at_bytes_) return Status::Ok();
  // Nothing is pending: the new file needs only the numbering state.
  const std::string temp = path_ + ".compact";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot create '" + temp + "': " + strerror(errno));
  const std::string bytes =
      Encode(kSequenceFloor, U64(next_sequence_ - 1)) + Encode(kAck, U64(acknowledged_));
  Status written = WriteAllAndSync(fd, bytes, temp);
  close(fd);
  RETURN_IF_ERROR(written);
  if (rename(temp.c_str(), path_.c_str()) != 0) {
    return UnavailableError("cannot replace '" + path_ + "': " + strerror(errno));
  }
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int dir_fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  const int new_fd = open(path_.c_str(), O_RDWR | O_CLOEXEC | O_APPEND);
  if (new_fd < 0) return UnavailableError("cannot reopen '" + path_ + "': " + strerror(errno));
  close(fd_);
  fd_ = new_fd;
  file_bytes_ = bytes.size();
  return Status::Ok();
}

}  // namespace apsis::agents
