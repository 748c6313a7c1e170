// Bulk TCP transfer: a sender that writes a byte stream as fast as its send buffer allows (a
// fixed count, then close; or until the run ends), and a sink that reads everything and
// closes when the peer does. Both digest the stream, so a run proves it arrived intact.
#pragma once

#include <cstdint>
#include <memory>
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
  // `name` is the workload's stat prefix ("workloads.bulk.").
  TcpBulkSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, const std::string& name);

  uint64_t written() const { return written_; }
  const StreamDigest& digest() const { return digest_; }
  const kernel::TcpSocket& socket() const { return sock_; }

 private:
  void step();
  Config c_;
  kernel::TcpSocket& sock_;
  uint64_t written_ = 0;
  bool closed_ = false;
  StreamDigest digest_;
  Counter& bytes_;
};

class TcpSink {
 public:
  TcpSink(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, uint32_t read_size, const std::string& name);

  // Bytes read and their digest, over every accepted conn (a bulk flow has one).
  uint64_t read() const;
  const StreamDigest* digest() const { return conns_.empty() ? nullptr : &conns_.front()->digest; }

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
