// The user-space HTTP daemon (mechanism G): worker threads that answer GET and HEAD for the
// object set, with its own costs (per-request processing, opening and reading the file from
// the page cache, the copies its system calls make, its wake-ups and context switches).
//
// path kernel: the daemon binds the host's HTTP module and serves only what the module passes
// up over the channel: each worker takes an upcall, builds the response and replies with it,
// a response identifier and advisory flags, in chunks of the channel's size; the last chunk
// hands processing back to the module (its preempt indicator). path daemon_only: the same
// daemon on plain sockets, an event loop per worker (epoll), no module: the baseline.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/sim.h"
#include "core/stats.h"
#include "http/module.h"
#include "http/objects.h"
#include "kernel/socket/sockets.h"

namespace hostwire::http {

struct DaemonConfig {
  enum class Path : uint8_t { kernel, daemon_only };
  Path path = Path::kernel;
  uint16_t port = 80;
  std::vector<int> cores{0};  // one worker thread on each
  std::shared_ptr<const ObjectSet> objects;
  Cycles request{9000};     // per request: routing, access log, response head (user space)
  Cycles file_open{4500};   // open, fstat and close of a file in the page cache
  // Advisory policy: objects 0 .. advise_fraction*K-1 (the most popular under Zipf) are returned
  // with ADVISE; an advisory upcall is answered with `advisory_reply` (none lets the cached
  // response stand; replace, flush and temp send fresh data with that flag).
  double advise_fraction = 0;
  uint8_t advisory_reply = advisory::none;
  // Objects K-nocache_fraction*K .. K-1 are returned with nocache (never cached).
  double nocache_fraction = 0;
  uint64_t door_chunk = 256 * 1024;
  uint32_t header_limit = 8192;  // daemon_only: its own parser's limit (431 beyond)
  std::string name;              // stats prefix ("workloads.web.")
};

class HttpDaemon {
 public:
  HttpDaemon(SimContext& ctx, kernel::Sockets& sockets, const DaemonConfig& c);
  ~HttpDaemon();

  const Counter& user_cycles() const { return user_cycles_; }
  const Counter& served() const { return served_; }

 private:
  struct Worker;
  struct Conn;
  // path kernel
  void take_upcall(Worker& w);
  void serve_upcall(Worker& w, DoorMessage m);
  void send_reply(Worker& w, std::shared_ptr<std::vector<DoorMessage>> chunks, size_t i);
  // path daemon_only
  void accept(kernel::TcpSocket& s);
  void poll(Worker& w);
  void next_ready(Worker& w);
  void step(Conn& c);
  void parse(Conn& c);
  // The response for object `k` (nullptr: not an object), built once per variant.
  ResponseBytes response(uint64_t k, bool keep_alive, bool head_only);
  uint64_t response_id(uint64_t k) const;
  Cycles object_cycles(uint64_t k) const;  // open and read the file
  void compute(Worker& w, Cycles cycles, std::function<void()> done);

  kernel::Sockets& sockets_;
  DaemonConfig c_;
  Door* door_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::unordered_map<const kernel::TcpSocket*, Conn*> by_socket_;
  std::unordered_map<uint64_t, ResponseBytes> responses_;  // k * 4 + variant
  std::unordered_map<uint64_t, uint32_t> versions_;        // REPLACE bumps an object's version
  Counter& requests_;
  Counter& served_;
  Counter& errors_;
  Counter& user_cycles_;
  Counter& calls_;
};

}  // namespace hostwire::http
