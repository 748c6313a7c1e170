#include "http/daemon.h"

#include <algorithm>

#include "http/request.h"
#include "http/response.h"

namespace hostwire::http {

namespace {
constexpr size_t kRecvBytes = 65536;

ResponseBytes bytes_of(const std::string& s) { return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end()); }
}  // namespace

struct HttpDaemon::Worker {
  kernel::Thread thread;
  std::unique_ptr<kernel::EventPoll> poll;
  std::deque<Conn*> ready;
};

struct HttpDaemon::Conn {
  kernel::TcpSocket* sock = nullptr;
  Worker* worker = nullptr;
  std::vector<uint8_t> in;  // received, not yet parsed
  std::vector<uint8_t> buf = std::vector<uint8_t>(kRecvBytes);
  std::deque<PayloadSlice> out;
  uint64_t body_left = 0;
  bool close_after = false;  // a request asked to close, or was bad: no more are read
  bool closed = false;
};

HttpDaemon::HttpDaemon(SimContext& ctx, kernel::Sockets& sockets, const DaemonConfig& c)
    : sockets_(sockets),
      c_(c),
      requests_(ctx.stats().counter(c.name + "daemon.requests", "requests", "requests the daemon processed")),
      served_(ctx.stats().counter(c.name + "daemon.responses", "responses", "responses the daemon produced")),
      errors_(ctx.stats().counter(c.name + "daemon.errors", "responses",
                                  "error responses the daemon produced (400, 404, 431, 501)")),
      user_cycles_(ctx.stats().counter(c.name + "daemon.user_cycles", "cycles",
                                       "the daemon's own work in user space (requests, files), system calls aside")),
      calls_(ctx.stats().counter(c.name + "daemon.calls", "calls", "the daemon's socket and poll system calls")) {
  for (int core : c_.cores) {
    auto w = std::make_unique<Worker>();
    w->thread = sockets_.thread(core);
    workers_.push_back(std::move(w));
  }
  if (c_.path == DaemonConfig::Path::kernel) {
    door_ = &sockets_.http_bind(c_.port);
    for (auto& w : workers_) take_upcall(*w);
  } else {
    sockets_.tcp_listen(c_.port, [this](kernel::TcpSocket& s) { accept(s); });
    for (auto& w : workers_) {
      w->poll = sockets_.event_poll(w->thread);
      w->poll->count_calls(&calls_);
      poll(*w);
    }
  }
}

HttpDaemon::~HttpDaemon() = default;

void HttpDaemon::compute(Worker& w, Cycles cycles, std::function<void()> done) {
  user_cycles_.add(static_cast<uint64_t>(cycles.n));
  sockets_.compute(w.thread, cycles, "httpd", std::move(done));
}

uint64_t HttpDaemon::response_id(uint64_t k) const {
  const auto it = versions_.find(k);
  return (uint64_t{it != versions_.end() ? it->second : 0u} << 40) | (k + 1);
}

Cycles HttpDaemon::object_cycles(uint64_t k) const {
  return c_.file_open + sockets_.costs().copy_cycles(static_cast<int64_t>(c_.objects->size(k)));
}

ResponseBytes HttpDaemon::response(uint64_t k, bool keep_alive, bool head_only) {
  auto& r = responses_[k * 4 + (keep_alive ? 2 : 0) + (head_only ? 1 : 0)];
  if (!r) {
    const std::string head = response_head(200, c_.objects->size(k), keep_alive);
    auto v = std::make_shared<std::vector<uint8_t>>(head.begin(), head.end());
    if (!head_only) {
      const auto body = c_.objects->body(k);
      v->insert(v->end(), body->begin(), body->end());
    }
    r = v;
  }
  return r;
}

// ---------------------------------------------------------------- path kernel

void HttpDaemon::take_upcall(Worker& w) {
  door_->next(w.thread, [this, &w](DoorMessage m) { serve_upcall(w, std::move(m)); });
}

void HttpDaemon::serve_upcall(Worker& w, DoorMessage m) {
  requests_.add();
  DoorMessage r;
  r.conn = m.conn;
  r.tag = m.tag;
  r.request = m.request;
  r.method = m.method;
  r.uri = m.uri;
  Cycles cost = c_.request + sockets_.costs().parse_cycles(m.data ? static_cast<int64_t>(m.data->size()) : 0);
  ResponseBytes data;
  const auto k = c_.objects->index(m.uri);
  const uint64_t count = c_.objects->count();
  const bool head = m.method == Method::head;
  // The head carries no Connection field: the cached response serves keep-alive and closing
  // requests alike (the module closes after a closing request's answer).
  if (m.advisory_call) {
    r.advisory = c_.advisory_reply;
    r.response_id = m.response_id;
    if (c_.advisory_reply != advisory::none && k) {
      if (c_.advisory_reply & advisory::replace) ++versions_[*k];
      data = response(*k, true, head);
      cost = cost + object_cycles(*k);
      r.response_id = response_id(*k);
    }
  } else if ((m.method == Method::get || head) && k) {
    data = response(*k, true, head);
    cost = cost + object_cycles(*k);
    r.response_id = response_id(*k);
    if (static_cast<double>(*k) < c_.advise_fraction * static_cast<double>(count)) r.advisory = advisory::advise;
    r.nocache = head || static_cast<double>(*k) >= (1.0 - c_.nocache_fraction) * static_cast<double>(count);
  } else {
    errors_.add();
    data = bytes_of(error_response(m.method == Method::get || head ? 404 : 501, true));
    r.nocache = true;
  }
  compute(w, cost, [this, &w, r = std::move(r), data] {
    // Chunks of the channel's size; the last gives processing back to the module.
    auto chunks = std::make_shared<std::vector<DoorMessage>>();
    const size_t total = data ? data->size() : 0;
    size_t off = 0;
    do {
      const size_t n = std::min<size_t>(total - off, c_.door_chunk);
      DoorMessage part = r;
      part.first = off == 0;
      if (data) {
        part.data = off == 0 && n == total ? data
                                           : std::make_shared<const std::vector<uint8_t>>(data->begin() + static_cast<std::ptrdiff_t>(off),
                                                                                          data->begin() + static_cast<std::ptrdiff_t>(off + n));
      }
      off += n;
      part.more = off < total;
      part.preempt = !part.more;
      chunks->push_back(std::move(part));
    } while (off < total);
    send_reply(w, chunks, 0);
  });
}

void HttpDaemon::send_reply(Worker& w, std::shared_ptr<std::vector<DoorMessage>> chunks, size_t i) {
  DoorMessage m = (*chunks)[i];
  door_->reply(w.thread, std::move(m), [this, &w, chunks, i] {
    if (i + 1 < chunks->size()) {
      send_reply(w, chunks, i + 1);
      return;
    }
    served_.add();
    take_upcall(w);
  });
}

// ---------------------------------------------------------------- path daemon_only

void HttpDaemon::accept(kernel::TcpSocket& s) {
  // The worker on the conn's core takes it (SO_INCOMING_CPU), else one by the core's number.
  Worker* w = workers_[static_cast<size_t>(s.conn().core) % workers_.size()].get();
  for (auto& wk : workers_)
    if (wk->thread.core == s.conn().core) w = wk.get();
  s.set_thread(w->thread);
  s.count_calls(&calls_);
  s.set_nodelay(true);  // nginx's tcp_nodelay: a response's last runt does not wait for an ACK
  auto c = std::make_unique<Conn>();
  c->sock = &s;
  c->worker = w;
  by_socket_[&s] = c.get();
  w->poll->arm(s);
  conns_.push_back(std::move(c));
}

void HttpDaemon::poll(Worker& w) {
  w.poll->wait([this, &w](std::vector<kernel::TcpSocket*> ready) {
    for (kernel::TcpSocket* s : ready) w.ready.push_back(by_socket_.at(s));
    next_ready(w);
  });
}

void HttpDaemon::next_ready(Worker& w) {
  if (w.ready.empty()) {
    poll(w);
    return;
  }
  Conn* c = w.ready.front();
  w.ready.pop_front();
  step(*c);
}

void HttpDaemon::step(Conn& c) {
  Worker& w = *c.worker;
  kernel::TcpSocket& s = *c.sock;
  if (c.closed || s.conn().tcp->state() == tcp::State::closed) {
    c.closed = true;
    next_ready(w);
    return;
  }
  if (s.readable() > 0) {
    s.recv(c.buf, [this, &c](size_t got) {
      if (c.close_after) {  // past a request that ends the conn: read and dropped
        step(c);
        return;
      }
      c.in.insert(c.in.end(), c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(got));
      parse(c);
    });
    return;
  }
  if (!c.out.empty() && s.send_space() > 0) {
    s.send(c.out.front(), [this, &c](size_t taken) {
      PayloadSlice& f = c.out.front();
      if (taken < f.length) f = f.sub(static_cast<uint32_t>(taken), static_cast<uint32_t>(f.length - taken));
      else c.out.pop_front();
      step(c);
    });
    return;
  }
  if (c.out.empty() && (c.close_after || s.eof())) {
    s.close();
    c.closed = true;
    next_ready(w);
    return;
  }
  w.poll->arm(s);
  next_ready(w);
}

void HttpDaemon::parse(Conn& c) {
  if (c.body_left > 0) {
    const uint64_t n = std::min<uint64_t>(c.body_left, c.in.size());
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(n));
    c.body_left -= n;
  }
  if (c.close_after || c.in.empty()) {
    step(c);
    return;
  }
  bool too_long = false;
  const auto end = find_header_end(c.in, c_.header_limit, &too_long);
  Worker& w = *c.worker;
  if (!end && !too_long) {
    step(c);
    return;
  }
  requests_.add();
  const uint64_t head_bytes = end ? *end : c.in.size();
  Cycles cost = c_.request + sockets_.costs().parse_cycles(static_cast<int64_t>(head_bytes));
  ResponseBytes data;
  if (too_long) {
    errors_.add();
    data = bytes_of(error_response(431, false));
    c.close_after = true;
  } else {
    const ParsedRequest pr = parse_request(std::span<const uint8_t>(c.in.data(), *end), c_.header_limit);
    const bool head = pr.request.method == Method::head;
    const auto k = pr.error == RequestError::none ? c_.objects->index(pr.request.target) : std::nullopt;
    if (pr.error != RequestError::none) {
      errors_.add();
      data = bytes_of(error_response(status_of(pr.error), false));
      c.close_after = true;
    } else if ((pr.request.method == Method::get || head) && k) {
      data = response(*k, pr.request.keep_alive, head);
      cost = cost + object_cycles(*k);
      c.close_after = !pr.request.keep_alive;
    } else {
      errors_.add();
      data = bytes_of(error_response(pr.request.method == Method::get || head ? 404 : 501, pr.request.keep_alive));
      c.close_after = !pr.request.keep_alive;
    }
    if (pr.error == RequestError::none) c.body_left = pr.request.body_bytes;
  }
  c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(too_long ? c.in.size() : head_bytes));
  compute(w, cost, [this, &c, data] {
    c.out.push_back(PayloadSlice{data, 0, static_cast<uint32_t>(data->size())});
    served_.add();
    parse(c);
  });
}

}  // namespace hostwire::http
