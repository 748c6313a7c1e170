// UDP on a host. Receive: a datagram for a bound port goes to the socket of the core whose
// NAPI poll received it (SO_REUSEPORT with SO_INCOMING_CPU: one socket per core in the port's
// group), dropped when that socket's receive buffer is full; its protocol work runs inside the
// poll. Send: a thread's socket sends datagrams over its flows in turn (sendmmsg), each
// built from a header template made once per flow (a connected socket's cached route), and
// stops when the TX queue is stopped.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/frame.h"
#include "core/params.h"
#include "core/sim.h"
#include "cpu/cpu.h"
#include "kernel/socket/socket.h"
#include "net/address.h"

namespace hostwire::kernel {

class Driver;
struct KernelParams;

struct UdpParams {
  Bytes rcvbuf{212992};  // Linux net.core.rmem_default
  int64_t recv_batch = 1;

  template <class V>
  void visit(V& v) {
    v(rcvbuf, "rcvbuf", "receive buffer of each UDP socket; a datagram that does not fit is dropped", Limits::at_least(1));
    v(recv_batch, "recv_batch", "datagrams one receive system call of the host's receiver threads takes at most "
      "(recvmmsg), datagrams", Limits::range(1, 1024));
  }
};

class UdpLayer;

// A bound receiving socket (one of a port's per-core group).
class UdpReceiveSocket {
 public:
  UdpReceiveSocket(UdpLayer& udp, Thread t) : udp_(udp), thread_(t) {}
  // recvmmsg: blocks until a datagram is queued, takes at most `max`; `done` gets the frames
  // (the caller releases them). The call costs syscall + a cache miss and the copy per datagram.
  void recvmmsg(uint32_t max, std::function<void(std::span<Frame* const>)> done);
  void count_calls(Counter* c) { calls_ = c; }
  size_t queued() const { return queue_.size(); }

 private:
  friend class UdpLayer;
  void wake();  // a datagram arrived: a blocked recvmmsg resumes (a wake-up)
  void start(bool woken);
  UdpLayer& udp_;
  Thread thread_;
  Counter* calls_ = nullptr;
  std::deque<Frame*> queue_;
  std::deque<Time> queued_at_;  // timeline only (while the trace is open): when each datagram was queued
  Time call_at_{};
  int64_t bytes_ = 0;
  bool busy_ = false;
  uint32_t max_ = 0;
  std::function<void(std::span<Frame* const>)> done_;
  std::vector<Frame*> taken_;
};

struct UdpFlow {
  uint16_t source_port = 0;
  net::Ipv4Address destination;
  uint16_t destination_port = 0;
  uint32_t tag = 0;  // the workload's flow index, carried for the receiver's statistics
};

// A sending thread's sockets, one per flow, used in turn.
class UdpSendSocket {
 public:
  UdpSendSocket(UdpLayer& udp, Thread t, std::vector<Packet> templates, std::vector<uint32_t> tags,
                int64_t cycles_per_datagram)
      : udp_(udp), thread_(t), templates_(std::move(templates)), tags_(std::move(tags)), ip_ids_(templates_.size()),
        cycles_per_datagram_(cycles_per_datagram) {}
  // sendmmsg of `n` datagrams; `done(sent, stopped)`: `stopped` when the TX queue stopped the
  // call short (wait_writable() then wakes the thread).
  void sendmmsg(uint32_t n, std::function<void(uint32_t sent, bool stopped)> done);
  void wait_writable(std::function<void()> wake);
  void count_calls(Counter* c) { calls_ = c; }

 private:
  UdpLayer& udp_;
  Thread thread_;
  std::vector<Packet> templates_;
  std::vector<uint32_t> tags_;
  std::vector<uint16_t> ip_ids_;
  int64_t cycles_per_datagram_;
  size_t next_ = 0;
  Counter* calls_ = nullptr;
};

class UdpLayer {
 public:
  // Costs: the kernel's per-layer table and the driver's per-descriptor cost.
  UdpLayer(SimContext& ctx, const UdpParams& p, const KernelParams& costs, cpu::Cpu& cpu, Driver& driver,
           net::Ipv4Address address, net::MacAddress mac, std::function<net::MacAddress(net::Ipv4Address)> neighbour,
           Counter& syscalls, const std::string& stat_name);

  int64_t poll_cycles() const;
  void receive(Frame* f, net::Ipv4Address source, size_t udp_offset, int core);

  // A receiving port: one socket per core, each read by the thread `threads[core]`.
  std::vector<UdpReceiveSocket*> bind(uint16_t port, const std::vector<Thread>& threads);
  // A sending thread's sockets for `flows`, each datagram carrying `payload`.
  UdpSendSocket& open(Thread t, const std::vector<UdpFlow>& flows, const PayloadSlice& payload);

  uint64_t datagrams_queued() const;
  uint64_t socket_drops() const { return socket_drops_.value(); }

 private:
  friend class UdpReceiveSocket;
  friend class UdpSendSocket;
  SimContext& ctx_;
  UdpParams p_;
  cpu::Cpu& cpu_;
  Driver& driver_;
  net::Ipv4Address address_;
  net::MacAddress mac_;
  std::function<net::MacAddress(net::Ipv4Address)> neighbour_;
  Cycles input_cycles_, output_cycles_;  // per datagram, in the poll and in the send call
  bool checksum_offload_;
  Counter& syscalls_;
  std::unordered_map<uint16_t, std::vector<std::unique_ptr<UdpReceiveSocket>>> ports_;
  std::vector<std::unique_ptr<UdpSendSocket>> senders_;
  Counter& socket_drops_;
  Counter& no_port_;
  Counter& received_;
  Counter& wakeups_;
  int trace_socket_;  // timeline: datagrams waiting for the reader
};

}  // namespace hostwire::kernel
