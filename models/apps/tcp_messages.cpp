#include "apps/tcp_messages.h"

#include <algorithm>

#include <fmt/format.h>

#include "apps/app.h"
#include "core/log.h"

namespace hostwire::apps {

namespace {
constexpr uint32_t kCallBytes = 65536;  // the most one send call writes
// A hostile sender's poll timeout: the kernel wakes no writer whose conn a RST closed (the
// RST's pass ends at the state change), so a writer that expects one looks again this often.
constexpr Time kResetPoll = Time::from_us(50);
}

// ---------------------------------------------------------------- sender

TcpMessageSender::Stats TcpMessageSender::register_stats(SimContext& ctx, const std::string& name) {
  return {&ctx.stats().counter(name + "messages_sent", "messages", "messages that arose at the senders"),
          &ctx.stats().counter(name + "tx_calls", "calls", "the senders' send calls"),
          &ctx.stats().counter(name + "tx_bytes", "B", "message bytes the senders' send calls took"),
          &ctx.stats().counter(name + "tx_hostile_bytes", "B",
                               "of tx_bytes, the hostile stream's (hostile: after hostile_after good messages)"),
          &ctx.stats().counter(name + "tx_resets", "conns",
                               "sender conns found closed by a reset (the consumer's error or its framing's): the "
                               "sender stopped writing")};
}

TcpMessageSender::TcpMessageSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats,
                                   const std::string& rng_stream)
    : c_(c), sock_(sockets.tcp_socket(c.peer, c.port, sockets.thread(c.core))), stats_(stats),
      rng_(ctx.rng(rng_stream)), sizes_rng_(ctx.rng(rng_stream + ".sizes")), hostile_rng_(ctx.rng(rng_stream + ".hostile")) {
  sock_.count_calls(stats.calls);
  if (c_.rate > 0) arrivals_ = std::make_unique<PoissonArrivals>(ctx, c_.rate, rng_, c_.stop, [this](Time now) { arrival(now); });
  if (c_.hostile != Hostile::none)
    reset_poll_ = std::make_unique<AppTimer>(ctx, "reset_poll", [this] {
      if (!sock_.waiting()) return;
      sock_.cancel_wait();  // poll() timed out: look again
      step();
    });
  at_time(ctx, c_.start, [this] {
    if (c_.nodelay) sock_.set_nodelay(true);
    sock_.connect([this] { step(); });
    if (arrivals_) arrivals_->start();
  });
}

bool TcpMessageSender::arise(Time now) {
  if (c_.hostile != Hostile::none && next_index_ >= c_.hostile_after) {
    // The hostile stream arises, once, as the next message would; no message arises after it.
    if (hostile_) return false;
    hostile_ = std::make_unique<HostileStream>(*c_.format, c_.hostile, next_index_, now, hostile_rng_);
    return true;
  }
  stats_.messages->add();
  const uint64_t index = next_index_++;
  const uint64_t size = c_.sizes.draw(sizes_rng_, c_.format->min_size(index, now), c_.format->max_size());
  queued_.push_back({index, now, size});
  return true;
}

void TcpMessageSender::arrival(Time now) {
  if (!arise(now)) return;
  if (sock_.waiting()) {
    sock_.cancel_wait();
    step();
  }
}

void TcpMessageSender::step() {
  if (!sock_.connected()) {  // reset: a send would park for ever
    stopped_by_reset();
    return;
  }
  const Time now = hostwire::now();
  const bool open = c_.stop.ps == 0 || now < c_.stop;
  // Back to back: a message arises whenever the writer is ready for one.
  if (c_.rate <= 0 && open && queued_.empty()) arise(now);
  if (hostile_due()) {
    if (open) write_hostile();  // until `stop`, as messages arise
    return;
  }
  if (queued_.empty() || sock_.send_space() == 0) {
    sleep();
    return;
  }
  // The bytes of the queued messages from the first one's offset, up to one call's worth.
  out_.clear();
  uint64_t off = offset_;
  for (size_t m = 0; m < queued_.size() && out_.size() < kCallBytes; ++m, off = 0) {
    const Pending& p = queued_[m];
    c_.format->layout(p.index, p.arose, p.size).append(out_, off, kCallBytes);
  }
  sock_.send(std::span<const uint8_t>(out_), [this](size_t taken) {
    stats_.bytes->add(taken);
    while (taken > 0) {
      const uint64_t k = std::min<uint64_t>(queued_.front().size - offset_, taken);
      offset_ += k;
      taken -= k;
      if (offset_ == queued_.front().size) queued_.pop_front(), offset_ = 0;
    }
    step();
  });
}

void TcpMessageSender::sleep() {
  sock_.wait([this] { step(); });
  if (reset_poll_ && hostile_due()) reset_poll_->arm(kResetPoll);
}

bool TcpMessageSender::hostile_due() const { return hostile_ && queued_.empty(); }  // the good ones written

void TcpMessageSender::write_hostile() {
  if (sock_.send_space() == 0) {
    sleep();
    return;
  }
  sock_.send(hostile_->next(kCallBytes), [this](size_t taken) {
    stats_.bytes->add(taken);
    stats_.hostile_bytes->add(taken);
    hostile_->took(taken);
    step();
  });
}

void TcpMessageSender::stopped_by_reset() {
  if (reset_) return;
  reset_ = true;
  stats_.resets->add();
  HW_LOG(Logger("apps"), info, "sender conn {}: closed by a reset after {} B ({} B hostile): stopping",
         sock_.conn().id, sock_.bytes_written(), hostile_ ? hostile_->written() : 0);
}

// ---------------------------------------------------------------- receiver

TcpMessageReceiver::TcpMessageReceiver(SimContext& ctx, kernel::Sockets& sockets, const Config& c,
                                       const std::string& name)
    : sockets_(sockets),
      c_(c),
      name_(name),
      messages_(ctx.stats().counter(name + "messages_received", "messages",
                                    "messages the receiver completed and counted (intact or not)")),
      bytes_(ctx.stats().counter(name + "rx_bytes", "B", "bytes the receiver read")),
      calls_(ctx.stats().counter(name + "rx_calls", "calls", "the receiver's receive calls (system calls)")),
      wakeups_(ctx.stats().counter(name + "wakeups", "wakeups",
                                   "times the kernel woke the receiver from a blocked receive call")),
      corrupt_(ctx.stats().counter(name + "corrupt", "messages",
                                   "messages that were not what the producer wrote: index out of sequence, a "
                                   "length other than encoded, or body bytes that differ")),
      malformed_(ctx.stats().counter(name + "malformed", "conns",
                                     "conns the receiver aborted: its user-space framer found the stream malformed")),
      partial_reads_(ctx.stats().counter(name + "partial_reads", "calls",
                                         "message-mode reads that returned part of a message (an assembly timeout "
                                         "that delivers, or a message larger than the buffer)")),
      fallbacks_(ctx.stats().counter(name + "stream_fallbacks", "conns",
                                     "message-mode conns whose kernel framing gave way to a plain stream "
                                     "(on_bad: stream); the receiver frames them itself from then on")),
      user_cycles_(ctx.stats().counter(name + "user_cycles", "cycles",
                                       "cycles the receiver's user-space framing was charged (parse_per_byte x bytes "
                                       "its framer examined)")),
      emsgsize_(&ctx.stats().counter(name + "errors_emsgsize", "calls",
                                     "receive calls that failed with EMSGSIZE: a message over the framer's maximum "
                                     "or the receive buffer")),
      eproto_(&ctx.stats().counter(name + "errors_eproto", "calls",
                                   "receive calls that failed with EPROTO: the kernel's framer found bad input")),
      etimedout_(&ctx.stats().counter(name + "errors_etimedout", "calls",
                                      "receive calls that failed with ETIMEDOUT: a message not assembled in time")),
      econnreset_(&ctx.stats().counter(name + "errors_econnreset", "calls",
                                       "receive calls that failed with ECONNRESET")),
      latency_(ctx.stats().histogram(name + "message_latency", "ps",
                                     "hardware RX time of a message's last byte until the receiver has it whole "
                                     "(read and, in user-space framing, parsed)")),
      e2e_latency_(ctx.stats().histogram(name + "e2e_latency", "ps",
                                         "a message's arising at the sender until the receiver has it whole")) {
  sockets.tcp_listen(c_.port, [this](kernel::TcpSocket& s) { accept(s); });
}

void TcpMessageReceiver::accept(kernel::TcpSocket& s) {
  conns_.push_back(std::make_unique<Conn>(s));
  Conn& c = *conns_.back();
  s.count_calls(&calls_);
  s.count_wakeups(&wakeups_);
  s.enable_rx_timestamps();
  const auto spec = c_.format->framer_spec();
  Mode mode = c_.mode;
  if (mode == Mode::message) {
    kernel::MessageFraming m = c_.framing;
    m.framer = spec;
    if (const auto st = s.set_framing(m); !st.ok()) {
      HW_LOG(Logger("apps"), error, "{}conn {}: set_framing refused ({}): framing in user space", name_, s.conn().id,
             st.error());
      mode = Mode::stream;
    }
  } else if (mode == Mode::condition) {
    kernel::DeliveryCondition d = c_.condition;
    d.framer = spec;
    if (const auto st = s.set_delivery(d); !st.ok())
      HW_LOG(Logger("apps"), error, "{}conn {}: set_delivery refused ({}): reading a plain stream", name_, s.conn().id,
             st.error());
  }
  // Message mode reads a whole message per call; the others read_size at a time.
  const uint64_t buffer = mode == Mode::message ? std::max<uint64_t>(c_.read_size, c_.format->max_size()) : c_.read_size;
  c.buffer.resize(static_cast<size_t>(buffer));
  if (mode != Mode::message) c.splitter = std::make_unique<MessageSplitter>(spec);
  read(c);
}

void TcpMessageReceiver::read(Conn& c) {
  auto done = [this, &c](size_t got) { got == 0 ? end(c) : on_read(c, got); };
  if (!c.splitter && c_.batch > 1) {
    c.sock.recv_batch(c.buffer, c_.batch, c.lengths, std::move(done));
  } else {
    c.sock.recv(c.buffer, std::move(done));
  }
}

void TcpMessageReceiver::on_read(Conn& c, size_t got) {
  bytes_.add(got);
  c.read += got;
  const std::span<const uint8_t> bytes(c.buffer.data(), got);
  if (!c.splitter && !c.sock.message_mode()) {  // the kernel's framing gave way to a plain stream
    fallbacks_.add();
    c.splitter = std::make_unique<MessageSplitter>(c_.format->framer_spec());
    c.buffer.resize(c_.read_size);
  }
  bool framed = true;
  if (c.splitter) {
    framed = c.splitter->feed(bytes, [&](std::span<const uint8_t> p, bool ends) { piece(c, p, ends); });
  } else if (c_.batch > 1) {
    size_t at = 0;
    for (uint32_t n : c.lengths) {
      piece(c, bytes.subspan(at, n), true);
      at += n;
    }
  } else {
    const bool whole = c.sock.message_complete();
    if (!whole) partial_reads_.add();
    piece(c, bytes, whole);
  }
  if (!framed) {
    HW_LOG(Logger("apps"), warn, "{}conn {}: the stream is not {} ({}): aborting", name_, c.sock.conn().id,
           net::framers::to_string(c_.format->settings().framing), c.splitter->why());
    malformed_.add();
  }
  // The user-space framer's scan, charged on the reader's core before the messages count.
  const Cycles parse = c.splitter ? sockets_.costs().parse_cycles(static_cast<int64_t>(c.splitter->take_examined()))
                                  : Cycles{0};
  auto next = [this, &c, framed] {
    deliver(c);
    if (framed) {
      read(c);
    } else {
      give_up(c);
      c.sock.abort();
    }
  };
  if (parse.n == 0) {
    next();
    return;
  }
  user_cycles_.add(static_cast<uint64_t>(parse.n));
  sockets_.compute(c.sock.thread(), parse, "parse", std::move(next));
}

void TcpMessageReceiver::piece(Conn& c, std::span<const uint8_t> bytes, bool ends) {
  c.assembly.add(bytes);
  c.offset += bytes.size();
  if (!ends) return;
  const uint64_t size = c.assembly.bytes();
  const auto v = c.assembly.finish(*c_.format, c.index++);
  // The last call returned the message's last byte: its RX time is still there to read.
  c.ready.push_back({size, v.intact, c.sock.rx_timestamp(c.offset - 1), v.arose});
}

void TcpMessageReceiver::deliver(Conn& c) {
  const Time now = hostwire::now();
  for (const Completed& m : c.ready) {
    messages_.add();
    message_bytes_ += m.bytes;
    if (!m.intact) corrupt_.add();
    latency_.record((now - m.rx).ps);
    if (m.arose) e2e_latency_.record((now - *m.arose).ps);
  }
  c.ready.clear();
}

void TcpMessageReceiver::end(Conn& c) {
  const kernel::SocketError e = c.sock.error();
  if (e != kernel::SocketError::none) {
    error_counter(e).add();
    HW_LOG(Logger("apps"), info, "{}conn {}: receive failed with {}", name_, c.sock.conn().id, kernel::to_string(e));
  }
  give_up(c);
  if (e == kernel::SocketError::none) c.sock.close();  // end of stream; an error has reset the conn
}

void TcpMessageReceiver::give_up(Conn& c) {
  dropped_bytes_ += c.assembly.bytes() + (c.read - c.offset);  // and what the framer did not get to
  c.offset = c.read;
  c.assembly = MessageAssembly();
}

Counter& TcpMessageReceiver::error_counter(kernel::SocketError e) {
  switch (e) {
    case kernel::SocketError::msgsize:
      return *emsgsize_;
    case kernel::SocketError::proto:
      return *eproto_;
    case kernel::SocketError::timedout:
      return *etimedout_;
    default:
      return *econnreset_;
  }
}

std::string TcpMessageReceiver::accounting() const {
  uint64_t held = 0;  // in messages being assembled, or completed and awaiting their parse
  for (const auto& c : conns_) {
    held += c->assembly.bytes();
    for (const Completed& m : c->ready) held += m.bytes;
  }
  if (bytes_.value() == message_bytes_ + held + dropped_bytes_) return {};
  return fmt::format("{}: read {} B != {} B in messages counted + {} B held + {} B of conns given up", name_,
                     bytes_.value(), message_bytes_, held, dropped_bytes_);
}

}  // namespace hostwire::apps
