#include "apps/stream.h"

#include <algorithm>
#include <cstring>

namespace hostwire::apps {

const std::shared_ptr<const std::vector<uint8_t>>& pattern() {
  static const std::shared_ptr<const std::vector<uint8_t>> p = [] {
    auto v = std::make_shared<std::vector<uint8_t>>(kPatternBytes);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (auto& b : *v) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    return v;
  }();
  return p;
}

void append_message(std::vector<uint8_t>& out, std::span<const uint8_t> header, uint32_t size, uint32_t from,
                    size_t limit) {
  const auto h = static_cast<uint32_t>(header.size());
  uint32_t off = from;
  for (; off < h && off < size && out.size() < limit; ++off) out.push_back(header[off]);
  if (off < size && out.size() < limit)
    append_pattern(out, *pattern(), off - h, std::min<uint64_t>(size - off, limit - out.size()));
}

void append_pattern(std::vector<uint8_t>& out, const std::vector<uint8_t>& pat, uint64_t from, uint64_t n) {
  while (n > 0) {
    const size_t p = static_cast<size_t>(from % pat.size());
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, pat.size() - p));
    out.insert(out.end(), pat.data() + p, pat.data() + p + k);
    from += k;
    n -= k;
  }
}

void StreamDigest::update(std::span<const uint8_t> bytes) {
  length_ += bytes.size();
  size_t i = 0;
  while (carried_ && i < bytes.size()) {  // finish the carried word first
    carry_ |= uint64_t{bytes[i++]} << (8 * carried_);
    if (++carried_ == 8) mix(carry_), carry_ = 0, carried_ = 0;
  }
  for (; i + 8 <= bytes.size() && (words_ & 3); i += 8) {  // up to a lane boundary
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    mix(w);
  }
  for (; i + 32 <= bytes.size(); i += 32) {  // four lanes at once
    uint64_t w[4];
    std::memcpy(w, bytes.data() + i, 32);
    for (int k = 0; k < 4; ++k) {
      lanes_[k] = (lanes_[k] ^ w[k]) * 0x9E3779B97F4A7C15ULL;
      lanes_[k] ^= lanes_[k] >> 29;
    }
    words_ += 4;
  }
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    mix(w);
  }
  for (; i < bytes.size(); ++i) carry_ |= uint64_t{bytes[i]} << (8 * carried_++);
}

uint64_t StreamDigest::value() const {
  uint64_t h = length_;
  for (uint64_t l : lanes_) h = (h ^ l) * 0x9E3779B97F4A7C15ULL, h ^= h >> 31;
  return (h ^ carry_) * 0xff51afd7ed558ccdULL;
}

}  // namespace hostwire::apps
