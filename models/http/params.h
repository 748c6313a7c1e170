// Parameters of a host's in-kernel HTTP transport module (`<host>.http.`, mechanism G): what its
// work costs on the conn's core, its response cache in kernel memory, and the kernel<->daemon
// channel. The module is there when a daemon on the host binds it (a web workload with
// path: kernel); the daemon's own costs are the workload's.
#pragma once

#include <cstdint>

#include "core/params.h"
#include "core/units.h"

namespace hostwire::http {

struct HttpParams {
  // Per packet of an http_module conn: checking its request state (the framing scan is charged
  // per byte on top, at the cost table's frame_per_byte).
  Cycles input{150};
  // Per request: the start line and fields parsed, the URI hashed and looked up in the cache.
  Cycles request{1000};
  // Per response the module sends: the cached pages referenced by the socket's send queue
  // (sendfile-like, no copy), the conn's keep-alive state.
  Cycles response{1000};
  // An upcall to the daemon: the request packed into a channel message, queued, the daemon's
  // door thread made runnable (its wake-up is the daemon's).
  Cycles door_call{1000};
  // The kernel's side of the daemon's reply: the message checked, its data taken into kernel
  // buffers (the copy is charged per byte on top), the cache updated.
  Cycles door_return{500};
  Bytes cache_size{64 * 1024 * 1024};
  Bytes header_limit{8192};
  int64_t max_pipeline = 32;
  Bytes door_chunk{256 * 1024};

  template <class V>
  void visit(V& v) {
    v(input, "input", "the module's work per packet of one of its conns (its request state), cycles");
    v(request, "request", "the module's work per request beyond the framing scan: parse, cache lookup, cycles");
    v(response, "response", "the module's work per response it sends (cached pages queued without a copy), cycles");
    v(door_call, "door_call", "an upcall to the daemon over the kernel-daemon channel, kernel side, cycles");
    v(door_return, "door_return", "the kernel's side of a daemon reply (its data copy is charged per byte on top), cycles");
    v(cache_size, "cache_size", "kernel memory for cached responses (heads and bodies), LRU beyond; 0B: no cache");
    v(header_limit, "header_limit", "largest request header section; a longer one is answered 431 and the conn closed",
      Limits::range(64, 1 << 20));
    v(max_pipeline, "max_pipeline", "requests of one conn the module holds unanswered; more wait in the receive "
      "queue (the window closes), requests", Limits::range(1, 1 << 16));
    v(door_chunk, "door_chunk", "most response data per channel message: a larger response comes in chunks "
      "(first/more), the daemon keeping the request until the last", Limits::range(1024, 1 << 30));
  }
};

}  // namespace hostwire::http
