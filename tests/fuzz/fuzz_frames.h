// Splits a fuzzer input into frames, each a 4-byte little-endian length followed by that many
// bytes, so that one input can carry a sequence of messages (a conversation) for the targets that
// keep state between messages. A short or truncated tail becomes the last frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace apsis::fuzz {

inline std::vector<std::string_view> SplitFrames(const uint8_t* data, size_t size,
                                                 size_t max_frames) {
  std::vector<std::string_view> frames;
  const char* p = reinterpret_cast<const char*>(data);
  while (size > 0 && frames.size() < max_frames) {
    if (size < 4) {
      frames.emplace_back(p, size);
      break;
    }
    const uint32_t length = uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
                            uint32_t(data[3]) << 24;
    data += 4;
    p += 4;
    size -= 4;
    const size_t n = length < size ? length : size;
    frames.emplace_back(p, n);
    data += n;
    p += n;
    size -= n;
  }
  return frames;
}

}  // namespace apsis::fuzz
