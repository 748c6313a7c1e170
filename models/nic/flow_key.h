// The fields a NIC's receive parser extracts from a frame's headers before the classifier
// and RSS look at it: addresses, VLAN id, protocol and ports, packed into one small struct of
// integers so that a rule is a handful of masked compares and nothing is allocated per frame.
#pragma once

#include <cstdint>
#include <span>

#include "net/address.h"
#include "net/frame.h"

namespace hostwire::nic {

// Layers present in a frame (FlowKey::layers).
namespace layer {
inline constexpr uint8_t vlan = 0x1;      // 802.1Q tagged
inline constexpr uint8_t ipv4 = 0x2;
inline constexpr uint8_t l4 = 0x4;        // TCP or UDP ports read (never for a fragment)
inline constexpr uint8_t fragment = 0x8;  // IPv4 fragment: the ports are not in this frame
}  // namespace layer

struct FlowKey {
  uint64_t dst_mac = 0;  // 48 bits, first byte on the wire most significant
  uint64_t src_mac = 0;
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t ether_type = 0;  // of the payload: inside the VLAN tag when tagged
  uint16_t vlan_id = 0;     // 0 when untagged
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_protocol = 0;
  uint8_t dscp = 0;         // IPv4 DSCP (the TOS byte's upper 6 bits)
  uint8_t layers = 0;       // layer:: bits

  bool has(uint8_t l) const { return (layers & l) == l; }
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

uint64_t mac_bits(const net::MacAddress& mac);

// From a frame the protocol layer has already parsed (checksums are not looked at: the
// classifier steers a frame before anyone verifies it).
FlowKey flow_key(const net::ParsedFrame& frame);

// Straight from the header bytes (Packet::header_bytes() holds them all), as a NIC's parser
// does: it reads as far as the headers are well formed and stops there, so a truncated or
// malformed IPv4 header leaves an L2-only key rather than an error.
FlowKey flow_key(std::span<const uint8_t> frame);

}  // namespace hostwire::nic
