// Ethernet II header (IEEE 802.3 clause 3.2) with an optional IEEE 802.1Q VLAN tag.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/address.h"
#include "net/result.h"

namespace hostwire::net {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q TPID
inline constexpr uint16_t kEtherTypeIpv6 = 0x86DD;

inline constexpr size_t kEthernetHeaderBytes = 14;
inline constexpr size_t kVlanTagBytes = 4;
inline constexpr uint32_t kEthernetFcsBytes = 4;
// Minimum frame without FCS (64 bytes with it, IEEE 802.3 clause 4.2.3.3): a MAC pads
// shorter frames with zero bytes, and the receiver sees the padding after the IP packet.
inline constexpr uint32_t kEthernetMinFrameBytes = 60;

constexpr uint32_t ethernet_padded_bytes(uint32_t frame_bytes) {
  return std::max(frame_bytes, kEthernetMinFrameBytes);
}

// 802.1Q tag control information: priority code point, drop eligible, VLAN id.
struct VlanTag {
  uint8_t pcp = 0;   // 3 bits
  bool dei = false;
  uint16_t vid = 0;  // 12 bits
  friend bool operator==(const VlanTag&, const VlanTag&) = default;
};

struct EthernetHeader {
  MacAddress dst{};
  MacAddress src{};
  std::optional<VlanTag> vlan;
  uint16_t ether_type = kEtherTypeIpv4;  // of the payload (inside the tag, when tagged)

  size_t length() const { return kEthernetHeaderBytes + (vlan ? kVlanTagBytes : 0); }
  // Writes length() bytes; fails if out is shorter or a tag field is out of range.
  Result<size_t> encode(std::span<uint8_t> out) const;
  friend bool operator==(const EthernetHeader&, const EthernetHeader&) = default;
};

Result<Decoded<EthernetHeader>> decode_ethernet(std::span<const uint8_t> frame);

}  // namespace hostwire::net
