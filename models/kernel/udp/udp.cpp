#include "kernel/udp/udp.h"

#include <algorithm>

#include "kernel/conn/tcp_stack.h"
#include "kernel/driver/driver.h"
#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/frame.h"
#include "net/udp.h"

namespace hostwire::kernel {

UdpLayer::UdpLayer(SimContext& ctx, const UdpParams& p, const KernelParams& k, cpu::Cpu& cpu, Driver& driver,
                   net::Ipv4Address address, net::MacAddress mac,
                   std::function<net::MacAddress(net::Ipv4Address)> neighbour, Counter& syscalls, const std::string& n)
    : ctx_(ctx),
      p_(p),
      cpu_(cpu),
      driver_(driver),
      address_(address),
      mac_(mac),
      neighbour_(std::move(neighbour)),
      input_cycles_(k.ip_input + k.udp_input + k.socket_deliver),
      output_cycles_(k.udp_output + k.ip_output + driver.params().tx_descriptor),
      checksum_offload_(driver.params().tx_checksum_offload),
      syscalls_(syscalls),
      socket_drops_(ctx.stats().counter(n + ".udp.socket_drops", "datagrams",
                                        "datagrams dropped: the receiving socket's buffer was full")),
      no_port_(ctx.stats().counter(n + ".udp.stray", "datagrams", "datagrams to a port no socket is bound to")),
      received_(ctx.stats().counter(n + ".udp.received", "datagrams", "datagrams the receiver threads read")),
      wakeups_(ctx.stats().counter(n + ".udp.wakeups", "wake-ups", "receiver threads woken from a blocked recvmmsg")),
      trace_socket_(ctx.trace().track(n + ".socket", "udp receive queue")) {}

int64_t UdpLayer::poll_cycles() const { return input_cycles_.n; }

// ---------------------------------------------------------------- receive

std::vector<UdpReceiveSocket*> UdpLayer::bind(uint16_t port, const std::vector<Thread>& threads) {
  auto& group = ports_[port];
  std::vector<UdpReceiveSocket*> out;
  for (const Thread& t : threads) {
    group.push_back(std::make_unique<UdpReceiveSocket>(*this, t));
    out.push_back(group.back().get());
  }
  return out;
}

void UdpLayer::receive(Frame* f, net::Ipv4Address, size_t udp_offset, int core) {
  const auto h = f->packet.header_bytes();
  auto it = h.size() >= udp_offset + net::kUdpHeaderBytes ? ports_.find(net::load_be16(h.data() + udp_offset + 2))
                                                          : ports_.end();
  if (it == ports_.end() || it->second.empty()) {
    no_port_.add();
    f->gp.release();
    return;
  }
  UdpReceiveSocket& s = *it->second[static_cast<size_t>(core) % it->second.size()];
  const int64_t bytes = f->packet.frame_bytes();
  if (s.bytes_ + bytes > p_.rcvbuf.n) {
    socket_drops_.add();
    f->gp.release();
    return;
  }
  s.queue_.push_back(f);
  if (ctx_.trace().is_open()) s.queued_at_.push_back(hostwire::now());
  s.bytes_ += bytes;
  s.wake();
}

uint64_t UdpLayer::datagrams_queued() const {
  uint64_t n = 0;
  for (const auto& [port, group] : ports_)
    for (const auto& s : group) n += s->queued();
  return n;
}

void UdpReceiveSocket::recvmmsg(uint32_t max, std::function<void(std::span<Frame* const>)> done) {
  max_ = max;
  done_ = std::move(done);
  if (!busy_ && !queue_.empty()) start(false);
}

void UdpReceiveSocket::wake() {
  if (busy_ || !done_ || queue_.empty()) return;
  start(true);
}

void UdpReceiveSocket::start(bool woken) {
  const auto n = static_cast<uint32_t>(std::min<size_t>(max_, queue_.size()));
  const auto& c = udp_.cpu_.costs();
  double copy = 0;
  for (uint32_t i = 0; i < n; ++i) copy += c.copy_per_byte * queue_[i]->packet.payload.length;
  cpu::WorkItem w;
  // A call that resumes a blocked thread pays for waking it, as a TCP socket's does.
  w.cycles = (c.syscall + n * c.cache_miss + (woken ? c.wakeup : Cycles{})).n + static_cast<int64_t>(copy);
  if (woken) udp_.wakeups_.add();
  w.priority = cpu::Priority::task;
  w.context = thread_.context;
  w.kind = "udp_recv";
  w.layer = "app";
  if (udp_.ctx_.trace().is_open()) call_at_ = hostwire::now();
  w.done = [this, n] {
    taken_.clear();
    auto& trace = udp_.ctx_.trace();
    for (uint32_t i = 0; i < n; ++i) {
      Frame* f = queue_.front();
      queue_.pop_front();
      if (trace.is_open()) {
        const Time at = queued_at_.front();
        queued_at_.pop_front();
        if (trace.recording(f->packet.id, at)) {
          trace.slice(udp_.trace_socket_, "receive queue", "socket", at, std::max(at, call_at_) - at, f->packet.id,
                      TraceEventWriter::Flow::join);
          udp_.cpu_.core(thread_.core).trace_packet(f->packet.id);
        }
      }
      bytes_ -= f->packet.frame_bytes();
      taken_.push_back(f);
    }
    udp_.received_.add(n);
    busy_ = false;
    auto done = std::move(done_);
    done_ = nullptr;
    done(taken_);
  };
  busy_ = true;
  udp_.syscalls_.add();
  if (calls_) calls_->add();
  udp_.cpu_.core(thread_.core).submit(std::move(w));
}

// ---------------------------------------------------------------- send

UdpSendSocket& UdpLayer::open(Thread t, const std::vector<UdpFlow>& flows, const PayloadSlice& payload) {
  // Header templates, built (and checksummed over the payload) once per flow.
  std::vector<Packet> templates;
  std::vector<uint32_t> tags;
  for (const UdpFlow& fl : flows) {
    Packet pk;
    net::EthernetHeader eth{};
    eth.dst = neighbour_(fl.destination);
    eth.src = mac_;
    net::Ipv4Header ip{};
    ip.df = true;
    ip.src = address_;
    ip.dst = fl.destination;
    net::UdpHeader udp{fl.source_port, fl.destination_port, 0, 0};
    if (auto layout = net::build_udp_frame(pk, eth, ip, udp, payload); !layout)
      throw std::invalid_argument("cannot build a UDP datagram: " + layout.error());
    templates.push_back(pk);
    tags.push_back(fl.tag);
  }
  const auto& c = cpu_.costs();
  double per = static_cast<double>(output_cycles_.n) + c.copy_per_byte * payload.length;
  if (!checksum_offload_) per += c.checksum_per_byte * (payload.length + net::kUdpHeaderBytes);
  senders_.push_back(std::make_unique<UdpSendSocket>(*this, t, std::move(templates), std::move(tags),
                                                     static_cast<int64_t>(per)));
  return *senders_.back();
}

void UdpSendSocket::sendmmsg(uint32_t n, std::function<void(uint32_t, bool)> done) {
  cpu::WorkItem w;
  w.cycles = udp_.cpu_.costs().syscall.n + n * cycles_per_datagram_;
  w.priority = cpu::Priority::task;
  w.context = thread_.context;
  w.kind = "udp_send";
  w.layer = "app";
  w.done = [this, n, done = std::move(done)] {
    const Time now = hostwire::now();
    uint32_t sent = 0;
    bool stopped = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (udp_.driver_.tx_stopped(thread_.core)) {
        stopped = true;  // the thread sleeps until TX completions restart the queue
        break;
      }
      const size_t k = next_;
      next_ = (next_ + 1) % templates_.size();
      Frame* f = udp_.ctx_.frames().get();
      Packet& p = f->packet;
      p = templates_[k];
      // A new IPv4 ID per datagram; only the IPv4 header checksum depends on it.
      uint8_t* ip = p.header + net::kEthernetHeaderBytes;
      net::store_be16(ip + 4, ip_ids_[k]++);
      net::store_be16(ip + 10, 0);
      net::store_be16(ip + 10, net::ipv4_header_checksum({ip, 20}));
      p.id = udp_.ctx_.next_packet_id();
      p.flow = tags_[k];
      p.created = now;
      if (auto& trace = udp_.ctx_.trace(); trace.is_open()) {
        // A UDP flow is its 5-tuple; here the source port tells the flows apart.
        trace.admit(p.id, net::load_be16(p.header + net::kEthernetHeaderBytes + net::kIpv4MinHeaderBytes));
        if (trace.recording(p.id, now)) udp_.cpu_.core(thread_.core).trace_packet(p.id);
      }
      udp_.driver_.xmit(f, thread_.core, 0, nullptr);
      ++sent;
    }
    udp_.driver_.flush(thread_.core);  // one doorbell per call (xmit_more)
    done(sent, stopped);
  };
  udp_.syscalls_.add();
  if (calls_) calls_->add();
  udp_.cpu_.core(thread_.core).submit(std::move(w));
}

void UdpSendSocket::wait_writable(std::function<void()> wake) { udp_.driver_.wait_tx(thread_.core, std::move(wake)); }

}  // namespace hostwire::kernel
