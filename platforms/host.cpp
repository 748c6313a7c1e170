#include "platforms/host.h"

#include <algorithm>

#include "net/byte_order.h"
#include "net/checksum.h"
#include "wire/ethernet_timing.h"

namespace hostwire {

namespace {
// The host's bus address map.
constexpr uint64_t kMemoryBytes = 0xc000'0000;  // 3 GiB of DRAM at address 0
constexpr uint64_t kNicBar = 0xf000'0000;
constexpr uint64_t kNicBarBytes = 0x1'0000;
constexpr uint64_t kApic = 0xfee0'0000;  // where MSI-X messages are written (x86 LAPIC window)
constexpr uint64_t kApicBytes = 0x1000;

constexpr int kReaderContext = 1000;  // thread ids: senders count from 0, receivers from here
constexpr int kKsoftirqdContext = 2000;
}  // namespace

void host_params(std::vector<ParamSpec>& out, const std::string& h) {
  collect_schema<cpu::CpuParams>(out, h + ".cpu.");
  collect_schema<bus::BusParams>(out, h + ".bus.");
  collect_schema<bus::MemoryParams>(out, h + ".memory.");
  collect_schema<nic::NicParams>(out, h + ".nic.");
  collect_schema<DriverParams>(out, h + ".driver.");
  collect_schema<UdpParams>(out, h + ".udp.");
  collect_schema<kernel::KernelParams>(out, h + ".kernel.");
  collect_schema<tcp::TcpParams>(out, h + ".tcp.");
}

HostParams bind_host_params(const ParamValues& values, const std::string& h) {
  HostParams p;
  p.cpu = bind_params<cpu::CpuParams>(values, h + ".cpu.");
  p.bus = bind_params<bus::BusParams>(values, h + ".bus.");
  p.memory = bind_params<bus::MemoryParams>(values, h + ".memory.");
  p.nic = bind_params<nic::NicParams>(values, h + ".nic.");
  p.driver = bind_params<DriverParams>(values, h + ".driver.");
  p.udp = bind_params<UdpParams>(values, h + ".udp.");
  p.kernel = bind_params<kernel::KernelParams>(values, h + ".kernel.");
  p.tcp = bind_params<tcp::TcpParams>(values, h + ".tcp.");
  return p;
}

struct Host::Sender {
  UdpStream s;
  Counter* sent = nullptr;
  int ring = 0;
  int context = 0;
  size_t next_flow = 0;
  std::vector<uint16_t> ip_ids;
  int64_t sent_n = 0;
  uint32_t pending = 0;  // datagrams the running send call hands to the driver
  bool blocked = false;
  Time next_due{};
  Rng rng;
  sc_core::sc_event timer;
  int64_t cycles_per_datagram = 0;
};

Host::Host(sc_core::sc_module_name name, SimContext& ctx, const HostParams& params, uint8_t index,
           int64_t max_frame_bytes)
    : sc_module(name),
      ctx_(ctx),
      p_(params),
      name_(basename()),
      log_(name_),
      mac_{0x02, 0, 0, 0, index, 0},
      ip_(net::Ipv4Address::from_octets(10, 0, 0, index)),
      cpu_("cpu", ctx, params.cpu, name_ + ".cpu"),
      bus_("bus", ctx, params.bus, name_ + ".bus"),
      memory_("memory", ctx, params.memory, name_ + ".memory", kMemoryBytes),
      apic_("apic", ctx, Time{}, name_ + ".apic"),
      mmio_("mmio"),
      syscalls_(ctx.stats().counter(name_ + ".syscalls", "calls", "system calls made by the host's threads")),
      irqs_(ctx.stats().counter(name_ + ".interrupts", "interrupts", "NIC interrupts handled by the cores")),
      polls_count_(ctx.stats().counter(name_ + ".napi_polls", "polls", "NAPI poll calls")),
      deferred_polls_(ctx.stats().counter(name_ + ".ksoftirqd_polls", "polls",
                                          "NAPI polls deferred to ksoftirqd (thread priority) after netdev_budget")),
      socket_drops_(ctx.stats().counter(name_ + ".udp.socket_drops", "datagrams",
                                        "datagrams dropped: the receiving socket's buffer was full")),
      stray_(ctx.stats().counter(name_ + ".udp.stray", "frames", "frames that were not UDP/IPv4 for this host")),
      received_(ctx.stats().counter(name_ + ".udp.received", "datagrams", "datagrams the receiver threads read")) {
  std::vector<net::MacAddress> vnic_macs;
  for (int64_t v = 0; v < p_.nic.vnics; ++v) vnic_macs.push_back({0x02, 0, 0, 0, index, static_cast<uint8_t>(v)});
  nic::NicMemoryMap map;
  map.msix = kApic;
  nic_ = std::make_unique<nic::Nic>("nic", ctx, p_.nic, name_ + ".nic", max_frame_bytes, vnic_macs, map);

  nic_->dma.bind(bus_.in);
  mmio_.bind(bus_.in);
  bus_.out.bind(memory_.in);
  bus_.out.bind(nic_->registers.in);
  bus_.out.bind(apic_.in);
  bus_.map(0, kMemoryBytes, 0, "memory", bus::Side::host);
  bus_.map(kNicBar, kNicBarBytes, 1, "nic registers", bus::Side::device);
  bus_.map(kApic, kApicBytes, 2, "interrupt controller", bus::Side::host);

  const int rings = nic_->rings();
  backlog_.resize(static_cast<size_t>(rings));
  unannounced_.resize(static_cast<size_t>(rings));
  kernel::HostPort port;
  port.cpu = &cpu_;
  port.ip = ip_;
  port.mac = mac_;
  port.neighbour = [this](net::Ipv4Address a) { return neighbour_ ? neighbour_(a) : net::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; };
  port.transmit = [this](Frame* f, int core, uint16_t mss) { xmit(f, core, mss); };
  port.flush = [this](int core) { flush_doorbells(core); };
  port.tso = p_.nic.tso;
  port.syscalls = &syscalls_;
  stack_ = std::make_unique<kernel::TcpStack>("tcp", ctx, p_.kernel, p_.tcp, std::move(port), name_ + ".tcp");
  polls_.resize(static_cast<size_t>(rings));
  blocked_.resize(static_cast<size_t>(rings));
  sockets_.resize(static_cast<size_t>(cpu_.cores()));
  reading_.resize(static_cast<size_t>(cpu_.cores()));
  for (int v = 0; v < rings; ++v)
    apic_.on_write(4 * static_cast<uint64_t>(v), [this, v](uint64_t, Time at) {
      // The message lands at `at`; the interrupt is taken then.
      irq_queue_.emplace_back(at, v);
      const Time now = hostwire::now();
      irq_due_.notify(to_sc(at > now ? at - now : Time{}));
    });
  SC_HAS_PROCESS(Host);
  SC_METHOD(irqs_due);
  sensitive << irq_due_;
  dont_initialize();

  auto& st = ctx.stats();
  st.formula(name_ + ".syscall_rate", "calls/s", "system calls per second",
             [this] { return static_cast<double>(syscalls_.value()) / hostwire::now().seconds(); });
  st.formula(name_ + ".interrupt_rate", "interrupts/s", "NIC interrupts handled per second",
             [this] { return static_cast<double>(irqs_.value()) / hostwire::now().seconds(); });
}

Host::~Host() = default;

// ---------------------------------------------------------------- register writes

void Host::mmio_write(uint64_t address, uint64_t value) {
  // A posted write: the core does not wait for it (the driver's cost covers issuing it).
  mmio_data_ = value;
  mmio_gp_.set_command(tlm::TLM_WRITE_COMMAND);
  mmio_gp_.set_address(address);
  mmio_gp_.set_data_ptr(reinterpret_cast<uint8_t*>(&mmio_data_));
  mmio_gp_.set_data_length(8);
  mmio_gp_.set_streaming_width(8);
  mmio_gp_.set_byte_enable_ptr(nullptr);
  mmio_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  mmio_->b_transport(mmio_gp_, delay);
  if (mmio_gp_.is_response_error())
    SC_REPORT_ERROR(name(), fmt::format("register write to 0x{:x} failed: {}", address, mmio_gp_.get_response_string()).c_str());
}

void Host::doorbell(int ring, uint32_t posted) { mmio_write(kNicBar + nic::Nic::kTxDoorbell + 8 * static_cast<uint64_t>(ring), posted); }
void Host::unmask(int vector) { mmio_write(kNicBar + nic::Nic::kIrqUnmask + 8 * static_cast<uint64_t>(vector), 1); }

// ---------------------------------------------------------------- interrupts and NAPI

void Host::irqs_due() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!irq_queue_.empty() && irq_queue_.front().first <= now) {
    on_interrupt(irq_queue_.front().second);
    irq_queue_.pop_front();
  }
  if (!irq_queue_.empty()) irq_due_.notify(to_sc(irq_queue_.front().first - now));
}

void Host::on_interrupt(int v) {
  irqs_.add();
  cpu::WorkItem w;
  w.cycles = p_.driver.irq_handler;
  w.priority = cpu::Priority::irq;
  w.kind = "nic_irq";
  w.done = [this, v] { napi_poll(v); };
  cpu_.core(v % cpu_.cores()).raise_interrupt(std::move(w));
}

void Host::napi_poll(int v) {
  Poll& poll = polls_[static_cast<size_t>(v)];
  const Time now = hostwire::now();
  poll.scheduled = true;
  poll.rx = nic_->rx_visible(v, now, static_cast<uint32_t>(p_.driver.napi_budget));
  poll.tx = nic_->tx_completed(v, now);
  const auto& c = cpu_.costs();
  cpu::WorkItem w;
  // UDP's protocol work runs in the poll; a TCP segment's runs on its conn's core (event list).
  uint32_t udp = 0;
  for (uint32_t i = 0; i < poll.rx; ++i) {
    const auto h = nic_->rx_peek(v, i).frame->packet.header_bytes();
    if (h.size() > 23 && h[23] == 17) ++udp;
  }
  w.cycles = p_.driver.poll_overhead + poll.rx * (p_.driver.rx_descriptor + c.cache_miss) + udp * c.packet_protocol +
             poll.tx * p_.driver.tx_clean;
  if (poll.deferred) {
    w.priority = cpu::Priority::task;
    w.context = kKsoftirqdContext + v % cpu_.cores();
    w.kind = "ksoftirqd_poll";
    deferred_polls_.add();
  } else {
    w.priority = cpu::Priority::softirq;
    w.kind = "napi_poll";
    poll.softirq_work += poll.rx + poll.tx;
  }
  w.done = [this, v] { poll_done(v); };
  polls_count_.add();
  cpu_.core(v % cpu_.cores()).submit(std::move(w));
}

void Host::poll_done(int v) {
  Poll& poll = polls_[static_cast<size_t>(v)];
  const int core = v % cpu_.cores();
  for (uint32_t i = 0; i < poll.rx; ++i) stack_receive(nic_->rx_take(v).frame, core);
  stack_->poll_end(core);
  if (poll.tx) {
    nic_->tx_clean(v, poll.tx);
    drain_backlog(v);
    wake_senders(v);
  }
  const Time now = hostwire::now();
  // Budget used up or more work arrived: poll again; else re-enable the interrupt.
  if (nic_->rx_visible(v, now, 1) > 0 || nic_->tx_completed(v, now) > 0) {
    // Past netdev_budget the rest waits for ksoftirqd, which the scheduler runs in turn with
    // the application threads (net_rx_action's time_squeeze).
    if (poll.softirq_work >= p_.driver.netdev_budget) poll.deferred = true;
    napi_poll(v);
    return;
  }
  poll.scheduled = false;
  poll.deferred = false;
  poll.softirq_work = 0;
  unmask(v);
}

// ---------------------------------------------------------------- UDP receive

void Host::stack_receive(Frame* f, int core) {
  const auto h = f->packet.header_bytes();
  // IPv4 (EtherType 0x0800), UDP (protocol 17), to this host's address.
  const bool ipv4_for_us = h.size() >= 34 && net::load_be16(h.data() + 12) == 0x0800 &&
                          net::load_be32(h.data() + 30) == ip_.value;
  if (ipv4_for_us && h[23] == 6) {
    stack_->receive(f, core);
    return;
  }
  const bool ours = ipv4_for_us && h.size() >= 42 && h[23] == 17;
  if (!ours || f->packet.flow >= rx_stats_.size() || !rx_stats_[f->packet.flow].datagrams) {
    stray_.add();
    f->gp.release();
    return;
  }
  Socket& s = sockets_[static_cast<size_t>(core)];
  const int64_t bytes = f->packet.frame_bytes();
  if (s.bytes + bytes > p_.udp.rcvbuf.n) {
    socket_drops_.add();
    f->gp.release();
    return;
  }
  s.queue.push_back(f);
  s.bytes += bytes;
  reader_wake(core);
}

void Host::reader_wake(int core) {
  Socket& s = sockets_[static_cast<size_t>(core)];
  if (s.reader_busy || s.queue.empty()) return;
  const auto n = static_cast<uint32_t>(std::min<size_t>(static_cast<size_t>(p_.udp.recv_batch), s.queue.size()));
  const auto& c = cpu_.costs();
  double copy = 0;
  for (uint32_t i = 0; i < n; ++i) copy += c.copy_per_byte * s.queue[i]->packet.payload.length;
  cpu::WorkItem w;
  w.cycles = c.syscall + n * c.cache_miss + static_cast<int64_t>(copy);
  w.priority = cpu::Priority::task;
  w.context = kReaderContext + core;
  w.kind = "udp_recv";
  w.done = [this, core] { reader_done(core); };
  s.reader_busy = true;
  reading_[static_cast<size_t>(core)] = n;
  syscalls_.add();
  cpu_.core(core).submit(std::move(w));
}

void Host::reader_done(int core) {
  Socket& s = sockets_[static_cast<size_t>(core)];
  const Time now = hostwire::now();
  for (uint32_t i = 0; i < reading_[static_cast<size_t>(core)]; ++i) {
    Frame* f = s.queue.front();
    s.queue.pop_front();
    s.bytes -= f->packet.frame_bytes();
    UdpFlowStats& st = rx_stats_[f->packet.flow];
    st.datagrams->add();
    st.bytes->add(f->packet.payload.length);
    st.latency->record((now - f->packet.created).ps);
    received_.add();
    f->gp.release();
  }
  s.reader_busy = false;
  reader_wake(core);
}

uint64_t Host::datagrams_in_sockets() const {
  uint64_t n = 0;
  for (const auto& s : sockets_) n += s.queue.size();
  return n;
}

// ---------------------------------------------------------------- UDP send

void Host::add_sender(const UdpStream& stream, Counter& sent) {
  auto s = std::make_unique<Sender>();
  s->s = stream;
  s->sent = &sent;
  s->ring = stream.core % nic_->rings();
  s->context = static_cast<int>(senders_.size());
  s->ip_ids.assign(stream.flows.size(), 0);
  s->rng = ctx_.rng(stream.name + std::to_string(stream.seed_stream));
  const auto& c = cpu_.costs();
  double per = static_cast<double>(c.packet_protocol + p_.driver.tx_descriptor) + c.copy_per_byte * stream.payload.length;
  if (!p_.driver.tx_checksum_offload) per += c.checksum_per_byte * stream.payload.length;
  s->cycles_per_datagram = static_cast<int64_t>(per);
  s->next_due = stream.start;
  Sender* sp = s.get();
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.set_sensitivity(&sp->timer);
  opt.dont_initialize();
  sc_core::sc_spawn([this, sp] { sender_timer(*sp); }, sc_core::sc_gen_unique_name("sender"), &opt);
  sp->timer.notify(to_sc(stream.start));
  senders_.push_back(std::move(s));
}

void Host::sender_timer(Sender& s) {
  ctx_.activation();
  sender_step(s);
}

void Host::sender_step(Sender& s) {
  const Time now = hostwire::now();
  if ((s.s.count > 0 && s.sent_n >= s.s.count) || (s.s.stop.ps > 0 && now >= s.s.stop)) return;
  int64_t n = s.s.batch;
  if (s.s.count > 0) n = std::min(n, s.s.count - s.sent_n);
  s.pending = static_cast<uint32_t>(n);
  cpu::WorkItem w;
  w.cycles = cpu_.costs().syscall + n * s.cycles_per_datagram;
  w.priority = cpu::Priority::task;
  w.context = s.context;
  w.kind = "udp_send";
  Sender* sp = &s;
  w.done = [this, sp] { sender_done(*sp); };
  syscalls_.add();
  cpu_.core(s.s.core).submit(std::move(w));
}

void Host::sender_done(Sender& s) {
  const Time now = hostwire::now();
  uint32_t posted = 0;
  for (uint32_t i = 0; i < s.pending; ++i) {
    if (nic_->tx_free(s.ring) == 0) {
      // The queue is stopped: the thread sleeps until TX completions free descriptors.
      s.blocked = true;
      break;
    }
    const size_t k = s.next_flow;
    s.next_flow = (s.next_flow + 1) % s.s.flows.size();
    Frame* f = ctx_.frames().get();
    Packet& p = f->packet;
    p = s.s.flows[k];
    // A new IPv4 ID per datagram; only the IPv4 header checksum depends on it.
    uint8_t* ip = p.header + wire::kEthernetHeaderBytes;
    net::store_be16(ip + 4, s.ip_ids[k]++);
    net::store_be16(ip + 10, 0);
    net::store_be16(ip + 10, net::ipv4_header_checksum({ip, 20}));
    p.id = ctx_.next_packet_id();
    p.flow = s.s.workload;
    p.created = now;
    nic_->tx_post(s.ring, nic::TxDescriptor{f, 0});
    ++posted;
    ++s.sent_n;
    s.sent->add();
  }
  s.pending = 0;
  if (posted) doorbell(s.ring, posted);  // one doorbell per call (xmit_more)
  if (s.blocked) {
    blocked_[static_cast<size_t>(s.ring)].push_back(&s);
    return;
  }
  if (s.s.pattern == "line_rate") {
    sender_step(s);
    return;
  }
  Time gap = s.s.interval;
  if (s.s.pattern == "poisson") gap = Time{static_cast<int64_t>(s.rng.exponential(static_cast<double>(gap.ps)))};
  s.next_due = s.next_due + gap;
  if (s.next_due <= now)
    sender_step(s);
  else
    s.timer.notify(to_sc(s.next_due - now));
}

void Host::xmit(Frame* f, int core, uint16_t mss) {
  const int ring = core % nic_->rings();
  auto& backlog = backlog_[static_cast<size_t>(ring)];
  if (backlog.empty() && nic_->tx_post(ring, nic::TxDescriptor{f, mss})) {
    ++unannounced_[static_cast<size_t>(ring)];
    return;
  }
  backlog.emplace_back(f, mss);  // the queue is stopped: wait for TX completions
}

void Host::flush_doorbells(int core) {
  const int ring = core % nic_->rings();
  auto& n = unannounced_[static_cast<size_t>(ring)];
  if (n) doorbell(ring, n);
  n = 0;
}

void Host::drain_backlog(int ring) {
  auto& backlog = backlog_[static_cast<size_t>(ring)];
  uint32_t posted = 0;
  while (!backlog.empty() && nic_->tx_post(ring, nic::TxDescriptor{backlog.front().first, backlog.front().second})) {
    backlog.pop_front();
    ++posted;
  }
  if (posted) doorbell(ring, posted);
}

uint64_t Host::frames_in_backlog() const {
  uint64_t n = 0;
  for (const auto& b : backlog_) n += b.size();
  return n;
}

void Host::wake_senders(int ring) {
  auto& waiting = blocked_[static_cast<size_t>(ring)];
  if (waiting.empty() || nic_->tx_free(ring) == 0) return;
  std::vector<Sender*> wake;
  wake.swap(waiting);
  for (Sender* s : wake) {
    s->blocked = false;
    sender_step(*s);
  }
}

}  // namespace hostwire
