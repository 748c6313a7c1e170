#include "net/erspan.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "net/byte_order.h"

namespace hostwire::net {
namespace {

constexpr uint16_t kGreVersionMask = 0x0007;
constexpr uint32_t kErspanMaxIndex = 0xFFFFF;  // 20 bits

// The outer Ethernet, IPv4, GRE and ERSPAN headers (kErspanOverheadBytes) in front of
// `inner_bytes` of a frame that starts with `inner_start`.
Status encode_erspan_outer(std::span<uint8_t> out, const ErspanSession& s, uint32_t sequence,
                           std::span<const uint8_t> inner_start, uint32_t inner_bytes, bool truncated) {
  ErspanIIHeader erspan;
  erspan.session_id = s.session_id;
  erspan.truncated = truncated;
  if (auto eth = decode_ethernet(inner_start); eth && eth->header.vlan) {
    erspan.encap = kErspanEncapTagInFrame;
    erspan.cos = eth->header.vlan->pcp;
  }
  Ipv4Header ip;
  ip.dscp = s.dscp;
  ip.total_length = static_cast<uint16_t>(kIpv4MinHeaderBytes + kGreSequencedHeaderBytes + kErspanIIHeaderBytes + inner_bytes);
  ip.df = true;
  ip.ttl = s.ttl;
  ip.protocol = kIpProtocolGre;
  ip.src = s.src_ip;
  ip.dst = s.dst_ip;

  const EthernetHeader eth{s.dst_mac, s.src_mac, std::nullopt, kEtherTypeIpv4};
  if (auto r = eth.encode(out); !r) return Error{r.error()};
  if (auto r = ip.encode(out.subspan(kEthernetHeaderBytes)); !r) return Error{r.error()};
  uint8_t* gre = out.data() + kEthernetHeaderBytes + kIpv4MinHeaderBytes;
  store_be16(gre, kGreFlagSequence);  // version 0
  store_be16(gre + 2, kGreProtocolErspanII);
  store_be32(gre + 4, sequence);
  if (auto r = erspan.encode(out.subspan(kErspanOverheadBytes - kErspanIIHeaderBytes)); !r) return Error{r.error()};
  return success();
}

}  // namespace

Result<size_t> ErspanIIHeader::encode(std::span<uint8_t> out) const {
  if (vlan > 0xFFF) return fail("erspan.vlan > 4095");
  if (cos > 7) return fail("erspan.cos > 7");
  if (encap > 3) return fail("erspan.encap > 3");
  if (session_id > kErspanMaxSessionId) return fail("erspan.session_id > 1023");
  if (index > kErspanMaxIndex) return fail("erspan.index > 1048575");
  if (out.size() < kErspanIIHeaderBytes) return fail("erspan header past buffer");
  store_be32(out.data(), uint32_t{kErspanIIVersion} << 28 | uint32_t{vlan} << 16 | uint32_t{cos} << 13 |
                             uint32_t{encap} << 11 | (truncated ? 1u << 10 : 0) | session_id);
  store_be32(out.data() + 4, index);  // the 12 reserved bits above it are zero
  return kErspanIIHeaderBytes;
}

Result<Decoded<ErspanIIHeader>> decode_erspan_ii(std::span<const uint8_t> bytes) {
  if (bytes.size() < kErspanIIHeaderBytes) return fail("erspan header past buffer");
  const uint32_t w0 = load_be32(bytes.data());
  if (w0 >> 28 != kErspanIIVersion) return fail("erspan.version != 1");
  ErspanIIHeader h;
  h.vlan = static_cast<uint16_t>(w0 >> 16 & 0xFFF);
  h.cos = static_cast<uint8_t>(w0 >> 13 & 7);
  h.encap = static_cast<uint8_t>(w0 >> 11 & 3);
  h.truncated = (w0 >> 10 & 1) != 0;
  h.session_id = static_cast<uint16_t>(w0 & kErspanMaxSessionId);
  h.index = load_be32(bytes.data() + 4) & kErspanMaxIndex;
  return Decoded<ErspanIIHeader>{h, kErspanIIHeaderBytes};
}

Result<ErspanLayout> build_erspan_frame(Packet& out, const ErspanSession& session, uint32_t sequence,
                                        const Packet& inner) {
  uint32_t room = kErspanMaxInnerBytes;
  if (session.max_frame_bytes != 0) {
    room = std::min(room, erspan_inner_bytes_fit(session.max_frame_bytes));
    if (room == 0) return fail("erspan.max_frame_bytes below overhead");
  }
  const uint32_t whole = inner.frame_bytes();
  ErspanLayout layout;
  layout.inner_bytes = std::min(whole, room);
  layout.truncated = inner.original_length > whole || layout.inner_bytes < whole;
  layout.frame_bytes = static_cast<uint32_t>(kErspanOverheadBytes) + layout.inner_bytes;
  layout.pad_bytes = ethernet_padded_bytes(layout.frame_bytes) - layout.frame_bytes;

  // What of the inner frame is carried: its header bytes first, then payload bytes.
  const uint32_t head_bytes = std::min<uint32_t>(inner.header_len, layout.inner_bytes);
  const std::span<const uint8_t> inner_head(inner.header, head_bytes);
  PayloadSlice payload = inner.payload.sub(0, layout.inner_bytes - head_bytes);
  uint8_t bytes[Packet::kMaxHeaderBytes];
  size_t header_bytes = kErspanOverheadBytes;
  if (kErspanOverheadBytes + head_bytes <= Packet::kMaxHeaderBytes) {
    std::memcpy(bytes + kErspanOverheadBytes, inner_head.data(), head_bytes);
    header_bytes += head_bytes;
  } else {
    // Too many header bytes to sit beside ours: the carried bytes go to a buffer of their own.
    auto buffer = std::make_shared<std::vector<uint8_t>>(inner_head.begin(), inner_head.end());
    const auto tail = payload.bytes();
    buffer->insert(buffer->end(), tail.begin(), tail.end());
    payload = PayloadSlice{std::move(buffer), 0, layout.inner_bytes};
  }
  if (payload.length == 0) payload = {};
  // Encoded aside (and `inner` read to the end) so that an error, or out == inner, is safe.
  if (auto r = encode_erspan_outer(std::span<uint8_t>(bytes, kErspanOverheadBytes), session, sequence, inner_head,
                                   layout.inner_bytes, layout.truncated);
      !r)
    return Error{r.error()};
  out.set_header(std::span<const uint8_t>(bytes, header_bytes));
  out.payload = std::move(payload);
  out.original_length = 0;
  return layout;
}

Result<ErspanFrame> parse_erspan(std::span<const uint8_t> frame) {
  ErspanFrame f;
  auto eth = decode_ethernet(frame);
  if (!eth) return Error{eth.error()};
  f.ethernet = eth->header;
  if (f.ethernet.ether_type != kEtherTypeIpv4) return fail("ethernet.ether_type != ipv4");

  auto ip = decode_ipv4(frame.subspan(eth->length));
  if (!ip) return Error{ip.error()};
  f.ipv4 = ip->header;
  f.ipv4_checksum_ok = ip->checksum_ok;
  if (f.ipv4.protocol != kIpProtocolGre) return fail("ipv4.protocol != gre");
  if (f.ipv4.is_fragment()) return fail("ipv4 fragment");
  const size_t gre_offset = eth->length + ip->length;
  const auto datagram = frame.subspan(gre_offset, f.ipv4.total_length - ip->length);

  if (datagram.size() < kGreSequencedHeaderBytes) return fail("gre header past datagram");
  const uint16_t flags = load_be16(datagram.data());
  if ((flags & kGreVersionMask) != 0) return fail("gre.version != 0");
  if (!(flags & kGreFlagSequence)) return fail("gre.flags sequence number bit clear");
  if (flags != kGreFlagSequence) return fail("gre.flags other than sequence number set");
  if (load_be16(datagram.data() + 2) != kGreProtocolErspanII) return fail("gre.protocol != erspan ii");
  f.sequence = load_be32(datagram.data() + 4);

  const auto rest = datagram.subspan(kGreSequencedHeaderBytes);
  if (rest.size() < kErspanIIHeaderBytes) return fail("erspan header past datagram");
  auto erspan = decode_erspan_ii(rest);
  if (!erspan) return Error{erspan.error()};
  f.erspan = erspan->header;
  f.inner_offset = gre_offset + kGreSequencedHeaderBytes + kErspanIIHeaderBytes;
  f.inner = rest.subspan(kErspanIIHeaderBytes);
  return f;
}

}  // namespace hostwire::net
