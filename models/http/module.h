// The in-kernel HTTP transport module (mechanism G) and its channel to the user-space daemon.
//
// The module sits in the event list of its listener's conns (state `http_module`: ip_input >
// tcp_input > http_input): it takes each request's bytes from the conn's receive queue, parses
// them, and looks the URI up in its response cache. A hit is answered on the conn's core with
// no context switch and no copy (the cached pages are queued on the socket). A miss goes up to
// the daemon over the channel (a DoorMessage, after Solaris NCA's door protocol) with the
// preempt indicator set: processing moves to the daemon. The daemon's reply carries the
// response data, its own preempt indicator (set on the last chunk: processing is back with the
// module), the response's identifier and advisory flags; the module caches the response as
// they say and sends it. Responses leave in request order (keep-alive, pipelining); a
// malformed request is answered 400, an over-long header section 431, both by the module,
// and the conn closed after the answer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "core/packet.h"
#include "core/sim.h"
#include "core/stats.h"
#include "http/params.h"
#include "http/request.h"
#include "http/response_cache.h"
#include "kernel/conn/tcp_stack.h"

namespace hostwire::http {

// One message over the kernel<->daemon channel, either way (nca_io2_t's fields that matter here).
struct DoorMessage {
  uint64_t conn = 0;        // the module's conn id
  uint32_t tag = 0;         // the request's number on its conn
  uint64_t request = 0;     // the module's request number (the trace's)
  bool preempt = false;     // upcall: processing moves to the daemon; reply: back to the module
  bool advisory_call = false;  // an advisory upcall: a hit on an ADVISE entry, the module keeps the request
  uint64_t response_id = 0;    // the cache tag: set by the daemon's reply, sent back in an advisory upcall
  uint8_t advisory = advisory::none;
  bool nocache = false;     // reply: do not cache this response
  bool first = true;        // reply chunks: the first of the response, and whether more follow
  bool more = false;
  Method method = Method::get;
  std::string uri;
  bool keep_alive = true;
  ResponseBytes data;       // upcall: the request's header section; reply: this chunk of the response
};

class HttpModule;

// The daemon's end of the channel: its threads take upcalls and send replies, each a system
// call on the thread's core that copies the message's data across.
class Door {
 public:
  explicit Door(HttpModule& m) : m_(m) {}
  // Takes the next upcall, blocking until there is one; a thread that slept pays its wake-up.
  void next(kernel::Thread t, std::function<void(DoorMessage)> done);
  // A reply (one chunk of a response): its data copied in, the module's door_return work; the
  // module acts on it when the call returns.
  void reply(kernel::Thread t, DoorMessage m, std::function<void()> done);

 private:
  friend class HttpModule;
  void upcall(DoorMessage m);
  void deliver(kernel::Thread t, DoorMessage m, bool woken, std::function<void(DoorMessage)> done);
  HttpModule& m_;
  std::deque<DoorMessage> upcalls_;
  struct Waiter {
    kernel::Thread thread;
    std::function<void(DoorMessage)> done;
  };
  std::deque<Waiter> waiters_;
};

class HttpModule {
 public:
  // `stat_name`: "<host>.http".
  HttpModule(kernel::TcpStack& stack, const HttpParams& p, const std::string& stat_name);
  ~HttpModule();

  // Serves `port`: the listener's conns enter the http_module state. One door per module.
  Door& bind(uint16_t port);
  const ResponseCache& cache() const { return cache_; }
  const HttpParams& params() const { return p_; }
  double hit_ratio() const;  // hits over GET/HEAD lookups (0 before any)
  // Requests received but not answered yet, and their conns' bytes the module holds.
  uint64_t unanswered() const;
  std::string accounting() const;  // empty when every request byte is accounted for

 private:
  friend class Door;
  struct Pending;
  struct HttpConn;
  static kernel::Verdict http_input(kernel::TcpStack& s, kernel::Conn& c, kernel::Input& in);
  void accept(kernel::Conn& c);
  void on_packet(HttpConn& h);
  void read(HttpConn& h);
  void discard(HttpConn& h);
  void handle(HttpConn& h, const ParsedRequest& r, ResponseBytes head);
  void upcall(HttpConn& h, Pending& p, bool advisory_call, uint64_t response_id);
  void on_reply(const DoorMessage& m);
  void ready(HttpConn& h, Pending& p, const ResponseBytes& data, uint64_t length);
  void pump(HttpConn& h);
  void finish(HttpConn& h, Pending& p);
  void work(HttpConn& h, Cycles cycles, std::function<void()> done);  // on the conn's core, softirq
  Pending* find(HttpConn& h, uint32_t tag);

  kernel::TcpStack& stack_;
  HttpParams p_;
  std::string name_;
  Logger log_;
  ResponseCache cache_;
  std::unique_ptr<Door> door_;
  kernel::EventList list_;
  std::unordered_map<uint64_t, std::unique_ptr<HttpConn>> conns_;
  uint64_t next_request_ = 1;
  int trace_track_ = -1;

  Counter& requests_;
  Counter& hits_;
  Counter& misses_;
  Counter& uncacheable_;
  Counter& advisory_upcalls_;
  Counter& upcalls_;
  Counter& replies_;
  Counter& chunks_;
  Counter& from_cache_;
  Counter& from_daemon_;
  Counter& errors_400_;
  Counter& errors_431_;
  Counter& preempt_to_daemon_;
  Counter& preempt_to_module_;
  Counter& request_bytes_;
  Counter& discarded_bytes_;
  Counter& orphaned_;
  Counter& replaced_;
  Counter& flushed_;
  Counter& temp_;
  Counter& door_wakeups_;
  uint64_t framed_bytes_ = 0;  // bytes of requests parsed (heads and bodies)
};

}  // namespace hostwire::http
