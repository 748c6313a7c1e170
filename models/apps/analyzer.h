// A packet analyzer on a host, as tcpdump or a debugging appliance runs: a thread of its own on
// one core reads a packet socket bound to one of the host's netdevs (a debug VNIC, mechanism
// B's second destination), spends `cost` cycles per frame (dissect, filter, index) and writes
// each frame to a pcap file with the NIC's timestamp. A slow analyzer falls behind: its
// socket fills and the kernel drops frames there, never on the host's other netdevs.
#pragma once

#include <memory>
#include <string>

#include "core/sim.h"
#include "core/stats.h"
#include "kernel/socket/sockets.h"
#include "net/pcap.h"

namespace hostwire::apps {

class Analyzer {
 public:
  struct Config {
    std::string name;  // the workload's stat prefix
    int netdev = 1;
    int core = 0;
    Cycles cost{2000};
    std::string pcap_path;  // empty: no file
  };
  Analyzer(SimContext& ctx, kernel::Sockets& sockets, const Config& c);

 private:
  void next();
  void take(const Packet& p);

  SimContext& ctx_;
  kernel::Sockets& sockets_;
  Config c_;
  kernel::Thread thread_;
  kernel::PacketSocket& socket_;
  std::unique_ptr<net::PcapWriter> pcap_;
  Counter& frames_;
  Counter& bytes_;
};

}  // namespace hostwire::apps
