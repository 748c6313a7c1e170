// UDP streams: sender threads that send datagrams over their share of a workload's flows
// (as fast as the core and TX queue allow, evenly spaced, or Poisson), and a host's receiver
// threads, one per core, reading their core's socket of the port (SO_INCOMING_CPU).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "core/rng.h"
#include "core/sim.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

class UdpStreamSender {
 public:
  struct Config {
    std::string name;   // the workload's stat prefix
    int core = 0;
    std::vector<kernel::UdpFlow> flows;
    PayloadSlice payload;
    std::string pattern = "line_rate";  // line_rate, constant, poisson
    Time interval{};    // mean gap between calls for constant / poisson
    Time start{}, stop{};
    int64_t count = 0;  // datagrams this thread sends (0: unlimited)
    int64_t batch = 1;  // datagrams per sendmmsg
    uint64_t seed_stream = 0;
  };
  // `sent` counts datagrams handed to the driver.
  UdpStreamSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Counter& sent);

 private:
  void step();
  void timer();
  SimContext& ctx_;
  Config c_;
  kernel::UdpSendSocket& sock_;
  Counter& sent_;
  int64_t sent_n_ = 0;
  Time next_due_{};
  Rng rng_;
  sc_core::sc_event timer_;
};

// Receive-side statistics of one workload.
struct UdpFlowStats {
  Counter* datagrams = nullptr;
  Counter* bytes = nullptr;  // UDP payload bytes
  Histogram* latency = nullptr;
};

class UdpReceiver {
 public:
  // Reads `port` on every core; datagrams tagged with workload w are counted into stats[w].
  UdpReceiver(kernel::Sockets& sockets, uint16_t port, uint32_t batch, std::vector<UdpFlowStats> stats);

 private:
  void step(kernel::UdpReceiveSocket& s);
  uint32_t batch_;
  std::vector<UdpFlowStats> stats_;
};

}  // namespace hostwire::apps
