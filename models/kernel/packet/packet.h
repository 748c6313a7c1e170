// Packet sockets (AF_PACKET, as tcpdump opens): a socket bound to one netdev gets every frame
// that netdev receives, whole, with the NIC's receive timestamp. This is how an analyzer on a
// host consumes a debug VNIC (mechanism B): the netdev has no IP stack behind it, only the
// socket. The driver's poll queues each frame on the socket (`packet_rcv` cycles, in the
// softirq), up to `rcvbuf` bytes; a full socket drops the frame and counts it. A receive call
// takes one frame: a system call and the copy of its bytes (and a wake-up after blocking).
//
// With `zero_copy` (AF_XDP's zero-copy mode) the socket has no buffer of its own: each frame
// stays in its RX ring slot until the reader is done with it, and the reader reads it in
// place from a ring shared with the kernel (no copy, no system call unless it must sleep).
// A slow reader then fills the VNIC's ring and the NIC drops there (counted on the ring).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/params.h"
#include "core/sim.h"
#include "core/stats.h"
#include "cpu/cpu.h"
#include "kernel/driver/driver.h"
#include "kernel/socket/socket.h"

namespace hostwire::kernel {

// Registered under "<host>.packet.".
struct PacketParams {
  Bytes rcvbuf{2 * 1024 * 1024};
  Cycles packet_rcv{300};
  bool zero_copy = false;

  template <class V>
  void visit(V& v) {
    v(rcvbuf, "rcvbuf", "bytes of frames a packet socket holds for its reader (SO_RCVBUF); past it frames drop",
      Limits::range(2048, 1LL << 30));
    v(packet_rcv, "packet_rcv", "the driver's poll queueing one frame on a packet socket (packet_rcv), cycles");
    v(zero_copy, "zero_copy", "AF_XDP zero copy: frames stay in their RX ring slots until the reader is done, read "
      "in place (no copy, no system call); a slow reader fills the ring, and the NIC drops there");
  }
};

class PacketSocket {
 public:
  PacketSocket(SimContext& ctx, cpu::Cpu& cpu, Driver& driver, const PacketParams& p, Thread thread,
               Counter* syscalls, const std::string& stat_name);
  ~PacketSocket();

  // The next frame (blocking while none is queued); `done` runs when the call returns, with the
  // frame valid for its duration.
  void recv(std::function<void(const Packet&)> done);

  // The driver's side.
  NetdevConsumer consumer();
  uint64_t queued() const { return queue_.size(); }
  uint64_t frames_read() const { return read_.value(); }
  uint64_t frames_dropped() const { return dropped_.value(); }

 private:
  void enqueue(Frame* f, int ring);
  void try_recv();

  struct Queued {
    Frame* frame;
    int ring;  // the RX ring whose slot a zero-copy frame holds
  };
  SimContext& ctx_;
  cpu::Cpu& cpu_;
  Driver& driver_;
  PacketParams p_;
  Thread thread_;
  Counter* syscalls_;
  std::deque<Queued> queue_;
  int64_t queued_bytes_ = 0;
  std::function<void(const Packet&)> parked_;
  bool busy_ = false, woken_ = false;
  Counter& received_;
  Counter& dropped_;
  Counter& read_;
};

// The host's packet sockets, one per netdev at most, bound through the driver.
class PacketLayer {
 public:
  PacketLayer(SimContext& ctx, cpu::Cpu& cpu, Driver& driver, const PacketParams& p, Counter* syscalls,
              const std::string& host);
  // A socket on netdev `netdev` (a VNIC) read by `thread`; the netdev's frames go to it from now on.
  PacketSocket& open(int netdev, Thread thread);
  int netdevs() const { return driver_.netdevs(); }

 private:
  SimContext& ctx_;
  cpu::Cpu& cpu_;
  Driver& driver_;
  PacketParams p_;
  Counter* syscalls_;
  std::string host_;
  std::vector<std::unique_ptr<PacketSocket>> sockets_;
};

}  // namespace hostwire::kernel
