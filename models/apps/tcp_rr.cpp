#include "apps/tcp_rr.h"

#include <algorithm>

#include "apps/app.h"
#include "apps/stream.h"

namespace hostwire::apps {

// ---------------------------------------------------------------- either end

void RrEndpoint::queue_message(uint32_t size) {
  messages_.push_back(size);
  owed_ += size;
}

void RrEndpoint::fill(uint32_t n) {
  // The messages' bytes: a 4-byte big-endian length, then pattern bytes.
  out_.clear();
  uint32_t off = offset_;
  for (size_t m = 0; out_.size() < n && m < messages_.size(); ++m, off = 0) {
    const uint32_t size = messages_[m];
    const uint8_t header[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                               static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
    append_message(out_, header, size, off, n);
  }
}

void RrEndpoint::step() {
  if (closed_) return;
  if (!sock_.connected()) {
    sock_.wait([this] { step(); });
    return;
  }
  if (sock_.readable() > 0) {
    sock_.recv(in_, [this](size_t got) {
      const Time now = hostwire::now();
      bytes_read_.add(got);
      const bool ok = framer_.feed(std::span<const uint8_t>(in_.data(), got), [&](uint32_t size) { on_message(size, now); });
      if (!ok) {
        HW_LOG(Logger("apps"), error, "conn {}: a message shorter than its 4-byte length header: aborting", sock_.conn().id);
        sock_.abort();
        closed_ = true;
      }
      step();
    });
    return;
  }
  if (owed_ > 0 && sock_.send_space() > 0) {
    fill(static_cast<uint32_t>(std::min<uint64_t>(kCallBytes, owed_)));
    sock_.send(std::span<const uint8_t>(out_), [this](size_t taken) {
      owed_ -= taken;
      while (taken > 0) {
        const uint32_t k = std::min<uint32_t>(messages_.front() - offset_, static_cast<uint32_t>(taken));
        offset_ += k;
        taken -= k;
        if (offset_ == messages_.front()) messages_.pop_front(), offset_ = 0;
      }
      step();
    });
    return;
  }
  sock_.wait([this] { step(); });  // poll: data to read, or room to write
}

// ---------------------------------------------------------------- client

TcpRrClient::Stats TcpRrClient::register_stats(SimContext& ctx, const std::string& name) {
  auto& st = ctx.stats();
  return {&st.counter(name + "rx_bytes", "B", "response bytes the client read"),
          &st.counter(name + "calls", "calls", "the client's system calls"),
          &st.counter(name + "requests", "requests", "requests the client issued"),
          &st.counter(name + "responses", "responses", "responses the client received in full"),
          &st.histogram(name + "latency", "ps", "request arrival until its whole response was read")};
}

TcpRrClient::TcpRrClient(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats,
                         const std::string& rng_stream)
    : RrEndpoint(sockets.tcp_socket(c.server, c.port, sockets.thread(c.core)), *stats.bytes),
      c_(c),
      rng_(ctx.rng(rng_stream)),
      requests_(*stats.requests),
      answered_(*stats.answered),
      latency_(*stats.latency) {
  c_.request_size = std::max<uint32_t>(c_.request_size, 4);
  sock_.count_calls(stats.calls);
  if (c_.rate > 0) arrivals_ = std::make_unique<PoissonArrivals>(ctx, c_.rate, rng_, c_.stop, [this](Time now) { arrival(now); });
  at_time(ctx, c_.start, [this] {
    sock_.connect([this] { step(); });
    if (arrivals_) {
      arrivals_->start();
    } else {
      for (int64_t i = 0; i < c_.concurrency; ++i) request(hostwire::now());
    }
  });
}

void TcpRrClient::request(Time now) {
  requests_.add();
  outstanding_.push_back(now);
  queue_message(c_.request_size);
}

void TcpRrClient::arrival(Time now) {
  request(now);
  if (sock_.waiting()) {  // in poll(): the new request is something to write
    sock_.cancel_wait();
    step();
  }
}

void TcpRrClient::on_message(uint32_t, Time now) {
  if (!outstanding_.empty()) {
    latency_.record((now - outstanding_.front()).ps);
    outstanding_.pop_front();
  }
  answered_.add();
  if (c_.rate <= 0 && (c_.stop.ps == 0 || now < c_.stop)) request(now);  // closed loop: the next one
}

// ---------------------------------------------------------------- server

TcpRrServer::TcpRrServer(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, const SizeDistribution& responses,
                         bool echo, const std::string& name)
    : responses_(responses),
      echo_(echo),
      name_(name),
      bytes_(ctx.stats().counter(name + "server_rx_bytes", "B", "request bytes the server read")),
      calls_(ctx.stats().counter(name + "server_calls", "calls", "the server's system calls")),
      served_(ctx.stats().counter(name + "served", "requests", "requests the server answered")) {
  sockets.tcp_listen(port, [this, &ctx](kernel::TcpSocket& s) {
    conns_.push_back(std::make_unique<Conn>(*this, s, ctx.rng(name_ + "accepted" + std::to_string(s.conn().id))));
    s.count_calls(&calls_);
    conns_.back()->start();
  });
}

TcpRrServer::Conn::Conn(TcpRrServer& server, kernel::TcpSocket& s, Rng rng)
    : RrEndpoint(s, server.bytes_), server_(server), rng_(rng) {}

void TcpRrServer::Conn::on_message(uint32_t size, Time) {
  server_.served_.add();
  // An echo, or a response of the drawn size (header included), at least its 4-byte header.
  queue_message(server_.echo_ ? size : static_cast<uint32_t>(server_.responses_.draw(rng_, 4, UINT32_MAX)));
}

}  // namespace hostwire::apps
