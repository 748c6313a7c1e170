// What an application sees of its host's kernel: the socket calls, and threads to make them
// from. Apps (models/apps) are written against this and nothing else of the kernel.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernel/conn/tcp_stack.h"
#include "kernel/packet/packet.h"
#include "kernel/socket/epoll.h"
#include "kernel/socket/socket.h"
#include "kernel/udp/udp.h"

namespace hostwire::http {
class Door;  // the kernel<->daemon channel of the host's HTTP transport module (http/module.h)
}

namespace hostwire::kernel {

class Sockets {
 public:
  Sockets(TcpStack& tcp, UdpLayer& udp, ThreadIds& threads, net::Ipv4Address address)
      : tcp_(tcp), udp_(udp), threads_(threads), address_(address) {}

  net::Ipv4Address address() const { return address_; }
  int cores() { return tcp_.cpu().cores(); }
  Thread thread(int core) { return threads_.make(core); }
  // The host's cycle cost table, for the user-space work an app models (a parser's
  // parse_per_byte) at the rates the kernel's own work is charged.
  const cpu::CostTable& costs() const { return tcp_.costs(); }
  // User-space work on the thread's core (a parser, a handler): `cycles` at task priority,
  // then `done`. Not a system call.
  void compute(const Thread& t, Cycles cycles, const char* kind, std::function<void()> done) {
    cpu::WorkItem w;
    w.cycles = cycles.n;
    w.priority = cpu::Priority::task;
    w.context = t.context;
    w.kind = kind;
    w.done = std::move(done);
    tcp_.cpu().core(t.core).submit(std::move(w));
  }

  // TCP: socket() + connect() happen in two steps so the conn exists before the run starts.
  TcpSocket& tcp_socket(net::Ipv4Address peer, uint16_t port, Thread t) { return tcp_.socket(peer, port, t); }
  void tcp_listen(uint16_t port, std::function<void(TcpSocket&)> accept) { tcp_.listen(port, std::move(accept)); }

  // UDP.
  std::vector<UdpReceiveSocket*> udp_bind(uint16_t port, const std::vector<Thread>& threads) {
    return udp_.bind(port, threads);
  }
  UdpSendSocket& udp_open(Thread t, const std::vector<UdpFlow>& flows, const PayloadSlice& payload) {
    return udp_.open(t, flows, payload);
  }

  // An event poll for one of the application's threads (epoll_create).
  std::unique_ptr<EventPoll> event_poll(Thread t) { return std::make_unique<EventPoll>(tcp_, t); }

  // The in-kernel HTTP transport (mechanism G): a daemon binds the module to a port (the
  // module then accepts and serves its conns) and takes the requests it passes up through the
  // returned channel, as a web server attaches to NCA's door.
  http::Door& http_bind(uint16_t port) { return http_bind_(port); }
  void set_http(std::function<http::Door&(uint16_t)> bind) { http_bind_ = std::move(bind); }  // the host's wiring

  // Packet sockets (AF_PACKET) on one of the host's netdevs (VNIC n).
  PacketSocket& packet_open(int netdev, Thread t) { return packet_->open(netdev, t); }
  int netdevs() const { return packet_->netdevs(); }
  void set_packet_layer(PacketLayer* p) { packet_ = p; }  // the host's wiring

 private:
  TcpStack& tcp_;
  UdpLayer& udp_;
  ThreadIds& threads_;
  net::Ipv4Address address_;
  PacketLayer* packet_ = nullptr;
  std::function<http::Door&(uint16_t)> http_bind_;
};

}  // namespace hostwire::kernel
