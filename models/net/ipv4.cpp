#include "net/ipv4.h"

#include <algorithm>

#include "net/byte_order.h"

namespace hostwire::net {
namespace {
constexpr uint16_t kFlagReserved = 0x8000, kFlagDf = 0x4000, kFlagMf = 0x2000;
}  // namespace

Result<size_t> Ipv4Header::encode(std::span<uint8_t> out, ChecksumField field) const {
  if (dscp > 63) return fail("ipv4.dscp > 63");
  if (ecn > 3) return fail("ipv4.ecn > 3");
  if (fragment_offset > 0x1FFF) return fail("ipv4.fragment_offset > 8191");
  if (options_length > kIpv4MaxOptionBytes) return fail("ipv4.options_length > 40");
  if (options_length % 4 != 0) return fail("ipv4.options_length not a multiple of 4");
  const size_t len = length();
  if (total_length < len) return fail("ipv4.total_length < header length");
  if (out.size() < len) return fail("ipv4 header past buffer");
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x40 | len / 4);
  p[1] = static_cast<uint8_t>(dscp << 2 | ecn);
  store_be16(p + 2, total_length);
  store_be16(p + 4, id);
  store_be16(p + 6, static_cast<uint16_t>((df ? kFlagDf : 0) | (mf ? kFlagMf : 0) | fragment_offset));
  p[8] = ttl;
  p[9] = protocol;
  store_be32(p + 12, src.value);
  store_be32(p + 16, dst.value);
  std::copy_n(options.begin(), options_length, p + 20);
  store_be16(p + 10, field == ChecksumField::compute ? ipv4_header_checksum(out.first(len)) : checksum);
  return len;
}

Result<Ipv4Decoded> decode_ipv4(std::span<const uint8_t> packet, Ipv4Payload where) {
  if (packet.size() < kIpv4MinHeaderBytes) return fail("ipv4 header past buffer");
  const uint8_t* p = packet.data();
  if (p[0] >> 4 != 4) return fail("ipv4.version != 4");
  const size_t len = size_t{p[0] & 0x0Fu} * 4;
  if (len < kIpv4MinHeaderBytes) return fail("ipv4.ihl < 5");
  if (len > packet.size()) return fail("ipv4.ihl past buffer");
  Ipv4Header h;
  h.total_length = load_be16(p + 2);
  if (h.total_length < len) return fail("ipv4.total_length < header length");
  if (where == Ipv4Payload::inline_ && h.total_length > packet.size()) return fail("ipv4.total_length past buffer");
  const uint16_t flags = load_be16(p + 6);
  if (flags & kFlagReserved) return fail("ipv4.flags reserved bit set");  // RFC 791: must be zero
  h.dscp = p[1] >> 2;
  h.ecn = p[1] & 3;
  h.id = load_be16(p + 4);
  h.df = (flags & kFlagDf) != 0;
  h.mf = (flags & kFlagMf) != 0;
  h.fragment_offset = flags & 0x1FFF;
  h.ttl = p[8];
  h.protocol = p[9];
  h.checksum = load_be16(p + 10);
  h.src.value = load_be32(p + 12);
  h.dst.value = load_be32(p + 16);
  h.options_length = static_cast<uint8_t>(len - kIpv4MinHeaderBytes);
  std::copy_n(p + 20, h.options_length, h.options.begin());
  return Ipv4Decoded{h, len, internet_checksum(packet.first(len)) == 0};
}

}  // namespace hostwire::net
