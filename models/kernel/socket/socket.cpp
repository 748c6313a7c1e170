#include "kernel/socket/socket.h"

#include <algorithm>
#include <array>

#include "core/frame.h"
#include "kernel/conn/tcp_stack.h"
#include "kernel/socket/kbuf.h"

namespace hostwire::kernel {

namespace {
// The kbuf layer of a conn's event list: the socket frames the packet's new in-order bytes.
Verdict kbuf_frame(TcpStack&, Conn& c, Input& in) {
  if (c.socket) c.socket->on_data(in);
  return Verdict::next;
}
constexpr const char* kKbufState = "kbuf";

class ReceiveQueue final : public HeldBytes {
 public:
  explicit ReceiveQueue(const tcp::Connection& c) : c_(c) {}
  uint64_t readable() const override { return c_.readable(); }
  void peek(const Visit& f) const override { c_.peek(f); }
  uint64_t window() const override { return c_.rcv_wnd(); }

 private:
  const tcp::Connection& c_;
};
}  // namespace

const char* to_string(SocketError e) {
  switch (e) {
    case SocketError::none: return "none";
    case SocketError::msgsize: return "EMSGSIZE";
    case SocketError::proto: return "EPROTO";
    case SocketError::timedout: return "ETIMEDOUT";
    case SocketError::reset: return "ECONNRESET";
  }
  return "?";
}

TcpSocket::TcpSocket(TcpStack& stack, Conn& conn, Thread thread) : stack_(stack), conn_(conn), thread_(thread) {}
TcpSocket::~TcpSocket() = default;

bool TcpSocket::connected() const {
  const auto s = conn_.tcp->state();
  return s == tcp::State::established || s == tcp::State::close_wait;
}
size_t TcpSocket::readable() const { return conn_.tcp->readable(); }
size_t TcpSocket::send_space() const { return conn_.tcp->send_space(); }
bool TcpSocket::eof() const { return conn_.tcp->eof(); }
bool TcpSocket::message_mode() const { return kbuf_ && kbuf_->framing(); }
uint64_t TcpSocket::kbuf_bytes() const { return kbuf_ && kbuf_->active() ? readable() : 0; }

void TcpSocket::submit(Cycles cycles, const char* kind, std::function<void()> done) {
  busy_ = true;
  if (stack_.context().trace().is_open()) call_at_ = hostwire::now();
  if (calls_) calls_->add();
  // A call that resumes a blocked thread pays for waking it and switching it in.
  const bool woken = woken_;
  woken_ = false;
  stack_.system_call(thread_, cycles, woken, kind, std::move(done));
}

void TcpSocket::connect(std::function<void()> done) {
  stack_.open_active(conn_);
  connect_done_ = std::move(done);
  parked_ = Parked::connect;
}

void TcpSocket::send(const PayloadSlice& data, std::function<void(size_t)> done) {
  send_slice_ = data;
  call_done_ = std::move(done);
  parked_ = Parked::send;
  try_send();
}

void TcpSocket::send(std::span<const uint8_t> data, std::function<void(size_t)> done) {
  send_bytes_ = data;
  call_done_ = std::move(done);
  parked_ = Parked::send_copy;
  try_send();
}

bool TcpSocket::try_send() {
  if (busy_ || !connected()) return false;
  const bool copy = parked_ == Parked::send_copy;
  const uint64_t len = copy ? send_bytes_.size() : send_slice_.length;
  const uint64_t n = std::min<uint64_t>(len, send_space());
  if (n == 0) return false;  // the send buffer is full: sleep until ACKs free space
  parked_ = Parked::none;
  submit(stack_.write_cycles(conn_, n), "tcp_send", [this, n, copy] {
    const Time now = hostwire::now();
    size_t taken;
    if (copy) {
      taken = conn_.tcp->send(send_bytes_.first(n), now);
    } else {
      PayloadSlice s = send_slice_;
      s.length = static_cast<uint32_t>(n);
      taken = conn_.tcp->send_shared(s, now);
    }
    auto& trace = stack_.context().trace();
    if (trace.is_open() && taken) {
      const uint64_t id = trace.stream_id();
      trace.admit(id, conn_.trace_key());
      if (trace.recording(id, call_at_)) {
        trace_writes_.push_back({written_, written_ + taken, id, now});
        stack_.trace_work(thread_.core, id);
      }
    }
    written_ += taken;
    stack_.bytes_written(taken);
    finish(taken);
  });
  return true;
}

void TcpSocket::finish(size_t n) {
  stack_.after_call(conn_);
  busy_ = false;
  auto done = std::move(call_done_);
  done(n);
}

// ---------------------------------------------------------------- receive

void TcpSocket::recv(std::span<uint8_t> into, std::function<void(size_t)> done) {
  recv_into_ = into;
  call_done_ = std::move(done);
  parked_ = Parked::recv;
  try_recv();
}

void TcpSocket::recv_batch(std::span<uint8_t> into, uint32_t max, std::vector<uint32_t>& lengths,
                           std::function<void(size_t)> done) {
  recv_into_ = into;
  batch_lengths_ = &lengths;
  batch_max_ = std::max<uint32_t>(1, max);
  call_done_ = std::move(done);
  parked_ = Parked::recv_batch;
  try_recv();
}

bool TcpSocket::fail_call(SocketError e) {
  parked_ = Parked::none;
  error_ = e;
  if (batch_lengths_) batch_lengths_->clear();
  auto done = std::move(call_done_);
  done(0);
  return true;
}

bool TcpSocket::try_recv() {
  if (busy_) return false;
  if (error_ != SocketError::none) return fail_call(error_);
  if (!message_mode() && parked_ == Parked::recv_batch) return fail_call(SocketError::proto);  // EINVAL, as recvmmsg on a stream
  if (message_mode()) return try_recv_message();
  return try_recv_stream();
}

bool TcpSocket::try_recv_stream() {
  const size_t r = readable();
  const bool fin = conn_.tcp->fin_received();
  if (r == 0 || (kbuf_ && !fin && !kbuf_->condition_holds(r))) {
    if (!eof()) {
      if (conn_.tcp->state() == tcp::State::closed && !fin) return fail_call(SocketError::reset);
      return false;
    }
    return fail_call(SocketError::none);  // end of stream: the wait saw it, the call costs nothing
  }
  const auto n = static_cast<uint32_t>(std::min(recv_into_.size(), r));
  parked_ = Parked::none;
  submit(stack_.costs().copy_cycles(n), "tcp_recv", [this, n] {
    const Time now = hostwire::now();
    const uint64_t before = read_;
    const size_t got = conn_.tcp->receive(recv_into_.first(n), now);
    took(before, got, now);
    message_complete_ = false;
    finish(got);
  });
  return true;
}

bool TcpSocket::try_recv_message() {
  auto piece = kbuf_->next_piece();
  if (!piece) {
    if (conn_.tcp->fin_received()) {
      drain_unframed();
      if (eof()) return fail_call(SocketError::none);
    }
    if (conn_.tcp->state() == tcp::State::closed && !conn_.tcp->fin_received()) return fail_call(SocketError::reset);
    return false;
  }
  // One message, or for a batch as many whole ones as fit (at least the first, in part if need be).
  uint64_t n = std::min<uint64_t>(piece->length, recv_into_.size());
  std::vector<uint32_t> lengths{static_cast<uint32_t>(n)};
  if (parked_ == Parked::recv_batch && n == piece->length) {
    const auto& pieces = kbuf_->pieces();
    for (size_t i = 1; i < pieces.size() && lengths.size() < batch_max_; ++i) {
      if (n + pieces[i].length > recv_into_.size()) break;
      n += pieces[i].length;
      lengths.push_back(static_cast<uint32_t>(pieces[i].length));
    }
  }
  // Whether the last piece taken ends its message (MSG_EOR): it is taken whole and complete.
  const bool ends =
      (lengths.size() > 1 || lengths[0] == piece->length) && kbuf_->pieces()[lengths.size() - 1].complete;
  const bool batch = parked_ == Parked::recv_batch;
  parked_ = Parked::none;
  submit(stack_.costs().copy_cycles(static_cast<int64_t>(n)), batch ? "tcp_recvmmsg" : "tcp_recv",
         [this, n, batch, ends, lengths = std::move(lengths)] {
           const Time now = hostwire::now();
           const uint64_t before = read_;
           const size_t got = conn_.tcp->receive(recv_into_.first(static_cast<size_t>(n)), now);
           took(before, got, now);
           message_complete_ = ends;
           messages_read_ += ends ? lengths.size() : lengths.size() - 1;
           if (batch) *batch_lengths_ = lengths;
           finish(got);
         });
  return true;
}

void TcpSocket::took(uint64_t before, size_t got, Time now) {
  read_ += got;
  stack_.bytes_read(got);
  if (!trace_reads_.empty()) trace_read();
  while (!rx_marks_.empty() && rx_marks_.front().first <= before) rx_marks_.pop_front();
  if (kbuf_) {
    kbuf_->consumed(got, read_, readable(), now);
    stack_.set_socket_deadline(conn_, kbuf_->deadline());
  }
  update_held();
}

void TcpSocket::drain_unframed() {
  // The peer closed inside a message: the framer may complete it (a response that ends at the
  // close); what is left can never be a message and is dropped, counted.
  const uint64_t dropped = kbuf_->on_eof(read_, read_ + readable());
  if (dropped == 0 || kbuf_->next_piece()) return;
  std::array<uint8_t, 4096> scratch;
  uint64_t left = dropped;
  while (left > 0) {
    const size_t got = conn_.tcp->receive(std::span<uint8_t>(scratch).first(std::min<uint64_t>(left, scratch.size())),
                                          hostwire::now());
    if (got == 0) break;
    left -= got;
    read_ += got;
  }
  stack_.socket_stats().kbuf_discarded.add(dropped - left);
  update_held();
}

void TcpSocket::wait(std::function<void()> ready) { waiter_ = std::move(ready); }

// ---------------------------------------------------------------- options

void TcpSocket::set_nodelay(bool on) {
  conn_.tcp->set_nodelay(on, hostwire::now());
  stack_.after_call(conn_);
}

net::Status TcpSocket::set_framing(const MessageFraming& m) {
  if (auto ok = net::framers::validate(m.framer); !ok) return ok;
  if (m.assembly_timeout.ps < 0) return net::fail("assembly_timeout must not be negative");
  if (!kbuf_) kbuf_ = std::make_unique<Kbuf>(stack_.costs(), static_cast<uint64_t>(stack_.tcp_params().rcvbuf.n),
                                                static_cast<uint64_t>(stack_.tcp_params().mss.n));
  kbuf_->set_framing(m, read_);
  kbuf_changed();
  return net::success();
}

void TcpSocket::clear_framing() {
  if (!kbuf_) return;
  kbuf_->clear_framing();
  kbuf_changed();
}

net::Status TcpSocket::set_delivery(const DeliveryCondition& d) {
  if (d.messages > 0)
    if (auto ok = net::framers::validate(d.framer); !ok) return ok;
  if (d.delimiter.size() > 16) return net::fail("delimiter must be 1-16 bytes");
  if (d.timeout.ps < 0) return net::fail("timeout must not be negative");
  if (!kbuf_) kbuf_ = std::make_unique<Kbuf>(stack_.costs(), static_cast<uint64_t>(stack_.tcp_params().rcvbuf.n),
                                                static_cast<uint64_t>(stack_.tcp_params().mss.n));
  kbuf_->set_condition(d, read_, read_ + readable(), hostwire::now());
  kbuf_changed();
  return net::success();
}

void TcpSocket::kbuf_changed() {
  // The conn's event list gains or loses the kbuf layer (mechanism F): logged, counted, traced.
  const Time now = hostwire::now();
  if (kbuf_->active()) {
    auto& db = stack_.protocols();
    if (!db.find("kbuf_frame")) db.add({"kbuf_frame", "socket", Cycles{}, &kbuf_frame});
    if (conn_.data_state != kKbufState)
      stack_.set_data_state(conn_, kKbufState, stack_.base_data_list().with_before(db.find("kbuf_frame"), "socket_deliver"),
                            now);
    // Bytes already buffered are framed at once.
    apply(kbuf_->on_bytes(ReceiveQueue(*conn_.tcp), read_, now), now);
    stack_.charge_now(conn_);
  } else if (conn_.data_state == kKbufState) {
    stack_.set_data_state(conn_, stack_.base_data_state(), stack_.base_data_list(), now);
  }
  update_held();
  wake();
}

// ---------------------------------------------------------------- from the stack

void TcpSocket::on_data(const Input&) {
  if (!kbuf_ || !kbuf_->active()) return;
  apply(kbuf_->on_bytes(ReceiveQueue(*conn_.tcp), read_, hostwire::now()), hostwire::now());
  update_held();
  // An error resets the conn, and the state change ends the packet's pass before
  // socket_deliver: the reader blocked on the conn is woken here to see it (sk_error_report).
  if (error_ != SocketError::none) conn_.wake_deferred = true;
}

void TcpSocket::note_rx(const Input& in) {
  if (!in.frame) return;  // no frame: an ACK the offload engine handed back
  const uint64_t end = read_ + readable();
  if (in.segment.payload.length && stack_.context().trace().is_open()) {
    const Time now = hostwire::now();
    if (stack_.context().trace().recording(in.frame->packet.id, now))
      trace_reads_.push_back({end - in.segment.payload.length, end, in.frame->packet.id, now});
  }
  if (!rx_timestamps_) return;
  if (rx_marks_.empty() ? end > read_ : end > rx_marks_.back().first) rx_marks_.emplace_back(end, in.frame->packet.received);
}

void TcpSocket::enable_rx_timestamps() { rx_timestamps_ = true; }

// A segment's bytes waited in the receive queue from delivery until the reader's call; that
// call (its slice on the reader's core) ends the segment's arrow once it took the last byte.
void TcpSocket::trace_read() {
  auto& trace = stack_.context().trace();
  while (!trace_reads_.empty() && trace_reads_.front().end <= read_) {
    const TraceMark m = trace_reads_.front();
    trace_reads_.pop_front();
    const Time until = std::max(m.at, call_at_);
    if (!trace.recording(m.id, m.at)) continue;
    trace.slice(stack_.trace_socket(), "receive queue", "socket", m.at, until - m.at, m.id,
                TraceEventWriter::Flow::join);
    stack_.trace_work(thread_.core, m.id);
  }
}

std::optional<std::pair<uint64_t, Time>> TcpSocket::trace_sender(uint64_t offset) {
  while (!trace_writes_.empty() && trace_writes_.front().end <= offset) trace_writes_.pop_front();
  if (trace_writes_.empty() || offset < trace_writes_.front().begin) return std::nullopt;
  return std::pair{trace_writes_.front().id, trace_writes_.front().at};
}

Time TcpSocket::rx_timestamp(uint64_t offset) const {
  for (const auto& [end, at] : rx_marks_)
    if (offset < end) return at;
  return rx_marks_.empty() ? Time{} : rx_marks_.back().second;
}

void TcpSocket::apply(const Kbuf::Outcome& o, Time now) {
  auto& st = stack_.socket_stats();
  stack_.charge(conn_, o.cycles);
  st.kbuf_messages.add(o.messages);
  if (o.oversize) st.kbuf_oversize.add();
  if (o.malformed) st.kbuf_malformed.add();
  if (o.timed_out) st.kbuf_timeouts.add();
  if (o.fell_back) {
    st.kbuf_fallbacks.add();
    kbuf_->clear_framing();
    if (!kbuf_->active()) stack_.set_data_state(conn_, stack_.base_data_state(), stack_.base_data_list(), now);
  }
  if (o.error != SocketError::none && error_ == SocketError::none) {
    // As KCM: the reader's next call fails and the conn is reset; what it held is dropped.
    error_ = o.error;
    st.kbuf_discarded.add(readable());
    kbuf_->clear_framing();
    conn_.tcp->abort(now);
    stack_.after_call(conn_);
  }
  stack_.set_socket_deadline(conn_, kbuf_->deadline());
}

void TcpSocket::update_held() {
  const int64_t held = static_cast<int64_t>(kbuf_bytes());
  stack_.kbuf_held(held - held_);
  held_ = held;
}

std::optional<Time> TcpSocket::deadline() const { return kbuf_ ? kbuf_->deadline() : std::nullopt; }

void TcpSocket::on_deadline(Time now) {
  if (!kbuf_) return;
  apply(kbuf_->on_deadline(ReceiveQueue(*conn_.tcp), read_, now), now);
  update_held();
  wake();
}

void TcpSocket::close() {
  if (!stack_.close_now(conn_, false)) return;  // offloaded: closed once the NIC hands the conn back
  conn_.tcp->close(hostwire::now());
  stack_.after_call(conn_);
}

void TcpSocket::abort() {
  if (!stack_.close_now(conn_, true)) return;
  conn_.tcp->abort(hostwire::now());
  stack_.after_call(conn_);
}

void TcpSocket::count_wakeup() {
  if (wakeups_) wakeups_->add();
  stack_.socket_stats().wakeups.add();
}

void TcpSocket::wake() {
  // A blocked call resumes, or a poll fires: the thread is woken (counted; its next call pays).
  auto woke = [this] {
    woken_ = true;
    count_wakeup();
  };
  switch (parked_) {
    case Parked::none: break;
    case Parked::connect:
      if (connected()) {
        parked_ = Parked::none;
        woke();
        auto done = std::move(connect_done_);
        done();
      }
      return;
    case Parked::send:
    case Parked::send_copy:
    case Parked::recv:
    case Parked::recv_batch: {
      // woken_ is set before the retry so that the call it submits pays the wake-up.
      const bool was = woken_;
      woken_ = true;
      const bool sending = parked_ == Parked::send || parked_ == Parked::send_copy;
      if (sending ? try_send() : try_recv()) count_wakeup();
      else woken_ = was;
      return;
    }
  }
  if (watcher_) {
    auto ready = std::move(watcher_);
    watcher_ = nullptr;
    ready();
  }
  if (waiter_) {
    auto ready = std::move(waiter_);
    waiter_ = nullptr;
    woke();
    ready();
  }
}

}  // namespace hostwire::kernel
