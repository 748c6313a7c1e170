#include "apps/http_client.h"

#include <algorithm>

#include "http/request.h"
#include "http/response.h"

namespace hostwire::apps {

namespace {
constexpr uint32_t kMaxResponseHead = 65536;
}

struct HttpClient::Conn {
  kernel::TcpSocket* sock = nullptr;
  bool connected = false;
  bool closing = false;  // takes no more requests (one per conn, or a bad one was sent)
  bool over = false;
  bool busy = false;     // a call is running
  std::deque<Request> outstanding;  // written or to be written, in order
  std::string out;
  size_t out_off = 0;
  std::vector<uint8_t> buf = std::vector<uint8_t>(65536);
  // The response being read.
  std::vector<uint8_t> head;
  bool in_body = false;
  http::ResponseHead rh;
  uint64_t body_read = 0;
  http::BodyDigest digest;
};

HttpClient::Stats HttpClient::register_stats(SimContext& ctx, const std::string& name) {
  auto& st = ctx.stats();
  return {&st.counter(name + "requests", "requests", "requests the clients issued"),
          &st.counter(name + "responses", "responses", "responses with status 200 and the object's exact body"),
          &st.counter(name + "bad_responses", "responses",
                      "responses with a wrong status, length or digest (or out of order): must be 0"),
          &st.counter(name + "errors_expected", "responses", "400/431 answers to the clients' deliberately bad requests"),
          &st.counter(name + "failed", "requests", "requests whose conn ended before their response came"),
          &st.counter(name + "rx_bytes", "B", "response bytes the clients read"),
          &st.counter(name + "conns", "conns", "TCP conns the clients opened"),
          &st.histogram(name + "latency", "ps", "request arrival until the last byte of its response was read")};
}

HttpClient::HttpClient(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats, const std::string& rng_stream)
    : sockets_(sockets), c_(c), st_(stats), rng_(ctx.rng(rng_stream)), thread_(sockets.thread(c.core)) {
  if (c_.rate > 0)
    arrivals_ = std::make_unique<PoissonArrivals>(ctx, c_.rate, rng_, c_.stop, [this](Time now) { arrival(now); });
  at_time(ctx, c_.start, [this] {
    if (arrivals_) {
      arrivals_->start();
      return;
    }
    for (int64_t i = 0; i < c_.concurrency; ++i) backlog_.push_back(make_request(hostwire::now()));
    dispatch();
  });
}

HttpClient::~HttpClient() = default;

uint64_t HttpClient::outstanding() const {
  uint64_t n = backlog_.size();
  for (const Conn* c : live_) n += c->outstanding.size();
  return n;
}

HttpClient::Request HttpClient::make_request(Time now) {
  ++issued_;
  st_.requests->add();
  Request r;
  r.object = c_.popularity->draw(rng_);
  r.bad = c_.bad_every > 0 && issued_ % static_cast<uint64_t>(c_.bad_every) == 0;
  r.arose = now;
  return r;
}

void HttpClient::arrival(Time now) {
  backlog_.push_back(make_request(now));
  dispatch();
}

HttpClient::Conn& HttpClient::open() {
  conns_.push_back(std::make_unique<Conn>());
  Conn& c = *conns_.back();
  c.sock = &sockets_.tcp_socket(c_.server, c_.port, thread_);
  st_.conns->add();
  live_.push_back(&c);
  c.sock->connect([this, &c] {
    c.connected = true;
    c.sock->set_nodelay(true);  // as curl and browsers: a pipelined request does not wait for an ACK
    step(c);
  });
  return c;
}

void HttpClient::dispatch() {
  // Keep-alive conns the client keeps at most: enough for the closed loop's requests at
  // `pipeline` each, or `concurrency` for the open loop.
  const auto most = static_cast<size_t>(c_.rate > 0 ? c_.concurrency : (c_.concurrency + c_.pipeline - 1) / c_.pipeline);
  while (!backlog_.empty()) {
    Request r = backlog_.front();
    Conn* to = nullptr;
    if (!r.bad && c_.keep_alive) {
      size_t open_conns = 0;
      for (Conn* c : live_) {
        if (c->closing) continue;
        ++open_conns;
        if (!to && c->outstanding.size() < static_cast<size_t>(c_.pipeline)) to = c;
      }
      if (!to && open_conns >= most) return;  // every conn is full: the request waits
    }
    backlog_.pop_front();
    if (!to) {
      to = &open();
      to->closing = r.bad || !c_.keep_alive;
    }
    const std::string uri = c_.objects->uri(r.object);
    if (!r.bad) {
      to->out += http::format_request(http::Method::get, uri, "server", c_.keep_alive);
    } else if (c_.bad == Bad::malformed) {
      to->out += "GET " + uri + " extra HTTP/1.1\r\nHost: server\r\n\r\n";  // three tokens and more: 400
    } else {
      to->out += "GET " + uri + " HTTP/1.1\r\nHost: server\r\nX-Pad: " + std::string(c_.long_header_bytes, 'a') + "\r\n\r\n";
    }
    to->outstanding.push_back(r);
    step(*to);
  }
}

void HttpClient::step(Conn& c) {
  if (c.busy || c.over || !c.connected) return;
  kernel::TcpSocket& s = *c.sock;
  if (s.readable() > 0) {
    c.busy = true;
    s.recv(c.buf, [this, &c](size_t got) {
      c.busy = false;
      st_.rx_bytes->add(got);
      consume(c, got, hostwire::now());
      step(c);
    });
    return;
  }
  if (s.eof() || s.conn().tcp->state() == tcp::State::closed) {
    ended(c);
    return;
  }
  if (c.out_off < c.out.size() && s.send_space() > 0) {
    c.busy = true;
    const auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.out.data()) + c.out_off,
                                                c.out.size() - c.out_off);
    s.send(bytes, [this, &c](size_t taken) {
      c.busy = false;
      c.out_off += taken;
      if (c.out_off == c.out.size()) c.out.clear(), c.out_off = 0;
      step(c);
    });
    return;
  }
  s.wait([this, &c] { step(c); });
}

void HttpClient::consume(Conn& c, size_t got, Time now) {
  std::span<const uint8_t> in(c.buf.data(), got);
  while (!in.empty() && !c.over) {
    if (!c.in_body) {
      const size_t before = c.head.size();
      c.head.insert(c.head.end(), in.begin(), in.end());
      bool too_long = false;
      const auto end = http::find_header_end(c.head, kMaxResponseHead, &too_long);
      if (!end) {
        if (too_long) answered(c, 0, false, now);
        return;
      }
      auto rh = http::parse_response_head(std::span<const uint8_t>(c.head.data(), *end));
      if (!rh) {
        answered(c, 0, false, now);
        return;
      }
      c.rh = *rh;
      c.in_body = true;
      c.body_read = 0;
      c.digest = {};
      in = in.subspan(static_cast<size_t>(*end - before));
      c.head.clear();
    }
    const uint64_t left = c.rh.content_length - c.body_read;
    const auto n = static_cast<size_t>(std::min<uint64_t>(left, in.size()));
    c.digest.feed(in.first(n));
    c.body_read += n;
    in = in.subspan(n);
    if (c.body_read == c.rh.content_length) {
      c.in_body = false;
      if (!c.rh.keep_alive) c.closing = true;
      answered(c, c.rh.status, true, now);
    }
  }
}

void HttpClient::answered(Conn& c, int status, bool framed, Time now) {
  if (c.outstanding.empty()) {  // a response nobody asked for
    st_.bad_responses->add();
    c.sock->abort();
    ended(c);
    return;
  }
  const Request r = c.outstanding.front();
  c.outstanding.pop_front();
  bool ok = false;
  if (r.bad) {
    ok = framed && status == (c_.bad == Bad::malformed ? 400 : 431);
    if (ok) st_.errors_expected->add();
  } else {
    ok = framed && status == 200 && c.body_read == c_.objects->size(r.object) &&
         c.digest.value() == c_.objects->digest(r.object);
    if (ok) {
      st_.responses->add();
      st_.latency->record((now - r.arose).ps);
    }
  }
  if (!ok) {
    st_.bad_responses->add();
    if (!framed) {  // the stream cannot be followed any further
      c.sock->abort();
      ended(c);
    }
  }
  if (!arrivals_ && issuing(now)) backlog_.push_back(make_request(now));  // closed loop: the next one
  dispatch();
}

void HttpClient::ended(Conn& c) {
  if (c.over) return;
  c.over = true;
  live_.erase(std::find(live_.begin(), live_.end(), &c));
  const Time now = hostwire::now();
  for (size_t i = 0; i < c.outstanding.size(); ++i) {
    st_.failed->add();
    if (!arrivals_ && issuing(now)) backlog_.push_back(make_request(now));
  }
  c.outstanding.clear();
  if (c.sock->conn().tcp->state() != tcp::State::closed) c.sock->close();
  dispatch();
}

}  // namespace hostwire::apps
