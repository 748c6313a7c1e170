// Receive-side scaling (Microsoft "RSS hashing functions" and "RSS indirection table" pages of
// the NDIS documentation): the Toeplitz hash of a frame's addresses and ports, with a secret
// key, picks one of 128 indirection-table entries, and the entry names the receive ring. All
// frames of a flow hash alike, so a flow stays on one ring (and one core) in order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "net/address.h"
#include "net/result.h"

namespace hostwire::nic {

inline constexpr size_t kRssKeyBytes = 40;
using RssKey = std::array<uint8_t, kRssKeyBytes>;

// The sample key of Microsoft's "Verifying the RSS Hash Calculation"; also the default key of
// many drivers, so hashes compare with captures from real NICs.
inline constexpr RssKey kMicrosoftRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

// The hash slides a 32-bit window along the key one bit per input bit, so an input may be at
// most key length - 4 bytes (36: enough for the IPv6 4-tuple the spec sizes the key for).
inline constexpr size_t kRssMaxInputBytes = kRssKeyBytes - 4;

// 80 hex digits, optionally separated by ':', '-' or spaces (ethtool prints "6d:5a:...").
net::Result<RssKey> parse_rss_key(std::string_view hex);
std::string to_hex(const RssKey& key);  // 80 lower-case digits, no separators

// The bytes the hash reads, in the order the spec lays them out (network byte order).
struct RssInput {
  std::array<uint8_t, kRssMaxInputBytes> bytes{};
  uint8_t length = 0;  // 0: the frame is not hashable (not IPv4)
  std::span<const uint8_t> span() const { return {bytes.data(), length}; }
};

// NDIS_HASH_IPV4: source address, destination address (8 bytes).
RssInput rss_input_ipv4(net::Ipv4Address src, net::Ipv4Address dst);
// NDIS_HASH_TCP_IPV4 (and UDP_IPV4): source address, destination address, source port,
// destination port (12 bytes).
RssInput rss_input_ipv4_l4(net::Ipv4Address src, net::Ipv4Address dst, uint16_t src_port, uint16_t dst_port);

// The spec's algorithm, one input bit at a time: for each set bit, XOR in the 32 key bits
// that start at that bit's position. Slow; the oracle the table-driven hash is tested against.
uint32_t toeplitz_hash_reference(const RssKey& key, std::span<const uint8_t> input);

// The same hash from a per-byte lookup table (as SimBricks' RSS does): the window sum is
// linear in the input bits, so each input byte position contributes table[position][byte],
// precomputed once per key: 36 lookups and XORs at most per frame instead of 288 bit steps.
class ToeplitzHash {
 public:
  explicit ToeplitzHash(const RssKey& key = kMicrosoftRssKey);
  // `input` longer than kRssMaxInputBytes is cut to that length.
  uint32_t operator()(std::span<const uint8_t> input) const;
  const RssKey& key() const { return key_; }

 private:
  RssKey key_;
  std::array<std::array<uint32_t, 256>, kRssMaxInputBytes> table_;
};

// 128 entries, as NDIS's RSS and most NICs (Intel 82599 RETA) size it; the hash's low 7
// bits select the entry, whose value is a ring index within the VNIC's rings.
inline constexpr size_t kRssIndirectionEntries = 128;

class RssIndirectionTable {
 public:
  // Every entry 0: all flows to the first ring.
  RssIndirectionTable() = default;
  // Entry i -> ring i mod rings: the driver's default spread (ethtool -X equal).
  static RssIndirectionTable round_robin(uint16_t rings);

  uint16_t ring_for(uint32_t hash) const { return entries_[hash & (kRssIndirectionEntries - 1)]; }
  void set(size_t entry, uint16_t ring) { entries_.at(entry) = ring; }
  const std::array<uint16_t, kRssIndirectionEntries>& entries() const { return entries_; }
  uint16_t max_ring() const;  // largest ring index any entry names

 private:
  std::array<uint16_t, kRssIndirectionEntries> entries_{};
};

}  // namespace hostwire::nic
