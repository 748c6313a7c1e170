// A stream of messages over TCP, one way: the sender writes messages of a fixed size at
// Poisson arrivals (or back to back), each a 4-byte big-endian length (the whole message),
// the 8-byte simulated time it arose, then pattern bytes; the receiver reads with fixed-size
// calls, frames the stream and records each message's latency from its arrival at the sender
// to its last byte read. The figures kernel buffering is judged by: receive calls and
// wake-ups per message, and latency per message, for a plain byte stream.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "apps/app.h"
#include "core/rng.h"
#include "core/sim.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

inline constexpr uint32_t kMessageHeaderBytes = 12;  // length (4) + time it arose (8)

class TcpMessageSender {
 public:
  struct Config {
    net::Ipv4Address peer;
    uint16_t port = 5201;
    int core = 0;
    uint32_t message_size = 1024;  // bytes, header included
    double rate = 0;               // messages/s, Poisson; 0: back to back
    Time start{}, stop{};
  };
  struct Stats {
    Counter* messages = nullptr;  // messages that arose
    Counter* calls = nullptr;
  };
  static Stats register_stats(SimContext& ctx, const std::string& name);
  TcpMessageSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats, const std::string& rng_stream);

 private:
  void arise(Time now);
  void arrival(Time now);
  void step();
  Config c_;
  kernel::TcpSocket& sock_;
  Stats stats_;
  Rng rng_;
  std::deque<Time> queued_;  // messages not yet written: when each arose
  uint32_t offset_ = 0;      // bytes of the first one written
  std::vector<uint8_t> out_;
  std::unique_ptr<PoissonArrivals> arrivals_;
};

class TcpMessageReceiver {
 public:
  TcpMessageReceiver(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, uint32_t read_size,
                     const std::string& name);

 private:
  struct Conn {
    kernel::TcpSocket& sock;
    std::vector<uint8_t> buffer;
    uint8_t header[kMessageHeaderBytes]{};
    uint32_t have = 0;  // header bytes of the current message seen
    uint32_t need = 0;  // body bytes of the current message still to read
    Time arose{};
  };
  void step(Conn& c);
  bool feed(Conn& c, std::span<const uint8_t> bytes, Time now);
  uint32_t read_size_;
  Counter& messages_;
  Counter& bytes_;
  Counter& calls_;
  Counter& malformed_;
  Histogram& latency_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace hostwire::apps
