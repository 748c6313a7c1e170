// Request/response over TCP. Messages are a 4-byte big-endian length (the whole message,
// header included), then the body. The client issues requests with Poisson arrivals at a
// rate, or keeps a number outstanding (closed loop), and records each request's latency from
// its arrival to the end of its response; the server answers every request with a response
// of a drawn size (or an echo of the request's size). A call writes the bytes owed from one
// buffer (up to 64 KiB: several small messages, or part of a large one), as a real client's
// write() of a message it built: a length header never leaves on its own.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <systemc>

#include "apps/app.h"
#include "apps/message_sizes.h"
#include "core/rng.h"
#include "core/sim.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

// The 4-byte length framing, fed incrementally.
struct MessageFramer {
  uint32_t need = 0;   // bytes left of the current message; 0: a header is next
  uint8_t header[4]{};
  uint8_t have = 0;    // header bytes seen
  uint32_t current = 0;
  // Feeds bytes; calls `done(size)` for each message completed. False on a bad length (< 4).
  template <class F>
  bool feed(std::span<const uint8_t> bytes, F&& done) {
    size_t i = 0;
    while (i < bytes.size()) {
      if (need == 0) {
        header[have++] = bytes[i++];
        if (have < 4) continue;
        have = 0;
        const uint32_t size = uint32_t{header[0]} << 24 | uint32_t{header[1]} << 16 | uint32_t{header[2]} << 8 | header[3];
        if (size < 4) return false;
        need = size - 4;
        current = size;
        if (need == 0) done(current);
        continue;
      }
      const uint32_t take = static_cast<uint32_t>(std::min<size_t>(need, bytes.size() - i));
      need -= take;
      i += take;
      if (need == 0) done(current);
    }
    return true;
  }
};

// One end of a request/response conn: the messages it owes the peer, and the framer of what
// it reads. The client and the server differ in what a completed message means.
class RrEndpoint {
 public:
  RrEndpoint(kernel::TcpSocket& sock, Counter& bytes_read) : sock_(sock), bytes_read_(bytes_read) {}
  virtual ~RrEndpoint() = default;

 protected:
  void queue_message(uint32_t size);  // a message of `size` bytes to send
  void step();                        // the next call: read if readable, else write, else poll
  virtual void on_message(uint32_t size, Time now) = 0;
  kernel::TcpSocket& sock_;
  Counter& bytes_read_;
  bool closed_ = false;

 private:
  void fill(uint32_t n);  // the next n bytes of the queued messages into out_
  std::deque<uint32_t> messages_;
  uint32_t offset_ = 0;     // bytes of messages_.front() already written
  uint64_t owed_ = 0;       // bytes of messages_ not yet written
  std::vector<uint8_t> out_, in_ = std::vector<uint8_t>(65536);
  MessageFramer framer_;
  static constexpr uint32_t kCallBytes = 65536;  // bytes per send or receive call
};

class TcpRrClient : public RrEndpoint {
 public:
  struct Config {
    net::Ipv4Address server;
    uint16_t port = 5201;
    int core = 0;
    uint32_t request_size = 64;
    double rate = 0;  // requests/s, Poisson; 0: closed loop with `concurrency`
    int64_t concurrency = 1;
    Time start{}, stop{};
  };
  // The workload's counters, shared by its clients.
  struct Stats {
    Counter* bytes = nullptr;
    Counter* calls = nullptr;
    Counter* requests = nullptr;
    Counter* answered = nullptr;
    Histogram* latency = nullptr;
  };
  static Stats register_stats(SimContext& ctx, const std::string& name);
  // `rng_stream` names the client's random stream (one per client).
  TcpRrClient(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats, const std::string& rng_stream);

  const Counter& answered() const { return answered_; }
  const Counter& bytes() const { return bytes_read_; }
  const tcp::Connection& tcp() const { return *sock_.conn().tcp; }

 private:
  void on_message(uint32_t size, Time now) override;
  void request(Time now);
  void arrival(Time now);
  Config c_;
  Rng rng_;
  std::deque<Time> outstanding_;  // when each unanswered request arose
  std::unique_ptr<PoissonArrivals> arrivals_;
  Counter& requests_;
  Counter& answered_;
  Histogram& latency_;
  friend class RrEndpoint;
};

class TcpRrServer {
 public:
  TcpRrServer(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, const SizeDistribution& responses, bool echo,
              const std::string& name);

 private:
  class Conn : public RrEndpoint {
   public:
    Conn(TcpRrServer& server, kernel::TcpSocket& s, Rng rng);
    void start() { step(); }

   private:
    void on_message(uint32_t size, Time now) override;
    TcpRrServer& server_;
    Rng rng_;
  };
  SizeDistribution responses_;
  bool echo_;
  std::string name_;
  Counter& bytes_;
  Counter& calls_;
  Counter& served_;
  std::vector<std::unique_ptr<Conn>> conns_;
  friend class RrEndpoint;
};

}  // namespace hostwire::apps
