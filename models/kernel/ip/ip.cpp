#include "kernel/ip/ip.h"

#include "kernel/conn/tcp_stack.h"
#include "kernel/driver/driver.h"
#include "kernel/udp/udp.h"
#include "net/byte_order.h"
#include "net/ethernet.h"
#include "net/ipv4.h"

namespace hostwire::kernel {

IpLayer::IpLayer(SimContext& ctx, net::Ipv4Address address, const std::string& stat_name)
    : address_(address),
      not_ours_(ctx.stats().counter(stat_name + ".ip.dropped_not_ours", "frames",
                                    "frames that were not IPv4 for this host's address")),
      malformed_(ctx.stats().counter(stat_name + ".ip.dropped_malformed", "frames",
                                     "frames whose Ethernet or IPv4 header did not parse")),
      unknown_protocol_(ctx.stats().counter(stat_name + ".ip.dropped_protocol", "frames",
                                            "IPv4 packets for this host of a protocol it does not run")) {}

int64_t IpLayer::poll_cycles(const Frame& f) const {
  // Only the protocol matters here (the full checks run in receive()): the EtherType, past one
  // 802.1Q tag, then the IPv4 protocol byte.
  const auto h = f.packet.header_bytes();
  size_t l3 = net::kEthernetHeaderBytes;
  if (h.size() < l3) return 0;
  uint16_t type = net::load_be16(h.data() + 12);
  if (type == net::kEtherTypeVlan && h.size() >= l3 + net::kVlanTagBytes) {
    type = net::load_be16(h.data() + 16);
    l3 += net::kVlanTagBytes;
  }
  if (type != net::kEtherTypeIpv4 || h.size() < l3 + net::kIpv4MinHeaderBytes) return 0;
  return h[l3 + 9] == net::kIpProtocolUdp && udp_ ? udp_->poll_cycles() : 0;
}

void IpLayer::receive(Frame* f, int core) {
  const auto h = f->packet.header_bytes();
  auto eth = net::decode_ethernet(h);
  if (!eth) {
    malformed_.add();
    f->gp.release();
    return;
  }
  if (eth->header.ether_type != net::kEtherTypeIpv4) {
    not_ours_.add();
    f->gp.release();
    return;
  }
  auto ip = net::decode_ipv4(h.subspan(eth->length), net::Ipv4Payload::elsewhere);
  if (!ip) {
    malformed_.add();
    f->gp.release();
    return;
  }
  if (ip->header.dst != address_) {
    not_ours_.add();
    f->gp.release();
    return;
  }
  const size_t l4 = eth->length + ip->length;
  if (ip->header.protocol == net::kIpProtocolTcp && tcp_) {
    tcp_->receive(f, ip->header.src, l4, core);
  } else if (ip->header.protocol == net::kIpProtocolUdp && udp_) {
    udp_->receive(f, ip->header.src, l4, core);
  } else {
    unknown_protocol_.add();
    f->gp.release();
  }
}

void IpLayer::poll_end(int core) {
  if (tcp_) tcp_->poll_end(core);
}

void IpLayer::output(Frame* f, int core, uint16_t mss, Conn* conn) { driver_->xmit(f, core, mss, conn); }
void IpLayer::flush(int core) { driver_->flush(core); }

}  // namespace hostwire::kernel
