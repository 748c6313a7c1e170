#include "net/tcp.h"

#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/ipv4.h"

namespace hostwire::net {
namespace {

enum OptionKind : uint8_t { kEol = 0, kNop = 1, kMss = 2, kWindowScale = 3, kSackPermitted = 4, kSack = 5, kTimestamps = 8 };

constexpr size_t kTimestampsOptionBytes = 10;

// Writes the options in the order and padding of Linux's tcp_options_write(): MSS;
// timestamps, preceded by SACK-permitted in place of the two NOPs when both are sent;
// NOP NOP SACK-permitted alone; NOP window scale; NOP NOP SACK blocks. Every option
// then starts 4-byte aligned where its fields need it, and no EOL is needed.
size_t write_options(const TcpOptions& o, uint8_t* p) {
  size_t at = 0;
  auto put = [&](std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) p[at++] = b;
  };
  if (o.mss) {
    put({kMss, 4});
    store_be16(p + at, *o.mss);
    at += 2;
  }
  if (o.timestamps) {
    if (o.sack_permitted)
      put({kSackPermitted, 2});
    else
      put({kNop, kNop});
    put({kTimestamps, kTimestampsOptionBytes});
    store_be32(p + at, o.timestamps->tsval);
    store_be32(p + at + 4, o.timestamps->tsecr);
    at += 8;
  } else if (o.sack_permitted) {
    put({kNop, kNop, kSackPermitted, 2});
  }
  if (o.window_scale) put({kNop, kWindowScale, 3, *o.window_scale});
  if (o.sack_blocks > 0) {
    put({kNop, kNop, kSack, static_cast<uint8_t>(2 + 8 * o.sack_blocks)});
    for (size_t i = 0; i < o.sack_blocks; ++i, at += 8) {
      store_be32(p + at, o.sack[i].left);
      store_be32(p + at + 4, o.sack[i].right);
    }
  }
  return at;
}

// Parses the option bytes between the fixed header and the data offset.
Result<TcpOptions> read_options(std::span<const uint8_t> bytes) {
  TcpOptions o;
  bool seen_sack = false;
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t kind = bytes[i];
    if (kind == kEol) break;  // the rest is padding (RFC 9293 section 3.1)
    if (kind == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size()) return fail("tcp option past header");
    const size_t len = bytes[i + 1];
    if (len < 2) return fail("tcp option length < 2");
    if (i + len > bytes.size()) return fail("tcp option past header");
    const uint8_t* body = bytes.data() + i + 2;
    switch (kind) {
      case kMss:
        if (len != 4) return fail("tcp.mss option length != 4");
        if (o.mss) return fail("tcp.mss option repeated");
        o.mss = load_be16(body);
        break;
      case kWindowScale:
        if (len != 3) return fail("tcp.window_scale option length != 3");
        if (o.window_scale) return fail("tcp.window_scale option repeated");
        o.window_scale = body[0];
        break;
      case kSackPermitted:
        if (len != 2) return fail("tcp.sack_permitted option length != 2");
        if (o.sack_permitted) return fail("tcp.sack_permitted option repeated");
        o.sack_permitted = true;
        break;
      case kSack:
        if (len < 10 || (len - 2) % 8 != 0 || (len - 2) / 8 > kTcpMaxSackBlocks)
          return fail("tcp.sack option length not 2 + 8 * (1..4)");
        if (seen_sack) return fail("tcp.sack option repeated");
        seen_sack = true;
        o.sack_blocks = static_cast<uint8_t>((len - 2) / 8);
        for (size_t b = 0; b < o.sack_blocks; ++b)
          o.sack[b] = SackBlock{load_be32(body + 8 * b), load_be32(body + 8 * b + 4)};
        break;
      case kTimestamps:
        if (len != kTimestampsOptionBytes) return fail("tcp.timestamps option length != 10");
        if (o.timestamps) return fail("tcp.timestamps option repeated");
        o.timestamps = TcpTimestamps{load_be32(body), load_be32(body + 4)};
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

}  // namespace

size_t TcpOptions::encoded_length() const {
  size_t n = 0;
  if (mss) n += 4;
  if (timestamps) n += 12;  // SACK-permitted rides in its two padding bytes
  else if (sack_permitted) n += 4;
  if (window_scale) n += 4;
  if (sack_blocks > 0) n += 4 + 8 * size_t{sack_blocks};
  return n;
}

Result<size_t> TcpHeader::encode(std::span<uint8_t> out) const {
  if (flags > 0x1FF) return fail("tcp.flags > 0x1ff");
  if (options.sack_blocks > kTcpMaxSackBlocks) return fail("tcp.sack_blocks > 4");
  const size_t options_len = options.encoded_length();
  if (options_len > kTcpMaxOptionBytes) return fail("tcp options > 40 bytes");
  const size_t len = kTcpMinHeaderBytes + options_len;
  if (out.size() < len) return fail("tcp header past buffer");
  uint8_t* p = out.data();
  store_be16(p, src_port);
  store_be16(p + 2, dst_port);
  store_be32(p + 4, seq);
  store_be32(p + 8, ack);
  p[12] = static_cast<uint8_t>(len / 4 << 4 | flags >> 8);
  p[13] = static_cast<uint8_t>(flags);
  store_be16(p + 14, window);
  store_be16(p + 16, checksum);
  store_be16(p + 18, urgent);
  write_options(options, p + kTcpMinHeaderBytes);
  return len;
}

Result<size_t> TcpHeader::encode(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                                 std::span<const uint8_t> payload) const {
  auto len = encode(out);
  if (!len) return len;
  if (*len + payload.size() > 0xFFFF) return fail("tcp segment > 65535 bytes");
  store_transport_checksum(out.first(*len), 16, src, dst, kIpProtocolTcp, payload);
  return len;
}

Result<Decoded<TcpHeader>> decode_tcp(std::span<const uint8_t> segment) {
  if (segment.size() < kTcpMinHeaderBytes) return fail("tcp header past segment");
  const uint8_t* p = segment.data();
  const size_t len = static_cast<size_t>(p[12] >> 4) * 4;
  if (len < kTcpMinHeaderBytes) return fail("tcp.data_offset < 5");
  if (len > segment.size()) return fail("tcp.data_offset past segment");
  auto options = read_options(segment.subspan(kTcpMinHeaderBytes, len - kTcpMinHeaderBytes));
  if (!options) return Error{options.error()};
  TcpHeader h;
  h.src_port = load_be16(p);
  h.dst_port = load_be16(p + 2);
  h.seq = load_be32(p + 4);
  h.ack = load_be32(p + 8);
  h.flags = static_cast<uint16_t>((p[12] & 1) << 8 | p[13]);  // the three reserved bits are ignored
  h.window = load_be16(p + 14);
  h.checksum = load_be16(p + 16);
  h.urgent = load_be16(p + 18);
  h.options = std::move(options).value();
  return Decoded<TcpHeader>{h, len};
}

}  // namespace hostwire::net
