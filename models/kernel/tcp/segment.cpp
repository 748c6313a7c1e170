#include "kernel/tcp/segment.h"

namespace hostwire::tcp {

std::optional<Segment> make_rst_reply(const Segment& in) {
  using namespace net::tcp_flag;
  if (in.has(rst)) return std::nullopt;
  Segment out;
  out.header.src_port = in.header.dst_port;
  out.header.dst_port = in.header.src_port;
  if (in.has(ack)) {
    out.header.seq = in.header.ack;
    out.header.flags = rst;
  } else {
    out.header.seq = 0;
    out.header.ack = in.header.seq + in.len();
    out.header.flags = rst | ack;
  }
  return out;
}

}  // namespace hostwire::tcp
