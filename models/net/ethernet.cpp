#include "net/ethernet.h"

#include <cstring>

#include "net/byte_order.h"

namespace hostwire::net {

Result<size_t> EthernetHeader::encode(std::span<uint8_t> out) const {
  if (out.size() < length()) return fail("ethernet header past buffer");
  uint8_t* p = out.data();
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  size_t at = 12;
  if (vlan) {
    if (vlan->pcp > 7) return fail("vlan.pcp > 7");
    if (vlan->vid > 0xFFF) return fail("vlan.vid > 4095");
    store_be16(p + at, kEtherTypeVlan);
    store_be16(p + at + 2, static_cast<uint16_t>(vlan->pcp << 13 | (vlan->dei ? 1 << 12 : 0) | vlan->vid));
    at += kVlanTagBytes;
  }
  store_be16(p + at, ether_type);
  return length();
}

Result<Decoded<EthernetHeader>> decode_ethernet(std::span<const uint8_t> frame) {
  if (frame.size() < kEthernetHeaderBytes) return fail("ethernet header past buffer");
  const uint8_t* p = frame.data();
  EthernetHeader h;
  std::memcpy(h.dst.data(), p, 6);
  std::memcpy(h.src.data(), p + 6, 6);
  h.ether_type = load_be16(p + 12);
  if (h.ether_type != kEtherTypeVlan) return Decoded<EthernetHeader>{h, kEthernetHeaderBytes};
  if (frame.size() < kEthernetHeaderBytes + kVlanTagBytes) return fail("vlan tag past buffer");
  const uint16_t tci = load_be16(p + 14);
  h.vlan = VlanTag{static_cast<uint8_t>(tci >> 13), (tci & 0x1000) != 0, static_cast<uint16_t>(tci & 0xFFF)};
  h.ether_type = load_be16(p + 16);
  return Decoded<EthernetHeader>{h, kEthernetHeaderBytes + kVlanTagBytes};
}

}  // namespace hostwire::net
