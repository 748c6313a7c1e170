#include "kernel/conn/tcp_stack.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "net/frame.h"

namespace hostwire::kernel {

namespace {
constexpr uint16_t kFirstEphemeralPort = 40000;

// The stack's list for a TCP state; empty for the data-transfer states, which run the conn's
// data list.
const char* list_state(tcp::State s) {
  switch (s) {
    case tcp::State::listen: return "listen";
    case tcp::State::time_wait: return "time_wait";
    case tcp::State::closed: return "closed";
    default: return "";
  }
}
}  // namespace

TcpStack::TcpStack(sc_core::sc_module_name name, SimContext& ctx, const KernelParams& kp, const tcp::TcpParams& tp,
                   const ParallelParams& parallel, HostPort port, ThreadIds& threads, const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      kp_(kp),
      tp_(tp),
      port_(std::move(port)),
      threads_(threads),
      name_(stat_name),
      log_(stat_name),
      segments_in_(ctx.stats().counter(stat_name + ".segments_in", "segments", "TCP segments received")),
      segments_out_(ctx.stats().counter(stat_name + ".segments_out", "segments", "TCP segments handed to the driver")),
      dropped_no_conn_(ctx.stats().counter(stat_name + ".dropped_no_conn", "segments",
                                           "segments for no conn and no listener (answered with a RST)")),
      dropped_malformed_(ctx.stats().counter(stat_name + ".dropped_malformed", "frames", "frames whose headers did not parse")),
      handovers_(ctx.stats().counter(stat_name + ".handovers", "packets",
                                     "packets processed on their conn's core after arriving on another")),
      state_changes_(ctx.stats().counter(stat_name + ".state_changes", "changes", "event-list rewrites (conn state changes)")),
      rst_sent_(ctx.stats().counter(stat_name + ".rst_sent", "segments", "RSTs sent for segments of no conn")),
      app_tx_(ctx.stats().counter(stat_name + ".app_tx_bytes", "B", "bytes the host's TCP applications wrote")),
      app_rx_(ctx.stats().counter(stat_name + ".app_rx_bytes", "B", "bytes the host's TCP applications read")),
      tsq_throttled_(ctx.stats().counter(stat_name + ".tsq_throttled", "times",
                                         "new data held back by TCP small queues until TX completions")),
      layer_drops_(ctx.stats().counter(stat_name + ".layer_drops", "packets",
                                       "packets a layer of a conn's event list dropped")),
      deferred_items_(ctx.stats().counter(stat_name + ".deferred_items", "items",
                                          "follow-up items charging layers' per-byte work (a framer's scan)")),
      socket_stats_{
          ctx.stats().counter(stat_name + ".wakeups", "wake-ups",
                              "application threads woken from a blocked socket call or poll"),
          ctx.stats().counter(stat_name + ".kbuf.messages", "messages", "messages the kbuf layer framed"),
          ctx.stats().counter(stat_name + ".kbuf.oversize", "messages",
                              "messages over the framer's maximum or the receive buffer"),
          ctx.stats().counter(stat_name + ".kbuf.malformed", "conns", "conns whose bytes a framer rejected"),
          ctx.stats().counter(stat_name + ".kbuf.timeouts", "messages", "messages incomplete at their assembly timeout"),
          ctx.stats().counter(stat_name + ".kbuf.fallbacks", "conns",
                              "conns whose framing gave way to a plain stream (policy stream)"),
          ctx.stats().counter(stat_name + ".kbuf.discarded_bytes", "B",
                              "received bytes kbuf dropped: a bad message under policy error, or an unfinished "
                              "message at the peer's close"),
          ctx.stats().gauge(stat_name + ".kbuf.bytes", "B", "received bytes the kbuf layer holds for readers"),
          ctx.vcd().wire(stat_name + ".kbuf.bytes", 32)},
      parallel_(*this, parallel),
      offload_(*this, port_.toe, port_.toe_params, kp_.toe_post, kp_.toe_completion) {
  // The protocol database: each layer once, with its cost; lists are picked from it by name.
  db_.add({"ip_input", "ipv4", kp_.ip_input, &TcpStack::ip_input});
  db_.add({"tcp_input", "tcp", kp_.tcp_input, &TcpStack::tcp_input});
  db_.add({"tcp_listen", "tcp", kp_.tcp_listen, &TcpStack::tcp_listen});
  db_.add({"tcp_time_wait", "tcp", kp_.tcp_time_wait, &TcpStack::tcp_time_wait});
  db_.add({"socket_deliver", "socket", kp_.socket_deliver, &TcpStack::socket_deliver});
  db_.add({"tap_trace", "tap", kp_.tap_trace, &TcpStack::tap_trace});
  established_ = *db_.list({"ip_input", "tcp_input", "socket_deliver"});
  established_tap_ = *db_.list({"ip_input", "tap_trace", "tcp_input", "socket_deliver"});
  listening_ = *db_.list({"ip_input", "tcp_listen"});
  time_wait_ = *db_.list({"ip_input", "tcp_time_wait"});
  base_state_ = kp_.tap ? "tap" : "established";
  // The operational states conns enter, the stack's own and the modules' (kernel/socket's kbuf).
  for (const char* st : {"established", "tap", "listen", "time_wait", "closed", "kbuf", "offloaded"}) add_state(st);
  // Every in-order byte is read, held, or dropped with its conn: what a byte accounting across
  // a reset needs (the bytes a peer wrote that never got here in order are the difference).
  ctx.stats().formula(stat_name + ".rx_in_order_bytes", "B",
                      "payload bytes the host's conns received in order (read, held for the applications, or "
                      "dropped unread with a conn)",
                      [this] { return static_cast<double>(bytes_received()); });
  // Reordering as the host's conns saw it: as receivers (segments above a hole, and data that
  // was here already) and as senders (retransmissions the receiver turned out not to need).
  auto sum = [this](auto f) {
    return [this, f] {
      uint64_t n = 0;
      for (const auto& c : conns_) n += f(*c->tcp);
      return static_cast<double>(n);
    };
  };
  ctx.stats().formula(stat_name + ".out_of_order_segments", "segments",
                      "segments with data the host's conns received above a hole",
                      sum([](const tcp::Connection& t) { return t.out_of_order_segments(); }));
  ctx.stats().formula(stat_name + ".duplicate_segments", "segments",
                      "segments whose data the host's conns had all received already (a spurious retransmission "
                      "or a copy)",
                      sum([](const tcp::Connection& t) { return t.duplicate_segments(); }));
  ctx.stats().formula(stat_name + ".spurious_retransmits", "segments",
                      "retransmissions whose original had arrived: the ACK covering them echoes an older timestamp "
                      "(Eifel, RFC 3522)",
                      sum([](const tcp::Connection& t) { return t.spurious_retransmits(); }));
  dirty_.resize(static_cast<size_t>(port_.cpu->cores()));
  trace_track_ = ctx.trace().track(stat_name, "conn states");
  trace_socket_ = ctx.trace().track(stat_name + ".socket", "receive queue");
  trace_send_buffer_ = ctx.trace().track(stat_name + ".socket", "send buffer");

  SC_HAS_PROCESS(TcpStack);
  SC_METHOD(timers_due);
  sensitive << timer_event_;
  dont_initialize();
}

// ---------------------------------------------------------------- conns and states

Conn& TcpStack::new_conn(int core, net::Ipv4Address peer, uint16_t local_port, uint16_t remote_port) {
  conns_.push_back(std::make_unique<Conn>(next_id_++, core, peer, local_port, remote_port));
  Conn& c = *conns_.back();
  c.tcp = std::make_unique<tcp::Connection>(tp_, nullptr, isn_, local_port, remote_port);
  isn_ = isn_ * 1103515245u + 12345u;  // deterministic, distinct initial sequence numbers
  c.data_state = base_state_;
  c.data_list = base_data_list();
  Conn* cp = &c;
  // Signals exist from the start: conns a listener accepts during the run have none.
  if (!sc_core::sc_is_running()) {
    const std::string n = fmt::format("{}.conn{}", name_, c.id);
    auto& vcd = ctx_.vcd();
    c.vcd_below = vcd.wire(n + ".bytes_below", 32);
    c.vcd_cwnd = vcd.wire(n + ".cwnd", 64);
    c.vcd_ssthresh = vcd.wire(n + ".ssthresh", 64);
    c.vcd_srtt = vcd.wire(n + ".srtt", 64);
    c.vcd_send_buffer = vcd.wire(n + ".send_buffer_bytes", 32);
    c.vcd_receive_buffer = vcd.wire(n + ".receive_buffer_bytes", 32);
  }
  if (tp_.limit_output_bytes.n > 0) c.tcp->set_transmit_gate([this, cp](uint64_t len) { return tsq_admit(*cp, len); });
  if (parallel_.on()) {
    c.parallel = true;
    c.tcp->set_piece_mode(true);
  }
  c.tcp->on_state_change = [this, cp](tcp::State, tcp::State to, Time now) {
    state_changed(*cp, to, now);
  };
  return c;
}

void TcpStack::state_changed(Conn& c, tcp::State to, Time now) {
  const std::string state = list_state(to);
  if (state.empty()) {
    if (c.state != c.data_state) enter_state(c, c.data_state, c.data_list, now);
  } else if (state == c.state) {
    return;
  } else if (state == "listen") {
    enter_state(c, state, listening_, now);
  } else if (state == "time_wait") {
    enter_state(c, state, time_wait_, now);
  } else {  // closed: no list; the conn leaves the lookup table, later segments get a RST
    enter_state(c, state, EventList{}, now);
    by_key_.erase(Key{c.peer.value, c.local_port, c.remote_port});
  }
}

void TcpStack::set_data_state(Conn& c, const std::string& state, const EventList& list, Time now) {
  const bool there = c.state == c.data_state;
  c.data_state = state;
  c.data_list = list;
  if (there) enter_state(c, state, list, now);
}

void TcpStack::enter_state(Conn& c, const std::string& state, const EventList& list, Time now) {
  HW_LOG(log_, info, "conn {} ({}:{}): {} -> {} [{}]", c.id, net::to_string(c.peer), c.remote_port,
         c.state.empty() ? "new" : c.state, state, c.tcp->state_name());
  if (ctx_.trace().recording(c.id, now)) ctx_.trace().instant(trace_track_, state.c_str(), "tcp", now, c.id);
  state_changes_.add();
  if (auto it = state_entries_.find(state); it != state_entries_.end()) it->second->add();
  c.state = state;
  c.list = list;
  ++c.list_generation;
}

// ---------------------------------------------------------------- receive

void TcpStack::receive(Frame* f, net::Ipv4Address src, size_t tcp_offset, int core) {
  const auto h = f->packet.header_bytes();
  auto tcp = h.size() >= tcp_offset + net::kTcpMinHeaderBytes
                 ? net::decode_tcp(h.subspan(tcp_offset))
                 : net::Result<net::Decoded<net::TcpHeader>>(net::fail("tcp header past buffer"));
  if (!tcp) {
    dropped_malformed_.add();
    f->gp.release();
    return;
  }
  segments_in_.add();
  Input in{f, tcp::Segment{tcp->header, f->packet.payload}, src, core};
  auto it = by_key_.find(Key{src.value, in.segment.header.dst_port, in.segment.header.src_port});
  Conn* c = it != by_key_.end() ? it->second : nullptr;
  if (!c) {
    auto l = listeners_.find(in.segment.header.dst_port);
    if (l != listeners_.end() && in.segment.has(net::tcp_flag::syn) && !in.segment.has(net::tcp_flag::ack))
      c = l->second.conn;
  }
  if (!c) {
    dropped_no_conn_.add();
    if (auto rst = tcp::make_rst_reply(in.segment)) {
      // Sent from the core it arrived on, outside any conn.
      Conn tmp(0, core, src, in.segment.header.dst_port, in.segment.header.src_port);
      emit(tmp, *rst);
      port_.flush(core);
      rst_sent_.add();
    }
    f->gp.release();
    return;
  }
  c->queue.push_back(std::move(in));
  if (!c->dirty && !c->work_scheduled) {
    c->dirty = true;
    dirty_[static_cast<size_t>(core)].push_back(c);
  }
}

void TcpStack::poll_end(int core) {
  auto& d = dirty_[static_cast<size_t>(core)];
  for (Conn* c : d) {
    c->dirty = false;
    if (!c->work_scheduled) schedule_work(*c);
  }
  d.clear();
}

void TcpStack::schedule_work(Conn& c) {
  const auto n = static_cast<uint32_t>(c.queue.size());
  if (n == 0) return;
  Cycles cycles = c.list.cycles() * n;
  for (uint32_t i = 0; i < n; ++i)
    if (c.queue[i].arrival_core != c.core) cycles = cycles + kp_.handover;
  c.work_scheduled = true;
  c.batch = n;
  cpu::WorkItem w;
  w.cycles = cycles.n;
  w.priority = cpu::Priority::softirq;
  w.kind = "conn_input";
  w.layer = "tcp";
  Conn* cp = &c;
  w.done = [this, cp] { run_work(*cp); };
  port_.cpu->core(c.core).submit(std::move(w));
}

void TcpStack::run_work(Conn& c) {
  for (uint32_t i = 0; i < c.batch; ++i) {
    Input in = std::move(c.queue.front());
    c.queue.pop_front();
    if (in.arrival_core != c.core) handovers_.add();
    if (in.frame && ctx_.trace().is_open() && ctx_.trace().recording(in.frame->packet.id, hostwire::now()))
      port_.cpu->core(c.core).trace_packet(in.frame->packet.id);
    run_list(c, in);
    in.frame->gp.release();
  }
  c.work_scheduled = false;
  if (c.extra_cycles.n > 0) {
    run_deferred(c);  // the wake-up waits for the layers' extra work
  } else if (c.wake_deferred) {
    c.wake_deferred = false;
    if (c.socket) c.socket->wake();
  }
  collect_output(c);
  arm_timer(c);
  if (!c.queue.empty()) schedule_work(c);
}

void TcpStack::run_list(Conn& c, Input& in) {
  // The list as it is when the packet reaches it; a layer that rewrites it (a state change)
  // ends this packet's pass, and the next packet runs the new list.
  const uint64_t gen = c.list_generation;
  for (size_t k = 0; k < c.list.layers.size(); ++k) {
    const Verdict v = c.list.layers[k]->fn(*this, c, in);
    if (v == Verdict::drop) layer_drops_.add();
    if (v != Verdict::next || c.list_generation != gen) break;
  }
}

Verdict TcpStack::ip_input(TcpStack&, Conn&, Input&) { return Verdict::next; }  // parsed on arrival; the cost is the point

Verdict TcpStack::tcp_input(TcpStack&, Conn& c, Input& in) {
  c.tcp->on_segment(in.segment, hostwire::now());
  return Verdict::next;
}

Verdict TcpStack::tcp_time_wait(TcpStack&, Conn& c, Input& in) {
  c.tcp->on_segment(in.segment, hostwire::now());  // the engine only acknowledges in TIME_WAIT
  return Verdict::consumed;
}

Verdict TcpStack::tap_trace(TcpStack& s, Conn& c, Input& in) {
  HW_LOG(s.log_, debug, "tap conn {}: seq {} ack {} len {} flags 0x{:x}", c.id, in.segment.header.seq,
         in.segment.header.ack, in.segment.payload.length, in.segment.header.flags);
  return Verdict::next;
}

Verdict TcpStack::socket_deliver(TcpStack&, Conn& c, Input& in) {
  if (!c.socket) return Verdict::consumed;
  c.socket->note_rx(in);
  // The reader is woken once the conn's batch is through (run_work), as a thread woken from
  // softirq runs after it: it then sees every byte the poll brought, not the first packet's.
  c.wake_deferred = true;
  return Verdict::consumed;
}

void TcpStack::run_deferred(Conn& c) {
  deferred_items_.add();
  cpu::WorkItem w;
  w.cycles = c.extra_cycles.n;
  c.extra_cycles = {};
  w.priority = cpu::Priority::softirq;
  w.kind = "conn_layers";
  w.layer = "tcp";
  Conn* cp = &c;
  w.done = [cp] {
    if (!cp->wake_deferred) return;
    cp->wake_deferred = false;
    if (cp->socket) cp->socket->wake();
  };
  port_.cpu->core(c.core).submit(std::move(w));
}

Verdict TcpStack::tcp_listen(TcpStack& s, Conn& l, Input& in) {
  // A new conn for the SYN, on the core that received it (where RSS will keep its packets).
  Conn& c = s.new_conn(in.arrival_core, in.source, l.local_port, in.segment.header.src_port);
  c.tcp->open_passive();
  s.by_key_[Key{in.source.value, c.local_port, c.remote_port}] = &c;
  const Time now = hostwire::now();
  c.tcp->on_segment(in.segment, now);
  // accept(): the listener's application gets a socket on the new conn, in a thread of its own.
  auto& listener = s.listeners_.at(l.local_port);
  if (listener.accept_kernel) listener.accept_kernel(c);
  else if (listener.accept) listener.accept(s.attach_socket(c, s.threads_.make(c.core)));
  s.collect_output(c);
  s.arm_timer(c);
  return Verdict::consumed;
}

// ---------------------------------------------------------------- transmit

Cycles TcpStack::segment_cycles(int64_t segment_bytes) const {
  // TCP and IP output and the driver's descriptor, as UDP pays per datagram; without checksum
  // offload the segment's bytes are summed in software too.
  Cycles cycles = kp_.tcp_output + kp_.ip_output + port_.tx_descriptor;
  if (!port_.checksum_offload) cycles = cycles + costs().checksum_cycles(segment_bytes);
  return cycles;
}

Cycles TcpStack::output_cycles(const Conn& c) const {
  Cycles cycles{};
  for (const auto& s : c.outbox) cycles = cycles + segment_cycles(static_cast<int64_t>(s.payload.length + s.header.length()));
  return cycles;
}

void TcpStack::collect_output(Conn& c) {
  trace_engine(c);
  c.bytes_admitted = 0;
  auto& out = c.tcp->output();
  if (!out.empty()) {
    for (auto& s : out) {
      c.bytes_outbox += s.payload.length;
      c.outbox.push_back(std::move(s));
    }
    out.clear();
    run_output(c);
  }
  if (c.parallel) parallel_.pump(c);
}

void TcpStack::run_output(Conn& c) {
  if (c.output_scheduled || c.outbox.empty()) return;
  c.output_scheduled = true;
  c.output_batch = static_cast<uint32_t>(c.outbox.size());
  cpu::WorkItem w;
  w.cycles = output_cycles(c).n;
  w.priority = cpu::Priority::softirq;
  w.kind = "tcp_output";
  w.layer = "tcp";
  Conn* cp = &c;
  w.done = [this, cp] {
    Conn& c = *cp;
    for (uint32_t i = 0; i < c.output_batch; ++i) {
      c.bytes_outbox -= c.outbox[i].payload.length;
      emit(c, c.outbox[i]);
    }
    port_.flush(c.core);  // one doorbell for the batch (xmit_more)
    c.outbox.erase(c.outbox.begin(), c.outbox.begin() + c.output_batch);
    c.output_scheduled = false;
    run_output(c);
  };
  port_.cpu->core(c.core).submit(std::move(w));
}

uint64_t TcpStack::emit(Conn& c, const tcp::Segment& s, int core, bool flow_open) {
  Frame* f = ctx_.frames().get();
  net::EthernetHeader eth{};
  eth.dst = port_.neighbour(c.peer);
  eth.src = port_.mac;
  net::Ipv4Header ip{};
  ip.df = true;
  ip.id = c.ip_id++;
  ip.src = port_.ip;
  ip.dst = c.peer;
  const uint32_t mss = c.tcp ? c.tcp->send_mss() : 0;
  const bool super = mss > 0 && s.payload.length > mss;
  // A TSO super-frame carries the header only the NIC reads (it recomputes lengths and
  // checksums per segment, like CHECKSUM_PARTIAL): build it without the payload, then attach it.
  auto layout = net::build_tcp_frame(f->packet, eth, ip, s.header, super ? PayloadSlice{} : s.payload);
  if (!layout) {
    HW_LOG(log_, error, "conn {}: cannot build a segment: {}", c.id, layout.error());
    f->gp.release();
    return 0;
  }
  if (super) f->packet.payload = s.payload;
  f->packet.retransmission = s.retransmission;
  f->packet.flow_open = flow_open;
  f->packet.id = ctx_.next_packet_id();
  f->packet.created = hostwire::now();
  segments_out_.add();
  if (c.id) offload_.emitted(c, s);
  // The conn is charged for what sits below it (TCP small queues); a RST outside any conn is not.
  const uint64_t id = f->packet.id;
  if (ctx_.trace().is_open()) {
    ctx_.trace().admit(id, c.trace_key());
    if (ctx_.trace().recording(id, f->packet.created)) trace_emit(c, s, id, core);
  }
  port_.transmit(f, core, super ? static_cast<uint16_t>(mss) : 0, c.id ? &c : nullptr);
  if (c.id) trace_below(c);
  return id;
}

// The segment's arrow starts where its first byte was queued: the send() that wrote it fans
// out to the segment's "send buffer" slice; then the TCP output that built it.
void TcpStack::trace_emit(Conn& c, const tcp::Segment& s, uint64_t id, int core) {
  const Time now = hostwire::now();
  if (c.socket && c.tcp && s.payload.length && !s.retransmission) {
    const uint32_t offset = s.header.seq - c.tcp->send_path().iss() - 1;
    // Positions past 4 GiB wrap: the send is looked up by the low 32 bits of the offset.
    const uint64_t base = c.socket->bytes_written() & ~uint64_t{0xffffffff};
    uint64_t pos = base | offset;
    if (pos > c.socket->bytes_written() && base) pos -= uint64_t{1} << 32;
    if (auto w = c.socket->trace_sender(pos))
      ctx_.trace().slice(trace_send_buffer_, "send buffer", "socket", w->second, now - w->second, id, {},
                         {w->first});
  }
  port_.cpu->core(core).trace_packet(id);
}

// ---------------------------------------------------------------- TCP small queues

int64_t TcpStack::tsq_limit(const Conn& c) const {
  // Linux tcp_small_queue_check: about 1 ms (2^-10 s) of the pacing rate, at least two
  // super-frames, at most tcp_limit_output_bytes. The pacing rate is cwnd/srtt at 200 % in slow
  // start and 120 % after (tcp_pacing_ss_ratio, tcp_pacing_ca_ratio); no RTT sample yet: the cap.
  const int64_t cap = tp_.limit_output_bytes.n;
  const Time srtt = c.tcp->srtt();
  if (srtt.ps <= 0) return cap;
  const double ratio = c.tcp->cwnd() < c.tcp->ssthresh() / 2 ? 2.0 : 1.2;
  const double rate = ratio * static_cast<double>(c.tcp->cwnd()) / srtt.seconds();  // B/s
  const int64_t floor = 2 * std::max<int64_t>(tp_.tso_max.n, c.tcp->send_mss());
  return std::min(cap, std::max(floor, static_cast<int64_t>(rate / 1024)));
}

bool TcpStack::tsq_admit(Conn& c, uint64_t len) {
  // As Linux: a segment leaves while what is below the conn does not exceed the limit.
  if (c.bytes_below + c.bytes_outbox + c.bytes_admitted <= tsq_limit(c)) {
    c.bytes_admitted += static_cast<int64_t>(len);
    return true;
  }
  if (!c.tsq_throttled) tsq_throttled_.add();
  c.tsq_throttled = true;
  return false;
}

bool TcpStack::tsq_room(Conn& c) {
  // A parallel-send conn's engine never passes the gate (piece mode), so nothing is admitted.
  return tp_.limit_output_bytes.n == 0 || tsq_admit(c, 0);
}

void TcpStack::trace_below(Conn& c) {
  c.bytes_below_peak = std::max(c.bytes_below_peak, c.bytes_below);
  if (c.vcd_below >= 0) ctx_.vcd().change(c.vcd_below, hostwire::now(), static_cast<uint64_t>(c.bytes_below));
}

void TcpStack::trace_engine(Conn& c) {
  auto& vcd = ctx_.vcd();
  if (!vcd.is_open() || (c.vcd_cwnd < 0 && c.vcd_ssthresh < 0 && c.vcd_srtt < 0 && c.vcd_send_buffer < 0 &&
                             c.vcd_receive_buffer < 0))
    return;  // tracing off, or none of this conn's signals selected
  const tcp::Connection& t = *c.tcp;
  if (t.state() == tcp::State::listen) return;  // a listener's engine never sends: its windows mean nothing
  const Time now = hostwire::now();
  vcd.change(c.vcd_cwnd, now, t.cwnd());
  vcd.change(c.vcd_ssthresh, now, t.ssthresh());
  vcd.change(c.vcd_srtt, now, static_cast<uint64_t>(std::max<int64_t>(0, t.srtt().ps)));
  vcd.change(c.vcd_send_buffer, now, t.send_path().buffered());
  vcd.change(c.vcd_receive_buffer, now, t.readable());
}

void TcpStack::tsq_freed(Conn& c) {
  trace_below(c);
  if (!c.tsq_throttled || c.bytes_below + c.bytes_outbox > tsq_limit(c)) return;
  c.tsq_throttled = false;
  // tcp_tsq_handler: the conn's output resumes on its own core, in order with its other work.
  cpu::WorkItem w;
  w.priority = cpu::Priority::softirq;
  w.kind = "tcp_tsq";
  w.layer = "tcp";
  Conn* cp = &c;
  w.done = [this, cp] {
    cp->tcp->push(hostwire::now());
    after_call(*cp);
  };
  port_.cpu->core(c.core).submit(std::move(w));
}

// ---------------------------------------------------------------- timers

std::optional<Time> TcpStack::next_deadline(const Conn& c) const {
  // An offloaded conn's TCP timers run on the NIC; the host's copy is stale until it is back.
  auto t = offload_.offloaded(c) ? std::nullopt : c.tcp->next_timer();
  if (c.socket_deadline && (!t || *c.socket_deadline < *t)) t = c.socket_deadline;
  return t;
}

void TcpStack::set_socket_deadline(Conn& c, std::optional<Time> at) {
  c.socket_deadline = at;
  if (at) arm_timer(c);
}

void TcpStack::arm_timer(Conn& c) {
  const auto t = next_deadline(c);
  if (!t || (c.armed && *c.armed <= *t)) return;  // an earlier wake is queued: it re-arms
  c.armed = t;
  timers_.emplace(t->ps, c.id);
  const Time now = hostwire::now();
  timer_event_.notify(to_sc(*t > now ? *t - now : Time{}));
}

void TcpStack::timers_due() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!timers_.empty() && timers_.top().first <= now.ps) {
    const auto [at, id] = timers_.top();
    timers_.pop();
    Conn& c = *conns_[id - 1];
    if (c.armed && c.armed->ps != at) continue;  // superseded by an earlier wake
    c.armed.reset();
    const auto due = next_deadline(c);
    if (!due) continue;
    if (*due > now) {
      arm_timer(c);
      continue;
    }
    if (c.timer_scheduled) continue;
    c.timer_scheduled = true;
    cpu::WorkItem w;
    w.cycles = kp_.timer.n;
    w.priority = cpu::Priority::softirq;
    w.kind = "tcp_timer";
    w.layer = "tcp";
    Conn* cp = &c;
    w.done = [this, cp] {
      cp->timer_scheduled = false;
      const Time now = hostwire::now();
      const auto tcp_due = offload_.offloaded(*cp) ? std::nullopt : cp->tcp->next_timer();
      if (tcp_due && *tcp_due <= now) cp->tcp->on_timer(now);
      if (cp->socket_deadline && *cp->socket_deadline <= now) {
        cp->socket_deadline.reset();
        if (cp->socket) cp->socket->on_deadline(now);
      }
      collect_output(*cp);
      arm_timer(*cp);
      if (cp->socket) cp->socket->wake();
    };
    port_.cpu->core(c.core).submit(std::move(w));
  }
  if (!timers_.empty()) timer_event_.notify(to_sc(Time{timers_.top().first} - now));
}

// ---------------------------------------------------------------- sockets

void TcpStack::kbuf_held(int64_t delta) {
  if (delta == 0) return;
  socket_stats_.held += delta;
  socket_stats_.kbuf_bytes.set(static_cast<double>(socket_stats_.held));
  if (socket_stats_.vcd_kbuf_bytes >= 0)
    ctx_.vcd().change(socket_stats_.vcd_kbuf_bytes, hostwire::now(), static_cast<uint64_t>(socket_stats_.held));
}

TcpSocket& TcpStack::attach_socket(Conn& c, Thread t) {
  sockets_.push_back(std::make_unique<TcpSocket>(*this, c, t));
  c.socket = sockets_.back().get();
  return *c.socket;
}

void TcpStack::open_listener(uint16_t port, Listener l) {
  l.conn = &new_conn(0, net::Ipv4Address{}, port, 0);
  l.conn->tcp->open_passive();
  state_changed(*l.conn, tcp::State::listen, hostwire::now());
  listeners_[port] = std::move(l);
}

void TcpStack::listen(uint16_t port, std::function<void(TcpSocket&)> accept) {
  open_listener(port, Listener{nullptr, std::move(accept), nullptr});
}

void TcpStack::listen_kernel(uint16_t port, std::function<void(Conn&)> accept) {
  open_listener(port, Listener{nullptr, nullptr, std::move(accept)});
}

void TcpStack::system_call(const Thread& t, Cycles work, bool woken, const char* kind, std::function<void()> done) {
  count_syscall();
  cpu::WorkItem w;
  w.cycles = (costs().syscall + work + (woken ? costs().wakeup : Cycles{})).n;
  w.priority = cpu::Priority::task;
  w.context = t.context;
  w.kind = kind;
  w.layer = "app";  // the application thread's call, its copy included
  w.done = std::move(done);
  port_.cpu->core(t.core).submit(std::move(w));
}

void TcpStack::add_state(const std::string& st) {
  if (state_entries_.count(st)) return;
  state_entries_.emplace(st, &ctx_.stats().counter(fmt::format("{}.state.{}.entered", name_, st), "conns",
                                                   fmt::format("conns that entered the {} state (event list)", st)));
}

TcpSocket& TcpStack::socket(net::Ipv4Address peer, uint16_t port, Thread thread) {
  // Ports count up with the conns; past the range they wrap, skipping any a conn to this peer
  // and port still holds (a client opening a conn per request opens more than the range holds).
  const size_t range = 65536 - kFirstEphemeralPort;
  uint16_t local = 0;
  for (size_t n = conns_.size(), tries = 0;; ++n, ++tries) {
    if (tries == range)
      throw std::runtime_error(name_ + ": every ephemeral port to " + net::to_string(peer) + ":" + std::to_string(port) +
                               " is held by a conn");
    local = static_cast<uint16_t>(kFirstEphemeralPort + n % range);
    if (!by_key_.count(Key{peer.value, local, port})) break;
  }
  Conn& c = new_conn(thread.core, peer, local, port);
  by_key_[Key{peer.value, local, port}] = &c;
  return attach_socket(c, thread);
}

void TcpStack::open_active(Conn& c) {
  c.tcp->open_active(hostwire::now());
  after_call(c);
}

void TcpStack::after_call(Conn& c) {
  collect_output(c);
  offload_.after_call(c);
  arm_timer(c);
}

uint64_t TcpStack::frames_queued() const {
  uint64_t n = 0;
  for (const auto& c : conns_) n += c->queue.size();
  return n;
}

uint64_t TcpStack::retransmitted_segments() const {
  uint64_t n = 0;
  for (const auto& c : conns_) n += c->tcp->retransmitted_segments();
  return n;
}

uint64_t TcpStack::bytes_received() const {
  uint64_t n = 0;
  for (const auto& c : conns_) n += c->tcp->bytes_received();
  return n;
}

}  // namespace hostwire::kernel
