#include "kernel/socket/socket.h"

#include <algorithm>

#include "kernel/conn/tcp_stack.h"

namespace hostwire::kernel {

bool TcpSocket::connected() const {
  const auto s = conn_.tcp->state();
  return s == tcp::State::established || s == tcp::State::close_wait;
}
size_t TcpSocket::readable() const { return conn_.tcp->readable(); }
size_t TcpSocket::send_space() const { return conn_.tcp->send_space(); }
bool TcpSocket::eof() const { return conn_.tcp->eof(); }

void TcpSocket::submit(Cycles cycles, const char* kind, std::function<void()> done) {
  busy_ = true;
  if (calls_) calls_->add();
  stack_.count_syscall();
  cpu::WorkItem w;
  w.cycles = (stack_.costs().syscall + cycles).n;
  w.priority = cpu::Priority::task;
  w.context = thread_.context;
  w.kind = kind;
  w.done = std::move(done);
  stack_.cpu().core(thread_.core).submit(std::move(w));
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
  submit(stack_.costs().copy_cycles(static_cast<int64_t>(n)), "tcp_send", [this, n, copy] {
    const Time now = hostwire::now();
    size_t taken;
    if (copy) {
      taken = conn_.tcp->send(send_bytes_.first(n), now);
    } else {
      PayloadSlice s = send_slice_;
      s.length = static_cast<uint32_t>(n);
      taken = conn_.tcp->send_shared(s, now);
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

void TcpSocket::recv(std::span<uint8_t> into, std::function<void(size_t)> done) {
  recv_into_ = into;
  call_done_ = std::move(done);
  parked_ = Parked::recv;
  try_recv();
}

bool TcpSocket::try_recv() {
  if (busy_) return false;
  const size_t r = readable();
  if (r == 0) {
    if (!eof()) return false;
    parked_ = Parked::none;
    auto done = std::move(call_done_);
    done(0);
    return true;
  }
  const auto n = static_cast<uint32_t>(std::min(recv_into_.size(), r));
  parked_ = Parked::none;
  submit(stack_.costs().copy_cycles(n), "tcp_recv", [this, n] {
    const size_t got = conn_.tcp->receive(recv_into_.first(n), hostwire::now());
    read_ += got;
    stack_.bytes_read(got);
    finish(got);
  });
  return true;
}

void TcpSocket::wait(std::function<void()> ready) { waiter_ = std::move(ready); }

void TcpSocket::set_nodelay(bool on) {
  conn_.tcp->set_nodelay(on, hostwire::now());
  stack_.after_call(conn_);
}

void TcpSocket::close() {
  conn_.tcp->close(hostwire::now());
  stack_.after_call(conn_);
}

void TcpSocket::abort() {
  conn_.tcp->abort(hostwire::now());
  stack_.after_call(conn_);
}

void TcpSocket::wake() {
  switch (parked_) {
    case Parked::none: break;
    case Parked::connect:
      if (connected()) {
        parked_ = Parked::none;
        auto done = std::move(connect_done_);
        done();
      }
      return;
    case Parked::send:
    case Parked::send_copy:
      try_send();
      return;
    case Parked::recv:
      try_recv();
      return;
  }
  if (waiter_) {
    auto ready = std::move(waiter_);
    waiter_ = nullptr;
    ready();
  }
}

}  // namespace hostwire::kernel
