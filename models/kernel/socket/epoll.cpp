#include "kernel/socket/epoll.h"

#include "kernel/conn/tcp_stack.h"

namespace hostwire::kernel {

void EventPoll::arm(TcpSocket& s) {
  const bool now = s.readable() > 0 || s.eof() || s.conn().tcp->state() == tcp::State::closed;
  if (now) {
    ready(s);
    return;
  }
  s.watch([this, &s] { ready(s); });
}

void EventPoll::ready(TcpSocket& s) {
  ready_.push_back(&s);
  if (waiting_ && !busy_) deliver(true);
}

void EventPoll::wait(std::function<void(std::vector<TcpSocket*>)> done) {
  waiting_ = std::move(done);
  if (!ready_.empty()) deliver(false);
}

void EventPoll::deliver(bool woken) {
  busy_ = true;
  if (calls_) calls_->add();
  if (woken) stack_.socket_stats().wakeups.add();
  stack_.system_call(thread_, Cycles{}, woken, "epoll_wait", [this] {
    busy_ = false;
    auto done = std::move(waiting_);
    waiting_ = nullptr;
    std::vector<TcpSocket*> got;
    got.swap(ready_);
    done(std::move(got));
  });
}

}  // namespace hostwire::kernel
