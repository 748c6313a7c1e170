// Bulk TCP transfer: a sender that writes a byte stream as fast as its send buffer allows (a
// fixed count, then close; or until the run ends), and a sink that reads everything and
// closes when the peer does. Both digest the stream, so a run proves it arrived intact.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/stream.h"
#include "core/sim.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

class TcpBulkSender {
 public:
  struct Config {
    net::Ipv4Address peer;
    uint16_t port = 5201;
    int core = 0;
    uint64_t bytes = 0;  // 0: until the end of the run
    uint32_t write_size = 65536;
    Time start{};
  };
  // The workload's counters, shared by its senders.
  struct Stats {
    Counter* bytes = nullptr;  // bytes written
    Counter* calls = nullptr;  // send calls
  };
  TcpBulkSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats);

  uint64_t written() const { return written_; }
  net::Ipv4Address address() const { return address_; }  // of the sending host
  const StreamDigest& digest() const { return digest_; }
  const kernel::TcpSocket& socket() const { return sock_; }

 private:
  void step();
  Config c_;
  net::Ipv4Address address_;
  kernel::TcpSocket& sock_;
  uint64_t written_ = 0;
  bool closed_ = false;
  StreamDigest digest_;
  Counter& bytes_;
};

// A workload's senders' counters, registered once under its stat prefix ("workloads.bulk.").
TcpBulkSender::Stats bulk_sender_stats(SimContext& ctx, const std::string& name);

class TcpSink {
 public:
  TcpSink(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, uint32_t read_size, const std::string& name);

  // Bytes read over every accepted conn; and what was read of the one from peer:port.
  uint64_t read() const;
  struct Flow {
    uint64_t read = 0;
    uint64_t digest = 0;
  };
  std::optional<Flow> flow(net::Ipv4Address peer, uint16_t port) const;

 private:
  struct Accepted {
    kernel::TcpSocket& sock;
    std::vector<uint8_t> buffer;
    StreamDigest digest;
    uint64_t read = 0;
  };
  void step(Accepted& a);
  uint32_t read_size_;
  Counter& bytes_;
  Counter& calls_;
  std::vector<std::unique_ptr<Accepted>> conns_;
};

}  // namespace hostwire::apps
