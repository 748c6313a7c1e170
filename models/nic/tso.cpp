#include "nic/tso.h"

#include <algorithm>
#include <cstring>

#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/tcp.h"

namespace hostwire::nic {
namespace {

// Byte offsets of the fields TSO rewrites (RFC 791 section 3.1, RFC 9293 section 3.1).
constexpr size_t kIpTotalLength = 2, kIpId = 4, kIpFlags = 6, kIpChecksum = 10, kIpSrc = 12, kIpDst = 16;
constexpr size_t kTcpSeq = 4, kTcpDataOffset = 12, kTcpFlags = 13, kTcpChecksum = 16;
constexpr uint16_t kIpFlagReserved = 0x8000, kIpFlagMf = 0x2000, kIpFragmentOffset = 0x1FFF;

// Byte 13 of the TCP header holds the eight low flag bits; NS rides in byte 12 with the data
// offset and is left untouched on every segment.
constexpr uint8_t kFirstOnly = static_cast<uint8_t>(net::tcp_flag::cwr);
constexpr uint8_t kLastOnly = static_cast<uint8_t>(net::tcp_flag::fin | net::tcp_flag::psh);
constexpr uint8_t kSingleSegmentOnly = static_cast<uint8_t>(net::tcp_flag::syn | net::tcp_flag::rst | net::tcp_flag::urg);

struct SuperLayout {
  size_t l3 = 0;  // IPv4 header
  size_t l4 = 0;  // TCP header
  size_t ip_bytes = 0;
  size_t tcp_bytes = 0;
};

// What the NIC's TSO parser checks before it commits to cutting: the headers it will
// replicate must be whole, and the lengths it will write must fit their fields.
net::Result<SuperLayout> inspect(const Packet& super, uint16_t mss) {
  if (mss == 0) return net::fail("tso.mss == 0");
  const auto h = super.header_bytes();
  auto eth = net::decode_ethernet(h);
  if (!eth) return net::Error{eth.error()};
  if (eth->header.ether_type != net::kEtherTypeIpv4) return net::fail("tso: ether_type not IPv4");

  SuperLayout s;
  s.l3 = eth->length;
  if (h.size() < s.l3 + net::kIpv4MinHeaderBytes) return net::fail("ipv4 header past headers");
  const uint8_t* ip = h.data() + s.l3;
  if (ip[0] >> 4 != 4) return net::fail("ipv4.version != 4");
  s.ip_bytes = size_t{ip[0] & 0x0Fu} * 4;
  if (s.ip_bytes < net::kIpv4MinHeaderBytes) return net::fail("ipv4.ihl < 5");
  if (h.size() < s.l3 + s.ip_bytes) return net::fail("ipv4.ihl past headers");
  const uint16_t frag = net::load_be16(ip + kIpFlags);
  if (frag & kIpFlagReserved) return net::fail("ipv4.flags reserved bit set");
  if (frag & (kIpFlagMf | kIpFragmentOffset)) return net::fail("tso: ipv4 fragment (MF or fragment_offset set)");
  if (ip[9] != net::kIpProtocolTcp) return net::fail("tso: ipv4.protocol not TCP");

  s.l4 = s.l3 + s.ip_bytes;
  if (h.size() < s.l4 + net::kTcpMinHeaderBytes) return net::fail("tcp header past headers");
  const uint8_t* tcp = h.data() + s.l4;
  s.tcp_bytes = size_t{static_cast<uint8_t>(tcp[kTcpDataOffset] >> 4)} * 4;
  if (s.tcp_bytes < net::kTcpMinHeaderBytes) return net::fail("tcp.data_offset < 5");
  if (s.l4 + s.tcp_bytes != h.size()) return net::fail("tso: headers do not end at tcp.data_offset");

  const PayloadSlice& p = super.payload;
  if (p.length > 0 && (!p.buffer || size_t{p.offset} + p.length > p.buffer->size()))
    return net::fail("tso: payload slice past its buffer");
  if (s.ip_bytes + s.tcp_bytes + p.length > 0xFFFF) return net::fail("tso: payload > 65535 - ipv4 and tcp headers");
  if (p.length > mss && (tcp[kTcpFlags] & kSingleSegmentOnly))
    return net::fail("tso: SYN, RST or URG on a super-frame of several segments");
  return s;
}

// Room for n more without giving up geometric growth when the same vector is reused.
void make_room(std::vector<Packet>& out, size_t n) {
  if (out.capacity() - out.size() >= n) return;
  out.reserve(std::max(out.size() + n, 2 * out.capacity()));
}

}  // namespace

uint32_t tso_segment_count(uint32_t payload_bytes, uint16_t mss) {
  if (mss == 0) return 0;
  if (payload_bytes == 0) return 1;
  return (payload_bytes + mss - 1) / mss;
}

net::Result<uint32_t> tso_segment(const Packet& super, uint16_t mss, std::vector<Packet>& out) {
  auto layout = inspect(super, mss);
  if (!layout) return net::Error{layout.error()};
  const SuperLayout& s = *layout;
  const uint8_t* ip = super.header + s.l3;
  const uint8_t* tcp = super.header + s.l4;
  const uint32_t payload = super.payload.length;
  const uint32_t count = tso_segment_count(payload, mss);

  // Both checksums are summed once over the header fields every segment shares (the
  // varying ones taken as zero); a segment then adds its own few words and its payload
  // (RFC 1071 section 2(B): the sum is commutative and associative over 16-bit words).
  // Headers are multiples of 4 bytes, so the payload always starts on an even position.
  uint8_t scratch[60];
  std::memcpy(scratch, ip, s.ip_bytes);
  net::store_be16(scratch + kIpTotalLength, 0);
  net::store_be16(scratch + kIpId, 0);
  net::store_be16(scratch + kIpChecksum, 0);
  net::InternetChecksum ip_base;
  ip_base.add({scratch, s.ip_bytes});

  const net::Ipv4Address src{net::load_be32(ip + kIpSrc)}, dst{net::load_be32(ip + kIpDst)};
  std::memcpy(scratch, tcp, s.tcp_bytes);
  net::store_be32(scratch + kTcpSeq, 0);
  scratch[kTcpFlags] = 0;
  net::store_be16(scratch + kTcpChecksum, 0);
  net::InternetChecksum tcp_base;
  net::add_ipv4_pseudo_header(tcp_base, src, dst, net::kIpProtocolTcp, 0);  // length added per segment
  tcp_base.add({scratch, s.tcp_bytes});

  const uint16_t first_id = net::load_be16(ip + kIpId);
  const uint32_t first_seq = net::load_be32(tcp + kTcpSeq);
  const uint8_t flags = tcp[kTcpFlags];

  make_room(out, count);
  uint32_t offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t len = std::min<uint32_t>(mss, payload - offset);
    Packet& seg = out.emplace_back(super);
    seg.payload = super.payload.sub(offset, len);
    uint8_t* sip = seg.header + s.l3;
    uint8_t* stcp = seg.header + s.l4;

    const auto total = static_cast<uint16_t>(s.ip_bytes + s.tcp_bytes + len);
    const auto id = static_cast<uint16_t>(first_id + i);
    net::InternetChecksum ip_sum = ip_base;
    ip_sum.add_word(total);
    ip_sum.add_word(id);
    net::store_be16(sip + kIpTotalLength, total);
    net::store_be16(sip + kIpId, id);
    net::store_be16(sip + kIpChecksum, ip_sum.checksum());

    const uint32_t seq = first_seq + offset;
    uint8_t seg_flags = flags;
    if (i != 0) seg_flags &= static_cast<uint8_t>(~kFirstOnly);
    if (i + 1 != count) seg_flags &= static_cast<uint8_t>(~kLastOnly);
    net::InternetChecksum tcp_sum = tcp_base;
    tcp_sum.add_word(static_cast<uint16_t>(s.tcp_bytes + len));
    tcp_sum.add_word(static_cast<uint16_t>(seq >> 16));
    tcp_sum.add_word(static_cast<uint16_t>(seq));
    tcp_sum.add_word(seg_flags);  // the low half of the word at offset 12
    tcp_sum.add(seg.payload.bytes());
    net::store_be32(stcp + kTcpSeq, seq);
    stcp[kTcpFlags] = seg_flags;
    net::store_be16(stcp + kTcpChecksum, tcp_sum.checksum());

    offset += len;
  }
  return count;
}

net::Result<uint32_t> tso_segment(const TsoRequest& request, std::vector<Packet>& out) {
  if (!request.super) return net::fail("tso: no super-frame");
  return tso_segment(*request.super, request.mss, out);
}

net::Result<Packet> tso_whole_segment(const Packet& super) {
  // The largest MSS: a 64 KiB super-frame's payload always fits in one segment.
  std::vector<Packet> one;
  auto cut = tso_segment(super, 0xFFFF, one);
  if (!cut) return net::Error{cut.error()};
  return std::move(one.front());
}

}  // namespace hostwire::nic
