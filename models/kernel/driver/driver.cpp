#include "kernel/driver/driver.h"

#include <fmt/format.h>

#include "bus/payload.h"
#include "nic/tso.h"

namespace hostwire::kernel {

namespace {
constexpr int kKsoftirqdContext = 2000;  // thread ids of the ksoftirqd threads, per core
}

Driver::Driver(sc_core::sc_module_name name, SimContext& ctx, const DriverParams& params, cpu::Cpu& cpu,
               nic::DescriptorRings& rings, uint64_t nic_bar, int netdevs, const std::string& stat_name)
    : sc_module(name),
      mmio("mmio"),
      ctx_(ctx),
      p_(params),
      cpu_(cpu),
      rings_(rings),
      nic_bar_(nic_bar),
      name_(stat_name),
      log_(stat_name + ".driver"),
      irqs_(ctx.stats().counter(stat_name + ".interrupts", "interrupts", "NIC interrupts handled by the cores")),
      polls_count_(ctx.stats().counter(stat_name + ".napi_polls", "polls", "NAPI poll calls")),
      deferred_polls_(ctx.stats().counter(stat_name + ".ksoftirqd_polls", "polls",
                                          "NAPI polls deferred to ksoftirqd (thread priority) after netdev_budget")),
      backlogged_(ctx.stats().counter(stat_name + ".driver.qdisc_enqueued", "frames",
                                      "frames that waited in the qdisc because their TX queue was stopped")) {
  const int n = rings_.rings();
  consumers_.resize(static_cast<size_t>(std::max(1, netdevs)));
  rings_per_netdev_ = std::max(1, n / static_cast<int>(consumers_.size()));
  for (size_t d = 0; d < consumers_.size(); ++d)
    netdev_rx_.push_back(&ctx.stats().counter(fmt::format("{}.driver.netdev{}.rx_frames", stat_name, d), "frames",
                                              "frames the netdev (one per VNIC) handed to its consumer"));
  unbound_ = &ctx.stats().counter(stat_name + ".driver.dropped_unbound", "frames",
                                  "frames of a netdev no consumer is bound to");
  polls_.resize(static_cast<size_t>(n));
  for (int v = 0; v < n; ++v)
    polls_[static_cast<size_t>(v)].vcd_state =
        ctx.vcd().enumeration(fmt::format("{}.driver.napi{}.state", stat_name, v), {"idle", "scheduled", "polling"});
  ksoftirqd_.resize(static_cast<size_t>(cpu_.cores()));
  for (int c = 0; c < cpu_.cores(); ++c)
    ksoftirqd_[static_cast<size_t>(c)].vcd_state = ctx.vcd().enumeration(
        fmt::format("{}.driver.ksoftirqd{}.state", stat_name, c), {"sleeping", "runnable", "running"});
  queues_.resize(static_cast<size_t>(n));
  DynamicQueueLimit::Params dq{p_.bql_min_limit.n, p_.bql_max_limit.n, p_.bql_slack_hold};
  for (int r = 0; r < n; ++r) {
    TxQueue& q = queues_[static_cast<size_t>(r)];
    q.dql = DynamicQueueLimit(dq);
    const std::string t = fmt::format("{}.driver.txq{}", stat_name, r);
    q.vcd_backlog = ctx.vcd().wire(t + ".qdisc_frames", 32);
    q.vcd_ring = ctx.vcd().wire(t + ".ring_bytes", 32);
    q.vcd_limit = ctx.vcd().wire(t + ".bql_limit", 32);
    q.trace = ctx.trace().track(stat_name + ".driver", fmt::format("txq{}", r));
    trace_rx_rings_.push_back(ctx.trace().track(stat_name + ".nic", fmt::format("rx ring {}", r)));
    const TxQueue* qp = &q;
    ctx.stats().formula(t + ".ring_bytes_peak", "B", "most bytes posted to the TX ring and not yet completed at once",
                        [qp] { return static_cast<double>(qp->ring_bytes_peak); });
    ctx.stats().formula(t + ".bql_limit_peak", "B", "largest byte queue limit the queue reached",
                        [qp] { return static_cast<double>(qp->limit_peak); });
  }
  SC_HAS_PROCESS(Driver);
  SC_METHOD(irqs_due);
  sensitive << irq_due_;
  dont_initialize();
}

// ---------------------------------------------------------------- register writes

void Driver::mmio_write(uint64_t address, uint64_t value) {
  // A posted write: the core does not wait for it (the driver's cost covers issuing it).
  mmio_data_ = value;
  bus::prepare(mmio_gp_, tlm::TLM_WRITE_COMMAND, address, reinterpret_cast<uint8_t*>(&mmio_data_), 8);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  mmio->b_transport(mmio_gp_, delay);
  if (mmio_gp_.is_response_error())
    SC_REPORT_ERROR(name(), fmt::format("register write to 0x{:x} failed: {}", address, mmio_gp_.get_response_string()).c_str());
}

void Driver::doorbell(int ring, uint32_t posted) { mmio_write(nic_bar_ + nic::kTxDoorbell + 8 * static_cast<uint64_t>(ring), posted); }
void Driver::unmask(int vector) { mmio_write(nic_bar_ + nic::kIrqUnmask + 8 * static_cast<uint64_t>(vector), 1); }

// ---------------------------------------------------------------- interrupts and NAPI

void Driver::msi(int vector, Time at) {
  irq_queue_.emplace_back(at, vector);
  const Time now = hostwire::now();
  irq_due_.notify(to_sc(at > now ? at - now : Time{}));
}

void Driver::irqs_due() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!irq_queue_.empty() && irq_queue_.front().first <= now) {
    on_interrupt(irq_queue_.front().second);
    irq_queue_.pop_front();
  }
  if (!irq_queue_.empty()) irq_due_.notify(to_sc(irq_queue_.front().first - now));
}

void Driver::on_interrupt(int v) {
  irqs_.add();
  cpu::WorkItem w;
  w.cycles = p_.irq_handler.n;
  w.priority = cpu::Priority::irq;
  w.kind = "nic_irq";
  w.layer = "irq";
  w.done = [this, v] { napi_poll(v, true); };
  cpu_.core(v % cpu_.cores()).raise_interrupt(std::move(w));
}

void Driver::napi_poll(int v, bool from_irq) {
  Poll& poll = polls_[static_cast<size_t>(v)];
  const Time now = hostwire::now();
  poll.scheduled = true;
  // The completions whose write-back has landed in ring memory by now.
  nic::RxRingMemory& rx = rings_.rx(v);
  poll.rx = rx.visible(now, static_cast<uint32_t>(p_.napi_budget));
  // The interrupt's slice carries the frames it announced (a repoll has no interrupt).
  if (from_irq && ctx_.trace().recording(now))
    for (uint32_t i = 0; i < poll.rx; ++i)
      if (const uint64_t id = rx.peek(i).frame->packet.id; ctx_.trace().recording(id, now))
        cpu_.core(v % cpu_.cores()).trace_packet(id);
  poll.tx = rings_.tx(v).completed(now);
  const auto& c = cpu_.costs();
  // The consumer's protocol work that runs inside the poll (netif_receive_skb).
  int64_t inline_work = 0;
  const NetdevConsumer& consumer = consumers_[static_cast<size_t>(netdev_of(v))];
  if (consumer.poll_cycles)
    for (uint32_t i = 0; i < poll.rx; ++i) inline_work += consumer.poll_cycles(*rx.peek(i).frame);
  cpu::WorkItem w;
  w.cycles = (p_.poll_overhead + poll.rx * (p_.rx_descriptor + c.cache_miss) + poll.tx * p_.tx_clean).n + inline_work;
  if (poll.deferred) {
    w.priority = cpu::Priority::task;
    w.context = kKsoftirqdContext + v % cpu_.cores();
    w.kind = "ksoftirqd_poll";
    w.layer = "driver";
    deferred_polls_.add();
  } else {
    w.priority = cpu::Priority::softirq;
    w.kind = "napi_poll";
    w.layer = "driver";
    poll.softirq_work += poll.rx + poll.tx;
  }
  w.done = [this, v] { poll_done(v); };
  const int core = v % cpu_.cores();
  if (ctx_.vcd().is_open()) {  // tracing off: nothing here, and the item carries no hook
    trace_napi(v, NapiState::scheduled);
    if (poll.deferred) {
      ++ksoftirqd_[static_cast<size_t>(core)].queued;
      trace_ksoftirqd(core);
    }
    w.started.self = this;
    w.started.arg = 2 * int64_t{v} + (poll.deferred ? 1 : 0);
    w.started.fn = [](void* self, int64_t arg) {
      auto& d = *static_cast<Driver*>(self);
      const int vector = static_cast<int>(arg / 2), c = vector % d.cpu_.cores();
      d.trace_napi(vector, NapiState::polling);
      if (arg % 2 == 0) return;
      Ksoftirqd& k = d.ksoftirqd_[static_cast<size_t>(c)];
      --k.queued;
      k.running = true;
      d.trace_ksoftirqd(c);
    };
  }
  polls_count_.add();
  cpu_.core(core).submit(std::move(w));
}

void Driver::poll_done(int v) {
  Poll& poll = polls_[static_cast<size_t>(v)];
  const int core = v % cpu_.cores();
  if (poll.deferred && ksoftirqd_[static_cast<size_t>(core)].running) {
    ksoftirqd_[static_cast<size_t>(core)].running = false;
    trace_ksoftirqd(core);
  }
  const size_t netdev = static_cast<size_t>(netdev_of(v));
  const NetdevConsumer& consumer = consumers_[netdev];
  netdev_rx_[netdev]->add(poll.rx);
  for (uint32_t i = 0; i < poll.rx; ++i) {
    nic::RxRingMemory& ring = rings_.rx(v);
    // The slot goes back to the NIC now, or (zero copy) when the consumer releases it.
    const nic::RxDescriptor d = consumer.receive && consumer.zero_copy ? ring.take_held() : ring.take();
    Frame* f = d.frame;
    if (ctx_.trace().recording(f->packet.id, d.visible_at)) {
      // The frame waited in the ring from its completion's write-back until this poll took it.
      ctx_.trace().slice(trace_rx_rings_[static_cast<size_t>(v)], "in ring", "nic", d.visible_at,
                         hostwire::now() - d.visible_at, f->packet.id, TraceEventWriter::Flow::join);
      cpu_.core(core).trace_packet(f->packet.id);
    }
    if (consumer.receive) {
      consumer.receive(f, core, v);
    } else {
      unbound_->add();
      f->gp.release();
    }
  }
  if (consumer.poll_end) consumer.poll_end(core);
  if (poll.tx) clean(v, poll.tx);
  const Time now = hostwire::now();
  // Budget used up or more work arrived: poll again; else re-enable the interrupt.
  if (rings_.rx(v).visible(now, 1) > 0 || rings_.tx(v).completed(now) > 0) {
    // Past netdev_budget the rest waits for ksoftirqd, which the scheduler runs in turn with
    // the application threads (net_rx_action's time_squeeze).
    if (poll.softirq_work >= p_.netdev_budget) poll.deferred = true;
    napi_poll(v);
    return;
  }
  poll.scheduled = false;
  poll.deferred = false;
  poll.softirq_work = 0;
  if (ctx_.vcd().is_open()) trace_napi(v, NapiState::idle);
  unmask(v);
}

void Driver::trace_napi(int v, NapiState state) {
  ctx_.vcd().change(polls_[static_cast<size_t>(v)].vcd_state, hostwire::now(), static_cast<uint64_t>(state));
}

void Driver::trace_ksoftirqd(int core) {
  const Ksoftirqd& k = ksoftirqd_[static_cast<size_t>(core)];
  ctx_.vcd().change(k.vcd_state, hostwire::now(), k.running ? 2 : k.queued > 0 ? 1 : 0);
}

// ---------------------------------------------------------------- transmit

bool Driver::queue_runs(const TxQueue& q, int ring) const {
  return rings_.tx(ring).free_slots() > 0 && (!p_.bql || q.dql.avail() >= 0);
}

bool Driver::tx_stopped(int core) const { return stopped(ring_of(core)); }

bool Driver::stopped(int ring) const {
  const TxQueue& q = queues_[static_cast<size_t>(ring)];
  return !q.backlog.empty() || !queue_runs(q, ring);
}

void Driver::wait_tx(int core, std::function<void()> wake) {
  queues_[static_cast<size_t>(ring_of(core))].waiting.push_back(std::move(wake));
}

bool Driver::post(int ring, const Pending& p) {
  TxQueue& q = queues_[static_cast<size_t>(ring)];
  if (!queue_runs(q, ring) || !rings_.tx(ring).post(nic::TxDescriptor{p.frame, p.mss})) return false;
  if (tx_tap) tap_posted(*p.frame, p.mss);
  q.posted.push_back(Posted{p.conn, p.bytes});
  if (ctx_.trace().recording(p.frame->packet.id, p.at))
    ctx_.trace().slice(q.trace, "tx queue", "driver", p.at, hostwire::now() - p.at, p.frame->packet.id,
                       TraceEventWriter::Flow::join);
  q.dql.queued(p.bytes);
  ++q.unannounced;
  return true;
}

void Driver::tap_posted(const Frame& f, uint16_t mss) {
  if (mss == 0 || f.packet.payload.length <= mss) return tx_tap(f.packet);
  auto whole = nic::tso_whole_segment(f.packet);
  if (whole) return tx_tap(*whole);
  HW_LOG(log_, warn, "frame {}: no whole-segment view for the capture: {}", f.packet.id, whole.error());
  tx_tap(f.packet);
}

void Driver::xmit(Frame* f, int core, uint16_t mss, Conn* conn) {
  const int ring = ring_of(core);
  TxQueue& q = queues_[static_cast<size_t>(ring)];
  // The clock is read for the timeline only: tracing off costs nothing here.
  Pending p{f, mss, conn, f->packet.frame_bytes(), ctx_.trace().is_open() ? hostwire::now() : Time{}};
  if (conn) conn->bytes_below += p.bytes;
  if (q.backlog.empty() && post(ring, p)) {
    trace_queue(ring);
    return;
  }
  q.backlog.push_back(p);  // the queue is stopped: wait for TX completions
  backlogged_.add();
  trace_queue(ring);
}

void Driver::flush(int core) {
  const int ring = ring_of(core);
  auto& n = queues_[static_cast<size_t>(ring)].unannounced;
  if (n) doorbell(ring, n);
  n = 0;
}

void Driver::drain_backlog(int ring) {
  TxQueue& q = queues_[static_cast<size_t>(ring)];
  while (!q.backlog.empty() && post(ring, q.backlog.front())) q.backlog.pop_front();
  if (q.unannounced) doorbell(ring, q.unannounced);
  q.unannounced = 0;
}

void Driver::clean(int ring, uint32_t n) {
  TxQueue& q = queues_[static_cast<size_t>(ring)];
  rings_.tx(ring).clean(n);
  int64_t bytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const Posted d = q.posted.front();
    q.posted.pop_front();
    bytes += d.bytes;
    if (d.conn) {
      d.conn->bytes_below -= d.bytes;
      if (tx_freed_) tx_freed_(*d.conn, d.bytes);
    }
  }
  q.dql.completed(bytes, hostwire::now());
  drain_backlog(ring);
  trace_queue(ring);
  if (q.waiting.empty() || stopped(ring)) return;
  std::vector<std::function<void()>> wake;
  wake.swap(q.waiting);
  for (auto& w : wake) w();
}

void Driver::trace_queue(int ring) {
  TxQueue& q = queues_[static_cast<size_t>(ring)];
  q.ring_bytes_peak = std::max(q.ring_bytes_peak, q.dql.in_flight());
  if (p_.bql) q.limit_peak = std::max(q.limit_peak, q.dql.limit());
  if (q.vcd_ring < 0) return;  // not traced: no clock read on the hot path
  const Time now = hostwire::now();
  ctx_.vcd().change(q.vcd_backlog, now, q.backlog.size());
  ctx_.vcd().change(q.vcd_ring, now, static_cast<uint64_t>(q.dql.in_flight()));
  ctx_.vcd().change(q.vcd_limit, now, static_cast<uint64_t>(p_.bql ? q.dql.limit() : 0));
}

uint64_t Driver::frames_in_backlog() const {
  uint64_t n = 0;
  for (const auto& q : queues_) n += q.backlog.size();
  return n;
}

}  // namespace hostwire::kernel
