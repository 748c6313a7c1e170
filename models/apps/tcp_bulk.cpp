#include "apps/tcp_bulk.h"

#include <algorithm>

#include "apps/app.h"

namespace hostwire::apps {

TcpBulkSender::Stats bulk_sender_stats(SimContext& ctx, const std::string& name) {
  return {&ctx.stats().counter(name + "tx_bytes", "B", "bytes the sending application wrote"),
          &ctx.stats().counter(name + "tx_calls", "calls", "send system calls")};
}

TcpBulkSender::TcpBulkSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats)
    : c_(c), address_(sockets.address()), sock_(sockets.tcp_socket(c.peer, c.port, sockets.thread(c.core))), bytes_(*stats.bytes) {
  sock_.count_calls(stats.calls);
  at_time(ctx, c.start, [this] {
    sock_.connect([this] { step(); });
  });
}

void TcpBulkSender::step() {
  if (closed_) return;
  if (c_.bytes > 0 && written_ >= c_.bytes) {
    closed_ = true;
    sock_.close();
    return;
  }
  uint64_t n = c_.write_size;
  if (c_.bytes > 0) n = std::min(n, c_.bytes - written_);
  const uint64_t off = written_ % kPatternBytes;
  n = std::min(n, kPatternBytes - off);  // one slice of the pattern per call
  sock_.send(PayloadSlice{pattern(), static_cast<uint32_t>(off), static_cast<uint32_t>(n)}, [this, off](size_t taken) {
    digest_.update(std::span<const uint8_t>(pattern()->data() + off, taken));
    written_ += taken;
    bytes_.add(taken);
    step();
  });
}

TcpSink::TcpSink(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, uint32_t read_size, const std::string& name)
    : read_size_(read_size),
      bytes_(ctx.stats().counter(name + "rx_bytes", "B", "bytes the receiving application read")),
      calls_(ctx.stats().counter(name + "rx_calls", "calls", "receive system calls")) {
  sockets.tcp_listen(port, [this](kernel::TcpSocket& s) {
    conns_.push_back(std::make_unique<Accepted>(Accepted{s, std::vector<uint8_t>(read_size_), {}, 0}));
    s.count_calls(&calls_);
    step(*conns_.back());
  });
}

void TcpSink::step(Accepted& a) {
  a.sock.recv(a.buffer, [this, &a](size_t got) {
    if (got == 0) {  // the peer closed and everything was read
      a.sock.close();
      return;
    }
    a.digest.update(std::span<const uint8_t>(a.buffer.data(), got));
    a.read += got;
    bytes_.add(got);
    step(a);
  });
}

std::optional<TcpSink::Flow> TcpSink::flow(net::Ipv4Address peer, uint16_t port) const {
  for (const auto& a : conns_)
    if (a->sock.conn().peer == peer && a->sock.conn().remote_port == port) return Flow{a->read, a->digest.value()};
  return std::nullopt;
}

uint64_t TcpSink::read() const {
  uint64_t n = 0;
  for (const auto& a : conns_) n += a->read;
  return n;
}

}  // namespace hostwire::apps
