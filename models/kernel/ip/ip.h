// IPv4 on a host: input checks a received frame's Ethernet (802.1Q-aware) and IPv4 headers
// through net's decoders and demultiplexes it to TCP or UDP by protocol; output hands a
// transport's frame to the driver's TX queue of the sending core. Also the netdev consumer:
// it tells the driver what each frame's inline protocol work costs in the NAPI poll.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/frame.h"
#include "core/sim.h"
#include "kernel/conn/conn.h"
#include "net/address.h"

namespace hostwire::kernel {

class TcpStack;
class UdpLayer;
class Driver;

class IpLayer {
 public:
  IpLayer(SimContext& ctx, net::Ipv4Address address, const std::string& stat_name);

  void attach(TcpStack* tcp, UdpLayer* udp, Driver* driver) { tcp_ = tcp, udp_ = udp, driver_ = driver; }
  net::Ipv4Address address() const { return address_; }

  // --- the netdev consumer ---
  int64_t poll_cycles(const Frame& f) const;  // work done inside the poll (UDP's), cycles
  void receive(Frame* f, int core);
  void poll_end(int core);

  // --- output ---
  void output(Frame* f, int core, uint16_t mss, Conn* conn);
  void flush(int core);

  uint64_t dropped() const { return not_ours_.value() + malformed_.value() + unknown_protocol_.value(); }

 private:
  net::Ipv4Address address_;
  TcpStack* tcp_ = nullptr;
  UdpLayer* udp_ = nullptr;
  Driver* driver_ = nullptr;
  Counter& not_ours_;
  Counter& malformed_;
  Counter& unknown_protocol_;
};

}  // namespace hostwire::kernel
