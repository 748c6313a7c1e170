#include "nic/rss.h"

#include <algorithm>

#include "net/byte_order.h"

namespace hostwire::nic {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) { return c == ':' || c == '-' || c == ' '; }

// The 32 key bits starting at bit `bit` (bit 0 = most significant bit of key[0]).
uint32_t key_window(const RssKey& key, size_t bit) {
  const size_t byte = bit / 8, shift = bit % 8;
  uint64_t five = 0;  // key[byte .. byte+4], zero past the end
  for (size_t i = 0; i < 5; ++i) five = five << 8 | (byte + i < key.size() ? key[byte + i] : 0);
  return static_cast<uint32_t>(five >> (8 - shift));
}

}  // namespace

net::Result<RssKey> parse_rss_key(std::string_view hex) {
  RssKey key{};
  size_t digits = 0;
  for (char c : hex) {
    if (is_separator(c)) continue;
    const int d = hex_digit(c);
    if (d < 0) return net::fail(std::string("rss key: '") + c + "' is not a hex digit");
    if (digits == 2 * kRssKeyBytes) return net::fail("rss key: longer than 40 bytes (80 hex digits)");
    key[digits / 2] = static_cast<uint8_t>(key[digits / 2] << 4 | d);
    ++digits;
  }
  if (digits != 2 * kRssKeyBytes)
    return net::fail("rss key: " + std::to_string(digits) + " hex digits, expected 80 (40 bytes)");
  return key;
}

std::string to_hex(const RssKey& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * key.size());
  for (uint8_t b : key) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xf];
  }
  return s;
}

RssInput rss_input_ipv4(net::Ipv4Address src, net::Ipv4Address dst) {
  RssInput in;
  net::store_be32(in.bytes.data(), src.value);
  net::store_be32(in.bytes.data() + 4, dst.value);
  in.length = 8;
  return in;
}

RssInput rss_input_ipv4_l4(net::Ipv4Address src, net::Ipv4Address dst, uint16_t src_port, uint16_t dst_port) {
  RssInput in = rss_input_ipv4(src, dst);
  net::store_be16(in.bytes.data() + 8, src_port);
  net::store_be16(in.bytes.data() + 10, dst_port);
  in.length = 12;
  return in;
}

uint32_t toeplitz_hash_reference(const RssKey& key, std::span<const uint8_t> input) {
  uint32_t result = 0;
  const size_t bits = std::min(input.size(), kRssMaxInputBytes) * 8;
  for (size_t bit = 0; bit < bits; ++bit) {
    if (input[bit / 8] & (0x80u >> (bit % 8))) result ^= key_window(key, bit);
  }
  return result;
}

ToeplitzHash::ToeplitzHash(const RssKey& key) : key_(key) {
  for (size_t pos = 0; pos < kRssMaxInputBytes; ++pos) {
    std::array<uint32_t, 8> window;  // window[j]: contribution of bit j (0 = MSB) of this byte
    for (size_t j = 0; j < 8; ++j) window[j] = key_window(key, pos * 8 + j);
    for (unsigned byte = 0; byte < 256; ++byte) {
      uint32_t h = 0;
      for (size_t j = 0; j < 8; ++j)
        if (byte & (0x80u >> j)) h ^= window[j];
      table_[pos][byte] = h;
    }
  }
}

uint32_t ToeplitzHash::operator()(std::span<const uint8_t> input) const {
  const size_t n = std::min(input.size(), kRssMaxInputBytes);
  uint32_t h = 0;
  for (size_t pos = 0; pos < n; ++pos) h ^= table_[pos][input[pos]];
  return h;
}

RssIndirectionTable RssIndirectionTable::round_robin(uint16_t rings) {
  RssIndirectionTable t;
  if (rings == 0) return t;
  for (size_t i = 0; i < kRssIndirectionEntries; ++i) t.entries_[i] = static_cast<uint16_t>(i % rings);
  return t;
}

uint16_t RssIndirectionTable::max_ring() const { return *std::max_element(entries_.begin(), entries_.end()); }

}  // namespace hostwire::nic
