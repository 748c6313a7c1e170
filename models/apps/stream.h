// The bytes bulk senders write, and a digest that proves the receiver read them intact.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace hostwire::apps {

// The byte at stream offset `o` of every bulk sender: a fixed pseudo-random pattern of
// kPatternBytes, repeated.
inline constexpr size_t kPatternBytes = 1 << 20;
const std::shared_ptr<const std::vector<uint8_t>>& pattern();

// Appends `n` bytes of `pat` (kPatternBytes long, repeated) from its offset `from` (mod its size).
void append_pattern(std::vector<uint8_t>& out, const std::vector<uint8_t>& pat, uint64_t from, uint64_t n);

// Appends bytes [from, size) of a message made of `header` then body bytes, body byte i being
// pattern byte i (mod kPatternBytes), until `out` holds `limit` bytes: what a request/response
// or message-stream app writes from its buffer.
void append_message(std::vector<uint8_t>& out, std::span<const uint8_t> header, uint32_t size, uint32_t from,
                    size_t limit);

// A digest of a byte stream that does not depend on how the stream was cut into calls: 8-byte
// words (little-endian) mixed in order, a partial word carried to the next update. Fast enough
// to run on every byte a 10 Gbps flow moves.
class StreamDigest {
 public:
  void update(std::span<const uint8_t> bytes);
  uint64_t value() const;  // includes the carried partial word and the length
  uint64_t bytes() const { return length_; }

 private:
  // Word i of the stream goes to lane i mod 4: four independent multiply chains, so the
  // digest runs at memory speed, and the result still depends only on the bytes.
  void mix(uint64_t w) {
    uint64_t& h = lanes_[words_++ & 3];
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
  }
  uint64_t lanes_[4] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0x2545F4914F6CDD1DULL, 0x9E3779B97F4A7C15ULL};
  uint64_t words_ = 0;
  uint64_t carry_ = 0;
  unsigned carried_ = 0;  // bytes in carry_
  uint64_t length_ = 0;
};

}  // namespace hostwire::apps
