#include "kernel/stack.h"

#include <algorithm>
#include <cstring>

#include "net/byte_order.h"
#include "net/frame.h"
#include "wire/ethernet_timing.h"

namespace hostwire::kernel {

namespace {
constexpr uint16_t kFirstEphemeralPort = 40000;
constexpr int kAppContextBase = 3000;  // thread ids of TCP applications
constexpr size_t kPatternBytes = 1 << 20;

std::string list_state(tcp::State s, bool tap) {
  switch (s) {
    case tcp::State::listen: return "listen";
    case tcp::State::time_wait: return "time_wait";
    case tcp::State::closed: return "closed";
    default: return tap ? "tap" : "established";
  }
}
}  // namespace

const std::shared_ptr<const std::vector<uint8_t>>& TcpStack::pattern() {
  static const std::shared_ptr<const std::vector<uint8_t>> p = [] {
    auto v = std::make_shared<std::vector<uint8_t>>(kPatternBytes);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (auto& b : *v) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    return v;
  }();
  return p;
}

void StreamDigest::update(std::span<const uint8_t> bytes) {
  length_ += bytes.size();
  size_t i = 0;
  while (carried_ && i < bytes.size()) {  // finish the carried word first
    carry_ |= uint64_t{bytes[i++]} << (8 * carried_);
    if (++carried_ == 8) mix(carry_), carry_ = 0, carried_ = 0;
  }
  for (; i + 8 <= bytes.size() && (words_ & 3); i += 8) {  // up to a lane boundary
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    mix(w);
  }
  for (; i + 32 <= bytes.size(); i += 32) {  // four lanes at once
    uint64_t w[4];
    std::memcpy(w, bytes.data() + i, 32);
    for (int k = 0; k < 4; ++k) {
      lanes_[k] = (lanes_[k] ^ w[k]) * 0x9E3779B97F4A7C15ULL;
      lanes_[k] ^= lanes_[k] >> 29;
    }
    words_ += 4;
  }
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    mix(w);
  }
  for (; i < bytes.size(); ++i) carry_ |= uint64_t{bytes[i]} << (8 * carried_++);
}

uint64_t StreamDigest::value() const {
  uint64_t h = length_;
  for (uint64_t l : lanes_) h = (h ^ l) * 0x9E3779B97F4A7C15ULL, h ^= h >> 31;
  return (h ^ carry_) * 0xff51afd7ed558ccdULL;
}

TcpStack::TcpStack(sc_core::sc_module_name name, SimContext& ctx, const KernelParams& kp, const tcp::TcpParams& tp,
                   HostPort port, const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      kp_(kp),
      tp_(tp),
      port_(std::move(port)),
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
      app_rx_(ctx.stats().counter(stat_name + ".app_rx_bytes", "B", "bytes the host's TCP applications read")) {
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
  dirty_.resize(static_cast<size_t>(port_.cpu->cores()));
  trace_track_ = ctx.trace().track(stat_name, "conn states");

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
  if (tp_.tso_max.n > 0 && port_.tso) c.tcp->set_tso_max(static_cast<uint32_t>(tp_.tso_max.n));
  Conn* cp = &c;
  c.tcp->on_state_change = [this, cp](tcp::State, tcp::State to, Time now) {
    enter_state(*cp, list_state(to, kp_.tap), now);
  };
  return c;
}

void TcpStack::enter_state(Conn& c, const std::string& state, Time now) {
  if (state == c.state) return;
  HW_LOG(log_, info, "conn {} ({}:{}): {} -> {} [{}]", c.id, net::to_string(c.peer), c.remote_port,
         c.state.empty() ? "new" : c.state, state, c.tcp->state_name());
  if (ctx_.trace().recording(c.id, now)) ctx_.trace().instant(trace_track_, state.c_str(), now, c.id);
  state_changes_.add();
  c.state = state;
  ++c.list_generation;
  if (state == "listen") c.list = listening_;
  else if (state == "time_wait") c.list = time_wait_;
  else if (state == "tap") c.list = established_tap_;
  else if (state == "established") c.list = established_;
  else {  // closed: no list; the conn leaves the lookup table, later segments get a RST
    c.list = {};
    by_key_.erase(Key{c.peer.value, c.local_port, c.remote_port});
  }
}

// ---------------------------------------------------------------- receive

void TcpStack::receive(Frame* f, int core) {
  const auto h = f->packet.header_bytes();
  const size_t l3 = wire::kEthernetHeaderBytes;
  const size_t ihl = h.size() > l3 ? static_cast<size_t>(h[l3] & 0x0f) * 4 : 0;
  auto tcp = ihl >= 20 && h.size() >= l3 + ihl + net::kTcpMinHeaderBytes ? net::decode_tcp(h.subspan(l3 + ihl))
                                                                          : net::Result<net::Decoded<net::TcpHeader>>(net::fail("short"));
  if (!tcp) {
    dropped_malformed_.add();
    f->gp.release();
    return;
  }
  segments_in_.add();
  const net::Ipv4Address src{net::load_be32(h.data() + l3 + 12)};
  Input in{f, tcp::Segment{tcp->header, f->packet.payload}, core};
  auto it = by_key_.find(Key{src.value, in.segment.header.dst_port, in.segment.header.src_port});
  Conn* c = it != by_key_.end() ? it->second : nullptr;
  if (!c) {
    auto l = listeners_.find(in.segment.header.dst_port);
    if (l != listeners_.end() && in.segment.has(net::tcp_flag::syn) && !in.segment.has(net::tcp_flag::ack)) c = l->second;
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
  int64_t cycles = c.list.cycles() * n;
  for (uint32_t i = 0; i < n; ++i)
    if (c.queue[i].arrival_core != c.core) cycles += kp_.handover;
  c.work_scheduled = true;
  c.batch = n;
  cpu::WorkItem w;
  w.cycles = cycles;
  w.priority = cpu::Priority::softirq;
  w.kind = "conn_input";
  Conn* cp = &c;
  w.done = [this, cp] { run_work(*cp); };
  port_.cpu->core(c.core).submit(std::move(w));
}

void TcpStack::run_work(Conn& c) {
  for (uint32_t i = 0; i < c.batch; ++i) {
    Input in = std::move(c.queue.front());
    c.queue.pop_front();
    if (in.arrival_core != c.core) handovers_.add();
    // The list as it is when the packet reaches it; a layer that rewrites it (a state change)
    // ends this packet's pass, and the next packet runs the new list.
    const uint64_t gen = c.list_generation;
    for (size_t k = 0; k < c.list.layers.size(); ++k) {
      const Verdict v = c.list.layers[k]->fn(this, c, in);
      if (v != Verdict::next || c.list_generation != gen) break;
    }
    in.frame->gp.release();
  }
  c.work_scheduled = false;
  collect_output(c);
  arm_timer(c);
  if (!c.queue.empty()) schedule_work(c);
}

Verdict TcpStack::ip_input(void*, Conn&, Input&) { return Verdict::next; }  // parsed on arrival; the cost is the point

Verdict TcpStack::tcp_input(void*, Conn& c, Input& in) {
  c.tcp->on_segment(in.segment, hostwire::now());
  return Verdict::next;
}

Verdict TcpStack::tcp_time_wait(void*, Conn& c, Input& in) {
  c.tcp->on_segment(in.segment, hostwire::now());  // the engine only acknowledges in TIME_WAIT
  return Verdict::consumed;
}

Verdict TcpStack::tap_trace(void* stack, Conn& c, Input& in) {
  auto* s = static_cast<TcpStack*>(stack);
  HW_LOG(s->log_, debug, "tap conn {}: seq {} ack {} len {} flags 0x{:x}", c.id, in.segment.header.seq,
         in.segment.header.ack, in.segment.payload.length, in.segment.header.flags);
  return Verdict::next;
}

Verdict TcpStack::socket_deliver(void* stack, Conn& c, Input&) {
  auto* s = static_cast<TcpStack*>(stack);
  if (c.app && c.app->blocked) s->app_wake(*c.app);
  return Verdict::consumed;
}

Verdict TcpStack::tcp_listen(void* stack, Conn& l, Input& in) {
  auto* s = static_cast<TcpStack*>(stack);
  // A new conn for the SYN, on the core that received it (where RSS will keep its packets).
  const auto h = in.frame->packet.header_bytes();
  const net::Ipv4Address src{net::load_be32(h.data() + wire::kEthernetHeaderBytes + 12)};
  Conn& c = s->new_conn(in.arrival_core, src, l.local_port, in.segment.header.src_port);
  c.tcp->open_passive();
  s->by_key_[Key{src.value, c.local_port, c.remote_port}] = &c;
  const Time now = hostwire::now();
  c.tcp->on_segment(in.segment, now);
  // accept(): the listener's application gets its own instance on the new conn.
  if (l.app) {
    s->apps_.push_back(std::make_unique<App>(*l.app));
    App& a = *s->apps_.back();
    a.conn = &c;
    a.core = c.core;
    a.context = kAppContextBase + static_cast<int>(s->apps_.size());
    a.buffer.resize(a.read_size);
    a.rng = s->ctx_.rng(a.name + "accepted" + std::to_string(c.id));
    a.blocked = true;  // in recv() until data arrives
    c.app = &a;
  }
  s->collect_output(c);
  s->arm_timer(c);
  return Verdict::consumed;
}

// ---------------------------------------------------------------- transmit

int64_t TcpStack::output_cycles(const Conn& c) const {
  return static_cast<int64_t>(c.outbox.size()) * (kp_.tcp_output + kp_.ip_output);
}

void TcpStack::collect_output(Conn& c) {
  auto& out = c.tcp->output();
  if (out.empty()) return;
  for (auto& s : out) c.outbox.push_back(std::move(s));
  out.clear();
  run_output(c);
}

void TcpStack::run_output(Conn& c) {
  if (c.output_scheduled || c.outbox.empty()) return;
  c.output_scheduled = true;
  c.output_batch = static_cast<uint32_t>(c.outbox.size());
  cpu::WorkItem w;
  w.cycles = output_cycles(c);
  w.priority = cpu::Priority::softirq;
  w.kind = "tcp_output";
  Conn* cp = &c;
  w.done = [this, cp] {
    Conn& c = *cp;
    for (uint32_t i = 0; i < c.output_batch; ++i) emit(c, c.outbox[i]);
    port_.flush(c.core);  // one doorbell for the batch (xmit_more)
    c.outbox.erase(c.outbox.begin(), c.outbox.begin() + c.output_batch);
    c.output_scheduled = false;
    run_output(c);
  };
  port_.cpu->core(c.core).submit(std::move(w));
}

void TcpStack::emit(Conn& c, const tcp::Segment& s) {
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
    return;
  }
  if (super) f->packet.payload = s.payload;
  f->packet.id = ctx_.next_packet_id();
  f->packet.created = hostwire::now();
  segments_out_.add();
  port_.transmit(f, c.core, super ? static_cast<uint16_t>(mss) : 0);
}

// ---------------------------------------------------------------- timers

void TcpStack::arm_timer(Conn& c) {
  const auto t = c.tcp->next_timer();
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
    const auto due = c.tcp->next_timer();
    if (!due) continue;
    if (*due > now) {
      arm_timer(c);
      continue;
    }
    if (c.timer_scheduled) continue;
    c.timer_scheduled = true;
    cpu::WorkItem w;
    w.cycles = kp_.timer;
    w.priority = cpu::Priority::softirq;
    w.kind = "tcp_timer";
    Conn* cp = &c;
    w.done = [this, cp] {
      cp->timer_scheduled = false;
      cp->tcp->on_timer(hostwire::now());
      collect_output(*cp);
      arm_timer(*cp);
      if (cp->app && cp->app->blocked) app_wake(*cp->app);
    };
    port_.cpu->core(c.core).submit(std::move(w));
  }
  if (!timers_.empty()) timer_event_.notify(to_sc(Time{timers_.top().first} - now));
}

// ---------------------------------------------------------------- applications

Conn& TcpStack::listener(uint16_t port) {
  Conn& l = new_conn(0, net::Ipv4Address{}, port, 0);
  l.tcp->open_passive();
  enter_state(l, "listen", hostwire::now());
  listeners_[port] = &l;
  return l;
}

App& TcpStack::listen_sink(uint16_t port, const std::string& name) {
  Conn& l = listener(port);
  App& a = new_app(App::Kind::sink, name);
  a.bytes = &ctx_.stats().counter(name + "rx_bytes", "B", "bytes the receiving application read");
  a.syscalls = &ctx_.stats().counter(name + "rx_calls", "calls", "receive system calls");
  l.app = &a;
  return a;
}

App& TcpStack::new_app(App::Kind kind, const std::string& name) {
  apps_.push_back(std::make_unique<App>());
  App& a = *apps_.back();
  a.kind = kind;
  a.name = name;
  a.context = kAppContextBase + static_cast<int>(apps_.size());
  return a;
}

void TcpStack::start_connect(App& a) {
  App* ap = &a;
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.dont_initialize();
  auto* ev = new sc_core::sc_event();  // lives as long as the simulation (one per application)
  opt.set_sensitivity(ev);
  sc_core::sc_spawn(
      [this, ap] {
        ctx_.activation();
        Conn& c = *ap->conn;
        c.tcp->open_active(hostwire::now());
        collect_output(c);
        arm_timer(c);
        ap->blocked = true;  // until the handshake completes
        if (ap->kind == App::Kind::rr_client) {
          if (ap->request_rate > 0) {
            ap->arrival->notify(sc_core::SC_ZERO_TIME);
          } else {
            for (int64_t i = 0; i < ap->concurrency; ++i) {
              ap->requests->add();
              ap->outstanding.push_back(hostwire::now());
              ap->out_messages.push_back(ap->request_size);
              ap->out_bytes += ap->request_size;
            }
          }
        }
      },
      sc_core::sc_gen_unique_name("connect"), &opt);
  ev->notify(to_sc(a.start));
}

App& TcpStack::connect_bulk(net::Ipv4Address peer, uint16_t port, int core, uint64_t bytes, uint32_t write_size,
                            Time start, const std::string& name) {
  const auto local = static_cast<uint16_t>(kFirstEphemeralPort + conns_.size());
  Conn& c = new_conn(core, peer, local, port);
  by_key_[Key{peer.value, local, port}] = &c;
  App& a = new_app(App::Kind::bulk_sender, name);
  a.core = core;
  a.conn = &c;
  a.total = bytes;
  a.write_size = write_size;
  a.start = start;
  a.bytes = &ctx_.stats().counter(name + "tx_bytes", "B", "bytes the sending application wrote");
  a.syscalls = &ctx_.stats().counter(name + "tx_calls", "calls", "send system calls");
  c.app = &a;
  start_connect(a);
  return a;
}

App& TcpStack::listen_server(uint16_t port, const std::string& name, const SizeDistribution& responses, bool echo) {
  Conn& l = listener(port);
  App& a = new_app(App::Kind::rr_server, name);
  l.app = &a;
  a.responses = responses;
  a.echo = echo;
  a.bytes = &ctx_.stats().counter(name + "server_rx_bytes", "B", "request bytes the server read");
  a.syscalls = &ctx_.stats().counter(name + "server_calls", "calls", "the server's system calls");
  a.requests = &ctx_.stats().counter(name + "served", "requests", "requests the server answered");
  return a;
}

App& TcpStack::connect_client(net::Ipv4Address peer, uint16_t port, int core, uint32_t request_size, double rate,
                              int64_t concurrency, Time start, Time stop, const std::string& name) {
  const auto local = static_cast<uint16_t>(kFirstEphemeralPort + conns_.size());
  Conn& c = new_conn(core, peer, local, port);
  by_key_[Key{peer.value, local, port}] = &c;
  App& a = new_app(App::Kind::rr_client, name);
  a.core = core;
  a.conn = &c;
  a.start = start;
  a.stop = stop;
  a.request_size = std::max<uint32_t>(request_size, 4);
  a.request_rate = rate;
  a.concurrency = concurrency;
  a.rng = ctx_.rng(name + "client");
  a.bytes = &ctx_.stats().counter(name + "rx_bytes", "B", "response bytes the client read");
  a.syscalls = &ctx_.stats().counter(name + "calls", "calls", "the client's system calls");
  a.requests = &ctx_.stats().counter(name + "requests", "requests", "requests the client issued");
  a.answered = &ctx_.stats().counter(name + "responses", "responses", "responses the client received in full");
  a.latency = &ctx_.stats().histogram(name + "latency", "ps", "request arrival until its whole response was read");
  c.app = &a;
  App* ap = &a;
  if (rate > 0) {
    a.arrival = new sc_core::sc_event();  // one per client, for the run
    sc_core::sc_spawn_options opt;
    opt.spawn_method();
    opt.dont_initialize();
    opt.set_sensitivity(a.arrival);
    sc_core::sc_spawn([this, ap] { rr_arrival(*ap); }, sc_core::sc_gen_unique_name("arrivals"), &opt);
  }
  start_connect(a);
  return a;
}

void TcpStack::rr_arrival(App& a) {
  ctx_.activation();
  const Time now = hostwire::now();
  if (a.stop.ps > 0 && now >= a.stop) return;
  a.requests->add();
  a.outstanding.push_back(now);
  a.out_messages.push_back(a.request_size);
  a.out_bytes += a.request_size;
  if (a.blocked) app_wake(a);
  a.arrival->notify(to_sc(Time{static_cast<int64_t>(a.rng.exponential(1e12 / a.request_rate))}));
}

void TcpStack::rr_step(App& a) {
  if (a.busy || a.closed) return;
  Conn& c = *a.conn;
  if (c.tcp->state() != tcp::State::established && c.tcp->state() != tcp::State::close_wait) {
    a.blocked = true;
    return;
  }
  const auto& costs = port_.cpu->costs();
  const size_t readable = c.tcp->readable();
  uint64_t n = 0;
  if (readable > 0) {
    a.receiving = true;
    n = std::min<uint64_t>(a.read_size, readable);
  } else if (a.out_bytes > 0 && c.tcp->send_space() > 0) {
    a.receiving = false;
    n = std::min<uint64_t>({a.write_size, c.tcp->send_space(), a.out_bytes});
  } else {
    a.blocked = true;  // poll/epoll: wait for data or for send space
    return;
  }
  a.pending = static_cast<uint32_t>(n);
  a.busy = true;
  a.syscalls->add();
  if (port_.syscalls) port_.syscalls->add();
  cpu::WorkItem w;
  w.cycles = costs.syscall + costs.copy_cycles(static_cast<int64_t>(n));
  w.priority = cpu::Priority::task;
  w.context = a.context;
  w.kind = a.receiving ? "tcp_recv" : "tcp_send";
  App* ap = &a;
  w.done = [this, ap] { app_done(*ap); };
  port_.cpu->core(a.core).submit(std::move(w));
}

static uint32_t draw_size(App& a, uint32_t request) {
  if (a.echo) return request;
  const SizeDistribution& d = a.responses;
  switch (d.kind) {
    case SizeDistribution::Kind::exponential:
      return std::max<uint32_t>(4, static_cast<uint32_t>(a.rng.exponential(static_cast<double>(d.size)) + 0.5));
    case SizeDistribution::Kind::uniform:
      return static_cast<uint32_t>(a.rng.uniform_int(d.size, std::max(d.size, d.size_max)));
    default:
      return d.size;
  }
}

void TcpStack::rr_done(App& a) {
  Conn& c = *a.conn;
  const Time now = hostwire::now();
  if (a.receiving) {
    if (a.buffer.size() < a.pending) a.buffer.resize(a.pending);
    const size_t got = c.tcp->receive(std::span<uint8_t>(a.buffer.data(), a.pending), now);
    a.bytes->add(got);
    app_rx_.add(got);
    const bool ok = a.framer.feed(std::span<const uint8_t>(a.buffer.data(), got), [&](uint32_t size) {
      if (a.kind == App::Kind::rr_client) {
        if (!a.outstanding.empty()) {
          a.latency->record((now - a.outstanding.front()).ps);
          a.outstanding.pop_front();
        }
        a.answered->add();
        if (a.request_rate <= 0 && (a.stop.ps == 0 || now < a.stop)) {  // closed loop: the next one
          a.requests->add();
          a.outstanding.push_back(now);
          a.out_messages.push_back(a.request_size);
          a.out_bytes += a.request_size;
        }
      } else {
        a.requests->add();
        const uint32_t r = std::max<uint32_t>(4, draw_size(a, size));
        a.out_messages.push_back(r);
        a.out_bytes += r;
      }
    });
    if (!ok) {
      HW_LOG(log_, error, "conn {}: a message shorter than its 4-byte length header: aborting", c.id);
      c.tcp->abort(now);
      a.closed = true;
    }
  } else {
    // The messages' bytes: a 4-byte big-endian length, then pattern bytes.
    uint32_t left = a.pending;
    while (left > 0 && !a.out_messages.empty()) {
      const uint32_t size = a.out_messages.front();
      uint32_t k;
      if (a.out_offset < 4) {
        const uint8_t header[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                                   static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
        k = std::min(4 - a.out_offset, left);
        k = static_cast<uint32_t>(c.tcp->send(std::span<const uint8_t>(header + a.out_offset, k), now));
      } else {
        k = std::min(size - a.out_offset, left);
        const uint32_t off = a.out_offset % static_cast<uint32_t>(kPatternBytes / 2);
        k = std::min<uint32_t>(k, static_cast<uint32_t>(kPatternBytes) - off);
        k = static_cast<uint32_t>(c.tcp->send_shared(PayloadSlice{pattern(), off, k}, now));
      }
      if (k == 0) break;
      a.out_offset += k;
      left -= k;
      a.out_bytes -= k;
      app_tx_.add(k);
      if (a.out_offset == size) {
        a.out_messages.pop_front();
        a.out_offset = 0;
      }
    }
  }
  collect_output(c);
  arm_timer(c);
  a.busy = false;
  rr_step(a);
}

void TcpStack::app_wake(App& a) {
  a.blocked = false;
  app_step(a);
}

void TcpStack::app_step(App& a) {
  if (a.kind == App::Kind::rr_client || a.kind == App::Kind::rr_server) {
    rr_step(a);
    return;
  }
  if (a.busy || a.closed) return;
  Conn& c = *a.conn;
  const auto& costs = port_.cpu->costs();
  cpu::WorkItem w;
  w.priority = cpu::Priority::task;
  w.context = a.context;
  if (a.kind == App::Kind::bulk_sender) {
    if (c.tcp->state() != tcp::State::established && c.tcp->state() != tcp::State::close_wait) {
      a.blocked = true;
      return;
    }
    if (a.total > 0 && a.written >= a.total) {
      a.closed = true;
      c.tcp->close(hostwire::now());
      collect_output(c);
      arm_timer(c);
      return;
    }
    uint64_t n = std::min<uint64_t>(a.write_size, c.tcp->send_space());
    if (a.total > 0) n = std::min(n, a.total - a.written);
    const uint64_t off = a.written % kPatternBytes;
    n = std::min(n, kPatternBytes - off);  // one slice of the pattern per call
    if (n == 0) {
      a.blocked = true;  // the send buffer is full: sleep until ACKs free space
      return;
    }
    a.pending = static_cast<uint32_t>(n);
    w.cycles = costs.syscall + costs.copy_cycles(static_cast<int64_t>(n));
    w.kind = "tcp_send";
  } else {
    const size_t r = c.tcp->readable();
    if (r == 0) {
      if (c.tcp->eof() && !a.closed) {
        a.closed = true;
        c.tcp->close(hostwire::now());
        collect_output(c);
        arm_timer(c);
        return;
      }
      a.blocked = true;
      return;
    }
    a.pending = static_cast<uint32_t>(std::min<size_t>(a.read_size, r));
    w.cycles = costs.syscall + costs.copy_cycles(a.pending);
    w.kind = "tcp_recv";
  }
  a.busy = true;
  a.syscalls->add();
  if (port_.syscalls) port_.syscalls->add();
  App* ap = &a;
  w.done = [this, ap] { app_done(*ap); };
  port_.cpu->core(a.core).submit(std::move(w));
}

void TcpStack::app_done(App& a) {
  if (a.kind == App::Kind::rr_client || a.kind == App::Kind::rr_server) {
    rr_done(a);
    return;
  }
  a.busy = false;
  Conn& c = *a.conn;
  const Time now = hostwire::now();
  if (a.kind == App::Kind::bulk_sender) {
    const uint64_t off = a.written % kPatternBytes;
    const PayloadSlice slice{pattern(), static_cast<uint32_t>(off), a.pending};
    const size_t taken = c.tcp->send_shared(slice, now);
    a.tx_digest.update(slice.bytes().first(taken));
    a.written += taken;
    a.bytes->add(taken);
    app_tx_.add(taken);
  } else {
    if (a.buffer.size() < a.pending) a.buffer.resize(a.pending);
    const size_t got = c.tcp->receive(std::span<uint8_t>(a.buffer.data(), a.pending), now);
    a.rx_digest.update(std::span<const uint8_t>(a.buffer.data(), got));
    a.read += got;
    a.bytes->add(got);
    app_rx_.add(got);
  }
  collect_output(c);
  arm_timer(c);
  app_step(a);
}

const App* TcpStack::accepted(const std::string& name) const {
  for (const auto& a : apps_)
    if (a->name == name && a->kind == App::Kind::sink && a->conn && a->conn->remote_port != 0) return a.get();
  return nullptr;
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

}  // namespace hostwire::kernel
