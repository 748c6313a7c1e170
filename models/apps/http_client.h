// An HTTP/1.1 client (mechanism G's workload): GET requests for objects drawn from a Zipf(alpha)
// popularity, over keep-alive conns (`pipeline` requests outstanding on each) or one conn per
// request, in a closed loop (`concurrency` outstanding) or with Poisson arrivals. Every response
// is checked: status 200, a body as long as the object and with its digest; responses must come
// back in request order. Latency runs from a request's arrival to its response's last byte read.
// `bad_every` N > 0 makes every Nth request a bad one (a malformed request-line, or a header
// section over the server's limit), sent alone on its conn: the client expects 400 or 431 and
// the conn's close.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "apps/app.h"
#include "core/rng.h"
#include "core/sim.h"
#include "http/objects.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

class HttpClient {
 public:
  enum class Bad : uint8_t { malformed, long_header };
  struct Config {
    net::Ipv4Address server;
    uint16_t port = 80;
    int core = 0;
    bool keep_alive = true;
    int64_t concurrency = 1;  // closed loop: requests outstanding; open loop: keep-alive conns
    int64_t pipeline = 1;     // keep-alive: requests outstanding on one conn
    double rate = 0;          // requests/s, Poisson; 0: closed loop
    Time start{}, stop{};
    std::shared_ptr<const http::ObjectSet> objects;
    std::shared_ptr<const http::ZipfPopularity> popularity;
    int64_t bad_every = 0;
    Bad bad = Bad::malformed;
    uint32_t long_header_bytes = 16384;
  };
  struct Stats {
    Counter* requests = nullptr;
    Counter* responses = nullptr;    // 200 with the right body
    Counter* bad_responses = nullptr;   // a wrong status, length or digest, or out of order
    Counter* errors_expected = nullptr;  // 400/431 answers to the bad requests
    Counter* failed = nullptr;       // requests whose conn ended before their response
    Counter* rx_bytes = nullptr;
    Counter* conns = nullptr;
    Histogram* latency = nullptr;
  };
  static Stats register_stats(SimContext& ctx, const std::string& name);
  HttpClient(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats, const std::string& rng_stream);
  ~HttpClient();

  uint64_t outstanding() const;  // requests issued, not answered yet (in flight at the end)

 private:
  struct Request {
    uint64_t object = 0;
    bool bad = false;
    Time arose{};
  };
  struct Conn;
  void arrival(Time now);
  Request make_request(Time now);
  void dispatch();             // queued requests onto conns with room
  Conn& open();
  void step(Conn& c);
  void consume(Conn& c, size_t got, Time now);
  void answered(Conn& c, int status, bool body_ok, Time now);
  void ended(Conn& c);         // the conn is over: its outstanding requests failed
  bool issuing(Time now) const { return c_.stop.ps == 0 || now < c_.stop; }

  kernel::Sockets& sockets_;
  Config c_;
  Stats st_;
  Rng rng_;
  kernel::Thread thread_;
  std::unique_ptr<PoissonArrivals> arrivals_;
  std::deque<Request> backlog_;  // arrived, waiting for a conn with room
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> live_;
  uint64_t issued_ = 0;
};

}  // namespace hostwire::apps
