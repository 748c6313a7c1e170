// An event poll (epoll with EPOLLONESHOT) for event-driven servers: one thread waits for many
// sockets in one system call, and pays one wake-up when it had to sleep, however many sockets
// turned ready meanwhile. A socket is reported once per arm(); the server re-arms it when it has
// taken what it needed (level-triggered use of a one-shot registration, as nginx-style loops do).
#pragma once

#include <functional>
#include <vector>

#include "core/stats.h"
#include "kernel/socket/socket.h"

namespace hostwire::kernel {

class TcpStack;

class EventPoll {
 public:
  EventPoll(TcpStack& stack, Thread thread) : stack_(stack), thread_(thread) {}
  EventPoll(const EventPoll&) = delete;
  EventPoll& operator=(const EventPoll&) = delete;

  void count_calls(Counter* c) { calls_ = c; }
  // Reports `s` at its next wake-up (data, room, a state change), or at once when it has
  // something to read or has ended.
  void arm(TcpSocket& s);
  // epoll_wait(): blocks until at least one armed socket is ready; `done` gets them all.
  void wait(std::function<void(std::vector<TcpSocket*>)> done);

 private:
  void ready(TcpSocket& s);
  void deliver(bool woken);

  TcpStack& stack_;
  Thread thread_;
  Counter* calls_ = nullptr;
  std::vector<TcpSocket*> ready_;
  std::function<void(std::vector<TcpSocket*>)> waiting_;
  bool busy_ = false;  // the call returning the ready list is on the core
};

}  // namespace hostwire::kernel
