#include "net/checksum.h"

#include <bit>
#include <cstring>

#include <algorithm>
#include <array>

#include "net/byte_order.h"
#include "net/ipv4.h"

namespace hostwire::net {
namespace {

uint32_t fold_to_32(uint64_t sum) {
  while (sum >> 32) sum = (sum & 0xFFFFFFFF) + (sum >> 32);
  return static_cast<uint32_t>(sum);
}

}  // namespace

void InternetChecksum::add(std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint64_t acc = sum_;
  if (odd_ && n > 0) {
    acc += *p++;
    --n;
    odd_ = false;
  }
  // Long runs 8 bytes at a time in the machine's byte order: the ones' complement sum is
  // independent of byte order up to a swap of the result (RFC 1071 section 2(B)), so the
  // words are added as loaded, with end-around carries counted, and the folded 16-bit sum is
  // swapped back (what Linux's csum_partial does). The run starts at an even stream offset.
  if (n >= 16) {
    uint64_t s = 0, carries = 0;
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      s += w;
      carries += s < w;
    }
    uint64_t t = (s & 0xFFFF'FFFF) + (s >> 32) + carries;
    while (t >> 16) t = (t & 0xFFFF) + (t >> 16);
    if constexpr (std::endian::native == std::endian::little) t = ((t & 0xFF) << 8) | (t >> 8);
    acc += t;
  }
  // 2^16 = 1 modulo 0xFFFF, so a 32-bit word adds the same as its two 16-bit halves
  // (RFC 1071 section 2(C), "parallel summation"); 64-bit accumulation defers the carries.
  for (; n >= 4; p += 4, n -= 4) acc += load_be32(p);
  if (n >= 2) {
    acc += load_be16(p);
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    acc += uint32_t{*p} << 8;
    odd_ = true;
  }
  sum_ = fold_to_32(acc);
}

void InternetChecksum::add_word(uint16_t word) { sum_ = fold_to_32(uint64_t{sum_} + word); }

uint16_t InternetChecksum::folded() const {
  uint32_t s = (sum_ & 0xFFFF) + (sum_ >> 16);
  s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}

uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  InternetChecksum sum;
  sum.add(bytes);
  return sum.checksum();
}

uint16_t ipv4_header_checksum(std::span<const uint8_t> header) {
  InternetChecksum sum;
  sum.add(header.first(std::min<size_t>(header.size(), 10)));
  if (header.size() > 12) sum.add(header.subspan(12));
  return sum.checksum();
}

void add_ipv4_pseudo_header(InternetChecksum& sum, Ipv4Address src, Ipv4Address dst, uint8_t protocol,
                            uint16_t transport_length) {
  sum.add_word(static_cast<uint16_t>(src.value >> 16));
  sum.add_word(static_cast<uint16_t>(src.value));
  sum.add_word(static_cast<uint16_t>(dst.value >> 16));
  sum.add_word(static_cast<uint16_t>(dst.value));
  sum.add_word(protocol);
  sum.add_word(transport_length);
}

uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, uint8_t protocol, std::span<const uint8_t> header,
                            std::span<const uint8_t> payload) {
  InternetChecksum sum;
  add_ipv4_pseudo_header(sum, src, dst, protocol, static_cast<uint16_t>(header.size() + payload.size()));
  sum.add(header);
  sum.add(payload);
  return sum.checksum();
}

uint16_t store_transport_checksum(std::span<uint8_t> header, size_t field_offset, Ipv4Address src, Ipv4Address dst,
                                  uint8_t protocol, std::span<const uint8_t> payload) {
  store_be16(header.data() + field_offset, 0);
  uint16_t sum = transport_checksum(src, dst, protocol, header, payload);
  if (sum == 0 && protocol == kIpProtocolUdp) sum = 0xFFFF;
  store_be16(header.data() + field_offset, sum);
  return sum;
}

namespace {

// Slice-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so eight
// input bytes are folded in with eight independent lookups instead of eight dependent ones.
using Crc32Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Crc32Tables make_crc32_tables() {
  Crc32Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k)
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}

constexpr Crc32Tables kCrc32Tables = make_crc32_tables();

}  // namespace

void Crc32::add(std::span<const uint8_t> bytes) {
  const auto& t = kCrc32Tables;
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint32_t c = state_;
  for (; n >= 8; p += 8, n -= 8) {
    const uint32_t lo = load_le32(p) ^ c;
    const uint32_t hi = load_le32(p + 4);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) c = (c >> 8) ^ t[0][(c ^ *p) & 0xFF];
  state_ = c;
}

uint32_t crc32(std::span<const uint8_t> bytes) {
  Crc32 crc;
  crc.add(bytes);
  return crc.value();
}

}  // namespace hostwire::net
