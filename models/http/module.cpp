#include "http/module.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "http/response.h"

namespace hostwire::http {

namespace {
constexpr const char* kState = "http_module";

// JSON string contents: a request-target may hold quotes and backslashes.
std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') out += '\\', out += ch;
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\u{:04x}", c);
    else out += ch;
  }
  return out;
}

// The head's length in a cached response (a HEAD is answered with it alone).
uint64_t head_length(const ResponseBytes& data) {
  bool too_long = false;
  const auto end = find_header_end(*data, static_cast<uint32_t>(std::min<size_t>(data->size(), UINT32_MAX)), &too_long);
  return end ? *end : data->size();
}
}  // namespace

struct HttpModule::Pending {
  uint32_t tag = 0;
  uint64_t number = 0;
  Method method = Method::get;
  std::string uri;
  bool keep_alive = true;
  bool close_after = false;
  int status = 200;
  Time arrived{};
  ResponseBytes head;  // the request's header section, for the daemon
  std::deque<PayloadSlice> parts;  // response bytes not yet queued on the socket, in order
  std::vector<ResponseBytes> chunks;  // the daemon's reply chunks, for the cache
  bool complete = false;  // every part of the response is in `parts` (or queued already)
  const char* source = "cache";  // who produced the response: cache, daemon, or module (an error)
  bool advisory_call = false, preempt_to_daemon = false, preempt_to_module = false;
  uint64_t response_id = 0;
  uint8_t advisory = advisory::none;
};

struct HttpModule::HttpConn : kernel::ConnModuleState {
  HttpModule* module = nullptr;
  kernel::Conn* conn = nullptr;
  uint32_t next_tag = 0;
  bool reading = true;  // false after a request that ends the conn (Connection: close, an error)
  bool closed = false;  // the module closed its side
  uint64_t body_left = 0;  // bytes of the current request's body still to take
  uint64_t examined = 0;   // bytes of the assembling head the framing scan has seen
  std::deque<Pending> pending;
};

// ---------------------------------------------------------------- the channel

void Door::next(kernel::Thread t, std::function<void(DoorMessage)> done) {
  if (!upcalls_.empty()) {
    DoorMessage m = std::move(upcalls_.front());
    upcalls_.pop_front();
    deliver(t, std::move(m), false, std::move(done));
    return;
  }
  waiters_.push_back({t, std::move(done)});
}

void Door::upcall(DoorMessage m) {
  if (!waiters_.empty()) {
    Waiter w = std::move(waiters_.front());
    waiters_.pop_front();
    deliver(w.thread, std::move(m), true, std::move(w.done));
    return;
  }
  upcalls_.push_back(std::move(m));
}

void Door::deliver(kernel::Thread t, DoorMessage m, bool woken, std::function<void(DoorMessage)> done) {
  auto& stack = m_.stack_;
  if (woken) {
    m_.door_wakeups_.add();
    stack.socket_stats().wakeups.add();
  }
  const Cycles copy = stack.costs().copy_cycles(m.data ? static_cast<int64_t>(m.data->size()) : 0);
  auto msg = std::make_shared<DoorMessage>(std::move(m));
  stack.system_call(t, copy, woken, "door_upcall", [msg, done = std::move(done)] { done(std::move(*msg)); });
}

void Door::reply(kernel::Thread t, DoorMessage m, std::function<void()> done) {
  auto& stack = m_.stack_;
  Cycles work = m_.p_.door_return + stack.costs().copy_cycles(m.data ? static_cast<int64_t>(m.data->size()) : 0);
  if (!m.more) work = work + m_.p_.response;  // the module queues the response on the conn
  auto msg = std::make_shared<DoorMessage>(std::move(m));
  stack.system_call(t, work, false, "door_reply", [this, msg, done = std::move(done)] {
    m_.on_reply(*msg);
    if (done) done();
  });
}

// ---------------------------------------------------------------- the module

HttpModule::HttpModule(kernel::TcpStack& stack, const HttpParams& p, const std::string& stat_name)
    : stack_(stack),
      p_(p),
      name_(stat_name),
      log_(stat_name),
      cache_(static_cast<uint64_t>(p.cache_size.n)),
      requests_(stack.context().stats().counter(stat_name + ".requests", "requests", "requests the module received")),
      hits_(stack.context().stats().counter(stat_name + ".hits", "requests",
                                            "GET/HEAD requests answered from the response cache (after an advisory "
                                            "upcall too, when the daemon let the cached response stand)")),
      misses_(stack.context().stats().counter(stat_name + ".misses", "requests",
                                              "GET/HEAD requests whose URI was not in the cache (passed to the daemon)")),
      uncacheable_(stack.context().stats().counter(stat_name + ".uncacheable", "requests",
                                                   "requests passed to the daemon without a lookup (another method, "
                                                   "or no cache)")),
      advisory_upcalls_(stack.context().stats().counter(stat_name + ".advisory_upcalls", "upcalls",
                                                        "hits on an ADVISE entry: the daemon asked before the cached "
                                                        "response is used")),
      upcalls_(stack.context().stats().counter(stat_name + ".upcalls", "upcalls", "messages the module sent the daemon")),
      replies_(stack.context().stats().counter(stat_name + ".replies", "replies",
                                               "replies from the daemon (a response's last chunk)")),
      chunks_(stack.context().stats().counter(stat_name + ".chunks", "messages", "reply messages from the daemon")),
      from_cache_(stack.context().stats().counter(stat_name + ".responses_cache", "responses",
                                                  "responses the module sent from its cache, without the daemon")),
      from_daemon_(stack.context().stats().counter(stat_name + ".responses_daemon", "responses",
                                                   "responses the module sent with the daemon's data")),
      errors_400_(stack.context().stats().counter(stat_name + ".errors_400", "responses",
                                                  "malformed requests the module answered 400 Bad Request")),
      errors_431_(stack.context().stats().counter(stat_name + ".errors_431", "responses",
                                                  "requests with a header section over header_limit, answered 431")),
      preempt_to_daemon_(stack.context().stats().counter(stat_name + ".preempt_to_daemon", "upcalls",
                                                         "upcalls whose preempt indicator moved processing to the daemon")),
      preempt_to_module_(stack.context().stats().counter(stat_name + ".preempt_to_module", "replies",
                                                         "replies whose preempt indicator gave processing back to the "
                                                         "module")),
      request_bytes_(stack.context().stats().counter(stat_name + ".request_bytes", "B",
                                                     "request bytes the module took from its conns")),
      discarded_bytes_(stack.context().stats().counter(stat_name + ".discarded_bytes", "B",
                                                       "bytes received after a request that ended its conn (an error, "
                                                       "Connection: close) or an unfinished request at the close")),
      orphaned_(stack.context().stats().counter(stat_name + ".orphaned_replies", "replies",
                                                "daemon replies for a conn that had closed or been reset")),
      replaced_(stack.context().stats().counter(stat_name + ".advisory_replace", "replies",
                                                "advisory replies with REPLACE: the cached response replaced")),
      flushed_(stack.context().stats().counter(stat_name + ".advisory_flush", "replies",
                                               "advisory replies with FLUSH: the response left the cache")),
      temp_(stack.context().stats().counter(stat_name + ".advisory_temp", "replies",
                                            "advisory replies with TEMP: answered with the daemon's data, the cache "
                                            "unaltered")),
      door_wakeups_(stack.context().stats().counter(stat_name + ".door_wakeups", "wake-ups",
                                                    "daemon threads woken by an upcall")) {
  auto& st = stack.context().stats();
  const ResponseCache* cache = &cache_;
  st.formula(stat_name + ".cache_bytes", "B", "kernel memory the cached responses hold at the end",
             [cache] { return static_cast<double>(cache->bytes()); });
  st.formula(stat_name + ".cache_entries", "responses", "responses in the cache at the end",
             [cache] { return static_cast<double>(cache->entries()); });
  st.formula(stat_name + ".cache_evictions", "responses", "responses evicted to make room",
             [cache] { return static_cast<double>(cache->evictions()); });
  st.formula(stat_name + ".hit_ratio", "", "cache hits over GET/HEAD lookups", [this] { return hit_ratio(); });
  stack.context().add_invariant([this] { return accounting(); });
}

HttpModule::~HttpModule() = default;

Door& HttpModule::bind(uint16_t port) {
  if (door_) throw std::invalid_argument(name_ + ": the HTTP module is bound to a port already");
  door_ = std::make_unique<Door>(*this);
  auto& db = stack_.protocols();
  db.add({"http_input", "http", p_.input, &HttpModule::http_input});
  // The stack's data list with the module in the socket's place: nothing goes up to a reader.
  list_ = stack_.base_data_list();
  for (auto& l : list_.layers)
    if (l->name == "socket_deliver") l = db.find("http_input");
  stack_.add_state(kState);
  trace_track_ = stack_.context().trace().track(name_, "requests");
  stack_.listen_kernel(port, [this](kernel::Conn& c) { accept(c); });
  return *door_;
}

void HttpModule::accept(kernel::Conn& c) {
  auto h = std::make_unique<HttpConn>();
  h->module = this;
  h->conn = &c;
  c.module_state = h.get();
  // Each response leaves whole at once (as web servers set TCP_NODELAY): its last runt segment
  // must not wait for the client's delayed ACK.
  c.tcp->set_nodelay(true, hostwire::now());
  stack_.set_data_state(c, kState, list_, hostwire::now());
  conns_.emplace(c.id, std::move(h));
}

kernel::Verdict HttpModule::http_input(kernel::TcpStack&, kernel::Conn& c, kernel::Input&) {
  if (auto* h = static_cast<HttpConn*>(c.module_state)) h->module->on_packet(*h);
  return kernel::Verdict::consumed;
}

void HttpModule::on_packet(HttpConn& h) {
  read(h);
  pump(h);
}

void HttpModule::read(HttpConn& h) {
  tcp::Connection& t = *h.conn->tcp;
  const Time now = hostwire::now();
  std::array<uint8_t, 16384> scratch;
  const auto limit = static_cast<uint32_t>(p_.header_limit.n);
  bool need_more = false;
  while (!h.closed) {
    if (!h.reading) {
      discard(h);
      return;
    }
    const size_t r = t.readable();
    if (r == 0) break;
    if (h.body_left > 0) {  // a body the module does not use: taken and counted
      const size_t n = t.receive(std::span<uint8_t>(scratch).first(std::min<uint64_t>({r, h.body_left, scratch.size()})), now);
      h.body_left -= n;
      framed_bytes_ += n;
      request_bytes_.add(n);
      continue;
    }
    if (h.pending.size() >= static_cast<size_t>(p_.max_pipeline)) break;  // the rest waits in the receive queue
    // The head is looked at where it lies and taken whole once its end is there.
    std::vector<uint8_t> scan;
    scan.reserve(std::min<size_t>(r, limit + 1));
    t.peek([&](std::span<const uint8_t> run) {
      const size_t n = std::min<size_t>(run.size(), limit + 1 - scan.size());
      scan.insert(scan.end(), run.begin(), run.begin() + static_cast<std::ptrdiff_t>(n));
      return scan.size() <= limit;
    });
    bool too_long = false;
    const auto end = find_header_end(scan, limit, &too_long);
    const uint64_t seen = end ? *end : scan.size();
    if (seen > h.examined) stack_.charge(*h.conn, stack_.costs().frame_cycles(static_cast<int64_t>(seen - h.examined)));
    h.examined = seen;
    if (too_long) {
      ParsedRequest pr;
      pr.error = RequestError::header_too_long;
      pr.why = "header section over header_limit";
      h.examined = 0;
      handle(h, pr, nullptr);
      continue;  // not reading any more: the rest is discarded
    }
    if (!end) {
      need_more = true;
      break;
    }
    auto head = std::make_shared<std::vector<uint8_t>>(*end);
    const size_t got = t.receive(std::span<uint8_t>(*head), now);
    head->resize(got);
    request_bytes_.add(got);
    framed_bytes_ += got;
    h.examined = 0;
    ParsedRequest pr = parse_request(*head, limit);
    if (pr.error == RequestError::none) h.body_left = pr.request.body_bytes;
    handle(h, pr, head);
  }
  // The peer closed in the middle of a request: it can never be whole.
  if (need_more && t.fin_received()) discard(h);
}

void HttpModule::discard(HttpConn& h) {
  tcp::Connection& t = *h.conn->tcp;
  std::array<uint8_t, 16384> scratch;
  while (t.readable() > 0) {
    const size_t n = t.receive(std::span<uint8_t>(scratch), hostwire::now());
    if (n == 0) break;
    discarded_bytes_.add(n);
    request_bytes_.add(n);
  }
}

void HttpModule::work(HttpConn& h, Cycles cycles, std::function<void()> done) {
  cpu::WorkItem w;
  w.cycles = cycles.n;
  w.priority = cpu::Priority::softirq;
  w.kind = "http_module";
  w.done = std::move(done);
  stack_.cpu().core(h.conn->core).submit(std::move(w));
}

HttpModule::Pending* HttpModule::find(HttpConn& h, uint32_t tag) {
  for (auto& p : h.pending)
    if (p.tag == tag) return &p;
  return nullptr;
}

void HttpModule::handle(HttpConn& h, const ParsedRequest& r, ResponseBytes head) {
  requests_.add();
  Pending p;
  p.tag = h.next_tag++;
  p.number = next_request_++;
  p.arrived = hostwire::now();
  p.method = r.request.method;
  p.uri = r.request.target;
  p.keep_alive = r.error == RequestError::none && r.request.keep_alive;
  p.close_after = !p.keep_alive;
  p.head = std::move(head);
  if (p.close_after) h.reading = false;
  h.pending.push_back(std::move(p));
  Pending& q = h.pending.back();
  HttpConn* hp = &h;
  const uint32_t tag = q.tag;
  if (r.error != RequestError::none) {
    q.status = status_of(r.error);
    q.source = "module";
    HW_LOG(log_, info, "conn {}: request {}: {} ({})", h.conn->id, q.number, q.status, r.why ? r.why : "");
    auto data = std::make_shared<const std::vector<uint8_t>>([&] {
      const std::string s = error_response(q.status, false);
      return std::vector<uint8_t>(s.begin(), s.end());
    }());
    work(h, p_.request + p_.response, [this, hp, tag, data] {
      if (Pending* p = find(*hp, tag)) ready(*hp, *p, data, data->size());
    });
    return;
  }
  const bool cacheable = (q.method == Method::get || q.method == Method::head) && cache_.capacity() > 0;
  if (!cacheable) {
    uncacheable_.add();
    upcall(h, q, false, 0);
    return;
  }
  CachedResponse* e = cache_.lookup(q.uri);
  if (e && e->advise) {
    upcall(h, q, true, e->id);
    return;
  }
  if (!e) {
    misses_.add();
    upcall(h, q, false, 0);
    return;
  }
  hits_.add();
  q.response_id = e->id;
  ResponseBytes data = e->data;  // the response stays alive for this request if it is evicted
  const uint64_t length = q.method == Method::head ? head_length(data) : data->size();
  work(h, p_.request + p_.response, [this, hp, tag, data, length] {
    if (Pending* p = find(*hp, tag)) ready(*hp, *p, data, length);
  });
}

void HttpModule::upcall(HttpConn& h, Pending& p, bool advisory_call, uint64_t response_id) {
  p.advisory_call = advisory_call;
  p.preempt_to_daemon = !advisory_call;
  p.response_id = response_id;
  upcalls_.add();
  if (advisory_call) advisory_upcalls_.add();
  else preempt_to_daemon_.add();
  HttpConn* hp = &h;
  const uint32_t tag = p.tag;
  work(h, p_.request + p_.door_call, [this, hp, tag] {
    Pending* q = find(*hp, tag);
    if (!q) return;
    DoorMessage m;
    m.conn = hp->conn->id;
    m.tag = q->tag;
    m.request = q->number;
    m.preempt = q->preempt_to_daemon;
    m.advisory_call = q->advisory_call;
    m.response_id = q->response_id;
    m.method = q->method;
    m.uri = q->uri;
    m.keep_alive = q->keep_alive;
    m.data = q->head;
    door_->upcall(std::move(m));
  });
}

void HttpModule::on_reply(const DoorMessage& m) {
  chunks_.add();
  auto it = conns_.find(m.conn);
  Pending* p = it != conns_.end() ? find(*it->second, m.tag) : nullptr;
  if (!p || it->second->conn->tcp->state() == tcp::State::closed) {
    if (!m.more) orphaned_.add();
    return;
  }
  HttpConn& h = *it->second;
  if (m.data && !m.data->empty()) {
    p->chunks.push_back(m.data);
    p->parts.push_back(PayloadSlice{m.data, 0, static_cast<uint32_t>(m.data->size())});
  }
  if (m.more) {  // processing stays with the daemon until its last chunk
    pump(h);
    stack_.kick(*h.conn);
    return;
  }
  replies_.add();
  p->preempt_to_module = m.preempt;
  if (m.preempt) preempt_to_module_.add();
  p->advisory = m.advisory;
  if (m.response_id) p->response_id = m.response_id;
  ResponseBytes whole;
  if (p->chunks.size() == 1) {
    whole = p->chunks.front();
  } else if (!p->chunks.empty()) {
    auto all = std::make_shared<std::vector<uint8_t>>();
    for (const auto& c : p->chunks) all->insert(all->end(), c->begin(), c->end());
    whole = all;
  }
  p->source = whole ? "daemon" : "cache";
  if (p->advisory_call) {
    if (m.advisory & advisory::flush) {
      flushed_.add();
      if (!whole)  // no new data: the cached response answers once more, then leaves
        if (const CachedResponse* e = cache_.lookup(p->uri))
          p->parts.push_back(PayloadSlice{e->data, 0, static_cast<uint32_t>(p->method == Method::head ? head_length(e->data) : e->data->size())});
      cache_.flush(p->uri);
    } else if (m.advisory & advisory::replace) {
      replaced_.add();
      if (whole) cache_.replace(p->uri, p->response_id, whole);
    } else if (m.advisory & advisory::temp) {
      temp_.add();  // the daemon's data answers this request; the cached response stays
    } else {
      const CachedResponse* e = cache_.lookup(p->uri);
      if (!e) {  // evicted while the daemon was asked: a miss after all
        misses_.add();
        upcall(h, *p, false, 0);
        return;
      }
      hits_.add();
      p->parts.push_back(PayloadSlice{e->data, 0, static_cast<uint32_t>(p->method == Method::head ? head_length(e->data) : e->data->size())});
    }
  } else if (whole && !m.nocache && p->method == Method::get && cache_.capacity() > 0) {
    cache_.insert(p->uri, p->response_id, whole, (m.advisory & advisory::advise) != 0);
  }
  p->complete = true;
  pump(h);
  stack_.kick(*h.conn);
}

void HttpModule::ready(HttpConn& h, Pending& p, const ResponseBytes& data, uint64_t length) {
  p.parts.push_back(PayloadSlice{data, 0, static_cast<uint32_t>(length)});
  p.complete = true;
  pump(h);
  stack_.kick(*h.conn);
}

void HttpModule::pump(HttpConn& h) {
  tcp::Connection& t = *h.conn->tcp;
  const Time now = hostwire::now();
  if (h.closed || t.state() == tcp::State::closed) return;
  while (!h.pending.empty()) {
    Pending& p = h.pending.front();
    while (!p.parts.empty()) {
      PayloadSlice& s = p.parts.front();
      const size_t n = t.send_shared(s, now);
      if (n == 0) return;  // the send buffer is full: ACKs run the module's layer again
      if (n < s.length) {
        s = s.sub(static_cast<uint32_t>(n), static_cast<uint32_t>(s.length - n));
        return;
      }
      p.parts.pop_front();
    }
    if (!p.complete) return;
    finish(h, p);
    if (h.closed) return;
  }
  if (h.pending.empty() && t.fin_received() && t.readable() == 0 && h.body_left == 0) {
    t.close(now);  // the client is done and every request is answered
    h.closed = true;
  }
}

void HttpModule::finish(HttpConn& h, Pending& p) {
  const Time now = hostwire::now();
  if (p.source[0] == 'c') from_cache_.add();
  else if (p.source[0] == 'd') from_daemon_.add();
  else (p.status == 431 ? errors_431_ : errors_400_).add();
  auto& trace = stack_.context().trace();
  if (trace_track_ >= 0 && trace.recording(p.arrived)) {
    const std::string name = fmt::format("{} {}", to_string(p.method), p.uri.size() > 64 ? p.uri.substr(0, 64) : p.uri);
    trace.slice(trace_track_, json_escape(name).c_str(), "http", p.arrived, now - p.arrived,
                fmt::format("\"conn\":{},\"request\":{},\"status\":{},\"source\":\"{}\",\"preempt_to_daemon\":{},"
                            "\"preempt_to_module\":{},\"advisory_upcall\":{},\"response_id\":{},\"advisory\":\"{}\"",
                            h.conn->id, p.number, p.status, p.source, p.preempt_to_daemon, p.preempt_to_module,
                            p.advisory_call, p.response_id, advisory_names(p.advisory)));
  }
  HW_LOG(log_, debug, "conn {}: request {} {} answered from {} (preempt to daemon {}, to module {}, response id {})",
         h.conn->id, p.number, p.uri, p.source, p.preempt_to_daemon, p.preempt_to_module, p.response_id);
  const bool close = p.close_after;
  h.pending.pop_front();
  if (close) {
    h.conn->tcp->close(now);  // FIN after the response
    h.closed = true;
    discard(h);
  }
}

double HttpModule::hit_ratio() const {
  const double n = static_cast<double>(hits_.value() + misses_.value());
  return n > 0 ? static_cast<double>(hits_.value()) / n : 0.0;
}

uint64_t HttpModule::unanswered() const {
  uint64_t n = 0;
  for (const auto& [id, h] : conns_) n += h->pending.size();
  return n;
}

std::string HttpModule::accounting() const {
  const uint64_t answered = from_cache_.value() + from_daemon_.value() + errors_400_.value() + errors_431_.value();
  if (requests_.value() != answered + unanswered())
    return fmt::format("{}: {} requests but {} answered and {} unanswered", name_, requests_.value(), answered,
                       unanswered());
  if (request_bytes_.value() != framed_bytes_ + discarded_bytes_.value())
    return fmt::format("{}: took {} request bytes but framed {} and discarded {}", name_, request_bytes_.value(),
                       framed_bytes_, discarded_bytes_.value());
  return {};
}

}  // namespace hostwire::http
