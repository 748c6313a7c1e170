#include "apps/tcp_messages.h"

#include <algorithm>
#include <cstring>

#include "apps/app.h"
#include "apps/stream.h"
#include "net/byte_order.h"

namespace hostwire::apps {

namespace {
constexpr uint32_t kCallBytes = 65536;  // the most one send call writes
}

// ---------------------------------------------------------------- sender

TcpMessageSender::Stats TcpMessageSender::register_stats(SimContext& ctx, const std::string& name) {
  return {&ctx.stats().counter(name + "messages_sent", "messages", "messages that arose at the senders"),
          &ctx.stats().counter(name + "tx_calls", "calls", "the senders' send calls")};
}

TcpMessageSender::TcpMessageSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats,
                                   const std::string& rng_stream)
    : c_(c), sock_(sockets.tcp_socket(c.peer, c.port, sockets.thread(c.core))), stats_(stats),
      rng_(ctx.rng(rng_stream)) {
  sock_.count_calls(stats.calls);
  c_.message_size = std::max(c_.message_size, kMessageHeaderBytes);
  if (c_.rate > 0) arrivals_ = std::make_unique<PoissonArrivals>(ctx, c_.rate, rng_, c_.stop, [this](Time now) { arrival(now); });
  at_time(ctx, c_.start, [this] {
    sock_.connect([this] { step(); });
    if (arrivals_) arrivals_->start();
  });
}

void TcpMessageSender::arise(Time now) {
  stats_.messages->add();
  queued_.push_back(now);
}

void TcpMessageSender::arrival(Time now) {
  arise(now);
  if (sock_.waiting()) {
    sock_.cancel_wait();
    step();
  }
}

void TcpMessageSender::step() {
  const Time now = hostwire::now();
  const bool open = c_.stop.ps == 0 || now < c_.stop;
  // Back to back: a message arises whenever the writer is ready for one.
  if (c_.rate <= 0 && open && queued_.empty()) arise(now);
  if (queued_.empty() || sock_.send_space() == 0) {
    sock_.wait([this] { step(); });
    return;
  }
  // The bytes of the queued messages from the first one's offset, up to one call's worth.
  out_.clear();
  uint32_t off = offset_;
  for (size_t m = 0; m < queued_.size() && out_.size() < kCallBytes; ++m, off = 0) {
    uint8_t header[kMessageHeaderBytes];
    net::store_be32(header, c_.message_size);
    const uint64_t t = static_cast<uint64_t>(queued_[m].ps);
    net::store_be32(header + 4, static_cast<uint32_t>(t >> 32));
    net::store_be32(header + 8, static_cast<uint32_t>(t));
    append_message(out_, header, c_.message_size, off, kCallBytes);
  }
  sock_.send(std::span<const uint8_t>(out_), [this](size_t taken) {
    while (taken > 0) {
      const uint32_t k = std::min<uint32_t>(c_.message_size - offset_, static_cast<uint32_t>(taken));
      offset_ += k;
      taken -= k;
      if (offset_ == c_.message_size) queued_.pop_front(), offset_ = 0;
    }
    step();
  });
}

// ---------------------------------------------------------------- receiver

TcpMessageReceiver::TcpMessageReceiver(SimContext& ctx, kernel::Sockets& sockets, uint16_t port, uint32_t read_size,
                                       const std::string& name)
    : read_size_(read_size),
      messages_(ctx.stats().counter(name + "messages_received", "messages", "messages the receiver read in full")),
      bytes_(ctx.stats().counter(name + "rx_bytes", "B", "bytes the receiver read")),
      calls_(ctx.stats().counter(name + "rx_calls", "calls", "the receiver's receive calls")),
      malformed_(ctx.stats().counter(name + "malformed", "conns", "conns aborted on a length shorter than the header")),
      latency_(ctx.stats().histogram(name + "message_latency", "ps",
                                     "a message's arrival at the sender until its last byte was read")) {
  sockets.tcp_listen(port, [this](kernel::TcpSocket& s) {
    conns_.push_back(std::make_unique<Conn>(Conn{s, std::vector<uint8_t>(read_size_)}));
    s.count_calls(&calls_);
    step(*conns_.back());
  });
}

void TcpMessageReceiver::step(Conn& c) {
  c.sock.recv(c.buffer, [this, &c](size_t got) {
    if (got == 0) {
      c.sock.close();
      return;
    }
    bytes_.add(got);
    if (!feed(c, std::span<const uint8_t>(c.buffer.data(), got), hostwire::now())) {
      malformed_.add();
      c.sock.abort();
      return;
    }
    step(c);
  });
}

bool TcpMessageReceiver::feed(Conn& c, std::span<const uint8_t> bytes, Time now) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (c.need == 0 && c.have < kMessageHeaderBytes) {
      c.header[c.have++] = bytes[i++];
      if (c.have < kMessageHeaderBytes) continue;
      const uint32_t size = net::load_be32(c.header);
      if (size < kMessageHeaderBytes) return false;
      c.arose = Time{static_cast<int64_t>(uint64_t{net::load_be32(c.header + 4)} << 32 | net::load_be32(c.header + 8))};
      c.need = size - kMessageHeaderBytes;
    } else {
      const uint32_t take = static_cast<uint32_t>(std::min<size_t>(c.need, bytes.size() - i));
      c.need -= take;
      i += take;
    }
    if (c.have == kMessageHeaderBytes && c.need == 0) {  // the message is complete
      messages_.add();
      latency_.record((now - c.arose).ps);
      c.have = 0;
    }
  }
  return true;
}

}  // namespace hostwire::apps
