// Every packet decoder on arbitrary bytes: an error or a header, never a read past the
// buffer (the sanitizers watch), and a decoded header's length stays inside the input.
#include <span>

#include "fuzz_target.h"
#include "net/ethernet.h"
#include "net/frame.h"
#include "net/ipv4.h"
#include "net/tcp.h"
#include "net/udp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (auto e = hostwire::net::decode_ethernet(in)) FUZZ_CHECK(e->length <= size);
  if (auto ip = hostwire::net::decode_ipv4(in)) FUZZ_CHECK(ip->length <= size);
  if (auto tcp = hostwire::net::decode_tcp(in)) FUZZ_CHECK(tcp->length <= size);
  if (auto udp = hostwire::net::decode_udp(in)) FUZZ_CHECK(udp->length <= size);
  if (auto f = hostwire::net::parse_frame(in)) FUZZ_CHECK(f->payload_offset + f->payload_length <= size);
  return 0;
}
