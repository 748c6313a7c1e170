#include "kernel/packet/packet.h"

#include <stdexcept>

namespace hostwire::kernel {

PacketSocket::PacketSocket(SimContext& ctx, cpu::Cpu& cpu, Driver& driver, const PacketParams& p, Thread thread,
                           Counter* syscalls, const std::string& stat_name)
    : ctx_(ctx),
      cpu_(cpu),
      driver_(driver),
      p_(p),
      thread_(thread),
      syscalls_(syscalls),
      received_(ctx.stats().counter(stat_name + ".received", "frames", "frames the netdev handed to the packet socket")),
      dropped_(ctx.stats().counter(stat_name + ".socket_drops", "frames",
                                   "frames dropped: the packet socket held rcvbuf bytes already")),
      read_(ctx.stats().counter(stat_name + ".read", "frames", "frames the socket's reader took")) {
  const Counter* rx = &received_;
  const Counter* drop = &dropped_;
  const Counter* rd = &read_;
  const auto* self = this;
  ctx.add_invariant([rx, drop, rd, self, stat_name] {
    // A frame the running receive call took is neither queued nor read yet.
    const uint64_t in_call = self->busy_ ? 1 : 0;
    if (rx->value() == drop->value() + rd->value() + self->queued() + in_call) return std::string();
    return fmt::format("{}: received {} != dropped {} + read {} + queued {} + in a receive call {}", stat_name,
                       rx->value(), drop->value(), rd->value(), self->queued(), in_call);
  });
}

PacketSocket::~PacketSocket() {
  for (const Queued& q : queue_) q.frame->gp.release();
}

NetdevConsumer PacketSocket::consumer() {
  return NetdevConsumer{[this](const Frame&) { return p_.packet_rcv.n; },
                        [this](Frame* f, int, int ring) { enqueue(f, ring); }, [](int) {}, p_.zero_copy};
}

void PacketSocket::enqueue(Frame* f, int ring) {
  received_.add();
  const int64_t bytes = f->packet.frame_bytes();
  // Zero copy: the ring slot the frame holds is the bound, not rcvbuf.
  if (!p_.zero_copy && queued_bytes_ + bytes > p_.rcvbuf.n) {
    dropped_.add();
    f->gp.release();
    return;
  }
  queue_.push_back({f, ring});
  queued_bytes_ += bytes;
  if (parked_ && !busy_) {
    woken_ = true;
    try_recv();
  }
}

void PacketSocket::recv(std::function<void(const Packet&)> done) {
  parked_ = std::move(done);
  try_recv();
}

void PacketSocket::try_recv() {
  if (busy_ || !parked_ || queue_.empty()) return;
  busy_ = true;
  const Queued q = queue_.front();
  Frame* f = q.frame;
  queue_.pop_front();
  queued_bytes_ -= f->packet.frame_bytes();
  const cpu::CostTable& c = cpu_.costs();
  // Zero copy reads the frame in place from the shared ring; only sleeping takes a call (poll).
  Cycles cycles = p_.zero_copy ? Cycles{0} : c.syscall + c.copy_cycles(f->packet.frame_bytes());
  if (syscalls_ && (!p_.zero_copy || woken_)) syscalls_->add();
  if (woken_) cycles = cycles + (p_.zero_copy ? c.syscall : Cycles{0}) + c.wakeup;
  woken_ = false;
  cpu::WorkItem w;
  w.cycles = cycles.n;
  w.priority = cpu::Priority::task;
  w.context = thread_.context;
  w.kind = "packet_recv";
  w.done = [this, q] {
    read_.add();
    busy_ = false;
    auto done = std::move(parked_);
    parked_ = nullptr;
    done(q.frame->packet);
    q.frame->gp.release();
    if (p_.zero_copy) driver_.release_rx(q.ring);
    try_recv();
  };
  cpu_.core(thread_.core).submit(std::move(w));
}

PacketLayer::PacketLayer(SimContext& ctx, cpu::Cpu& cpu, Driver& driver, const PacketParams& p, Counter* syscalls,
                         const std::string& host)
    : ctx_(ctx), cpu_(cpu), driver_(driver), p_(p), syscalls_(syscalls), host_(host) {
  // Summed over the host's packet sockets, for the platform's frame accounting.
  auto sum = [this](uint64_t (PacketSocket::*f)() const) {
    return [this, f] {
      uint64_t n = 0;
      for (const auto& s : sockets_) n += (*s.*f)();
      return static_cast<double>(n);
    };
  };
  ctx.stats().formula(host + ".packet.read", "frames", "frames the host's packet sockets' readers took",
                      sum(&PacketSocket::frames_read));
  ctx.stats().formula(host + ".packet.socket_drops", "frames", "frames the host's packet sockets dropped (full)",
                      sum(&PacketSocket::frames_dropped));
}

PacketSocket& PacketLayer::open(int netdev, Thread thread) {
  if (netdev < 0 || netdev >= driver_.netdevs())
    throw std::invalid_argument(fmt::format("{}: no netdev {} (the NIC has {} VNICs)", host_, netdev, driver_.netdevs()));
  sockets_.push_back(std::make_unique<PacketSocket>(ctx_, cpu_, driver_, p_, thread, syscalls_,
                                                    fmt::format("{}.packet.netdev{}", host_, netdev)));
  driver_.set_consumer(netdev, sockets_.back()->consumer());
  return *sockets_.back();
}

}  // namespace hostwire::kernel
