#include "toe/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/frame.h"
#include "net/ethernet.h"
#include "net/frame.h"
#include "net/ipv4.h"
#include "net/tcp.h"

namespace hostwire::toe {

const char* hand_back_reason_name(HandBackReason r) {
  switch (r) {
    case HandBackReason::duplicate_ack: return "duplicate_ack";
    case HandBackReason::empty: return "empty";
    case HandBackReason::timer: return "timer";
    case HandBackReason::peer_segment: return "peer_segment";
    case HandBackReason::host: return "host";
  }
  return "?";
}

OffloadEngine::OffloadEngine(sc_core::sc_module_name name, SimContext& ctx, const ToeParams& params,
                             nic::DmaPort& dma, nic::TxEngine& tx, uint64_t tx_buffers, const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      p_(params),
      dma_(dma),
      tx_(tx),
      tx_buffers_(tx_buffers),
      name_(stat_name),
      offloads_(ctx.stats().counter(stat_name + ".offloads", "conns", "conns the engine took over from the host")),
      refused_table_(ctx.stats().counter(stat_name + ".refused_table_full", "conns",
                                         "offloads refused: the conn table was full (the conn stayed on the host)")),
      refused_memory_(ctx.stats().counter(stat_name + ".refused_memory", "conns",
                                          "offloads refused: NIC memory could not hold the conn's state")),
      acks_in_(ctx.stats().counter(stat_name + ".acks_processed", "segments",
                                   "segments of offloaded conns the engine processed (steered ACKs and forwarded ones)")),
      segments_out_(ctx.stats().counter(stat_name + ".segments_out", "segments", "segments the engine built and sent")),
      retransmits_(ctx.stats().counter(stat_name + ".retransmitted_segments", "segments",
                                       "of those, retransmissions (from limited transmit or the peer's SACKs)")),
      bytes_out_(ctx.stats().counter(stat_name + ".payload_bytes_out", "B", "payload bytes in those segments")),
      dma_bytes_(ctx.stats().counter(stat_name + ".dma_bytes", "B",
                                     "bytes the engine moved over the bus: data read, state read and written back, "
                                     "completions")),
      busy_ps_(ctx.stats().counter(stat_name + ".busy_time", "ps", "time the embedded processor was busy")),
      memory_stalls_(ctx.stats().counter(stat_name + ".memory_stalls", "times",
                                         "new data held back because NIC memory was full (backpressure, no loss)")),
      paced_(ctx.stats().counter(stat_name + ".paced", "times",
                                 "new data held back until the engine's frames reached the MAC (build_ahead)")),
      progress_(ctx.stats().counter(stat_name + ".progress_completions", "completions",
                                    "completions telling the host to free acknowledged bytes")),
      memory_peak_(ctx.stats().gauge(stat_name + ".memory_peak", "B", "most NIC memory offloaded conns held at once")) {
  for (HandBackReason r : {HandBackReason::duplicate_ack, HandBackReason::empty, HandBackReason::timer,
                           HandBackReason::peer_segment, HandBackReason::host})
    hand_backs_[r] = &ctx.stats().counter(stat_name + ".hand_backs." + hand_back_reason_name(r), "hand-backs",
                                          "conns the engine returned to the host for this reason");
  const Counter* busy = &busy_ps_;
  ctx.stats().formula(stat_name + ".utilisation", "1", "fraction of simulated time the engine's processor was busy",
                      [busy] { return static_cast<double>(busy->value()) / static_cast<double>(hostwire::now().ps); });
  ctx.stats().formula(stat_name + ".built_ahead", "B",
                      "bytes of segments the engine emitted that were not yet in the MAC's queue (at the end)",
                      [this] { return static_cast<double>(ahead_bytes_); });
  vcd_busy_ = ctx.vcd().wire(stat_name + ".processing", 1);
  vcd_outstanding_ = ctx.vcd().wire(stat_name + ".memory_used", 32);
  SC_HAS_PROCESS(OffloadEngine);
  SC_METHOD(fire);
  sensitive << wake_;
  dont_initialize();
}

// ---------------------------------------------------------------- time

void OffloadEngine::at(Time t, std::function<void()> f) {
  pending_.emplace(t, std::move(f));
  const Time now = hostwire::now();
  wake_.notify(to_sc(t > now ? t - now : Time{}));
}

void OffloadEngine::fire() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!pending_.empty() && pending_.begin()->first <= now) {
    auto f = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    f();
  }
  if (!pending_.empty()) wake_.notify(to_sc(pending_.begin()->first - now));
}

void OffloadEngine::compute(Cycles cycles, std::function<void()> done) {
  const Time now = hostwire::now();
  const Time start = std::max(now, busy_until_);
  const Time d = p_.clock.time_for(cycles);
  busy_until_ = start + d;
  busy_ps_.add(static_cast<uint64_t>(d.ps));
  // The waveform changes when the work starts (VCD time only moves forward).
  if (start == now) ctx_.vcd().change(vcd_busy_, now, 1);
  else at(start, [this] { ctx_.vcd().change(vcd_busy_, hostwire::now(), 1); });
  at(busy_until_, [this, done = std::move(done)] {
    if (hostwire::now() >= busy_until_) ctx_.vcd().change(vcd_busy_, hostwire::now(), 0);
    done();
  });
}

// ---------------------------------------------------------------- the host's posts

bool OffloadEngine::offload(OffloadRequest r) {
  if (static_cast<int64_t>(conns_.size()) >= p_.max_conns) {
    refused_table_.add();
    return false;
  }
  if (memory_used_ + p_.state_bytes.n > p_.memory.n) {
    refused_memory_.add();
    return false;
  }
  auto c = std::make_unique<Offloaded>();
  c->id = r.conn;
  c->tcp = std::move(r.tcp);
  c->src_mac = r.src_mac;
  c->dst_mac = r.dst_mac;
  c->src_ip = r.src_ip;
  c->dst_ip = r.dst_ip;
  c->ip_id = r.ip_id;
  c->local_port = r.local_port;
  c->remote_port = r.remote_port;
  c->reported = c->tcp->send_path().una();
  Offloaded* cp = c.get();
  // New data leaves only while NIC memory can hold it until it is acknowledged.
  // and while what the engine built ahead of the wire stays under build_ahead.
  cp->tcp->set_transmit_gate([this, cp](uint64_t len) {
    if (ahead_bytes_ + static_cast<int64_t>(len) > p_.build_ahead.n) {
      if (!cp->paced) paced_.add();
      cp->paced = true;
      return false;
    }
    if (memory_used_ + cp->admitted + static_cast<int64_t>(len) > p_.memory.n) {
      memory_stalls_.add();
      return false;
    }
    cp->admitted += static_cast<int64_t>(len);
    ahead_bytes_ += static_cast<int64_t>(len);  // counted here so one pass stays under the bound
    return true;
  });
  by_key_[Key{c->dst_ip.value, c->local_port, c->remote_port}] = cp;
  conns_[r.conn] = std::move(c);
  offloads_.add();
  account(*cp);
  // The offload descriptor and the conn's state come over the bus before the engine starts.
  const Time read = dma_.transfer(tlm::TLM_READ_COMMAND, tx_buffers_, static_cast<uint32_t>(p_.state_bytes.n),
                                  hostwire::now());
  dma_bytes_.add(static_cast<uint64_t>(p_.state_bytes.n));
  const uint64_t id = r.conn;
  at(read, [this, id] {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Offloaded& c = *it->second;
    c.ready = true;
    c.tcp->push(hostwire::now());  // what the windows allow, now on the NIC
    drain_output(c);
    arm_timer(c);
  });
  return true;
}

void OffloadEngine::chain(uint64_t conn, const PayloadSlice& data) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second->leaving) return;
  Offloaded& c = *it->second;
  c.tcp->send_shared(data, hostwire::now());
  if (c.ready) {
    drain_output(c);
    arm_timer(c);
  }
}

void OffloadEngine::segment_from_host(uint64_t conn, const tcp::Segment& s) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Offloaded* c = it->second.get();
  compute(p_.ack_cycles, [this, c, s] { take(*c, s); });
}

void OffloadEngine::take(Offloaded& c, const tcp::Segment& s) {
  if (c.leaving) c.late.push_back(s);  // decided meanwhile: the host's TCP processes it
  else on_ack(c, s);
}

void OffloadEngine::request_hand_back(uint64_t conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second->leaving) return;
  hand_back(*it->second, HandBackReason::host);
}

// ---------------------------------------------------------------- ACKs

bool OffloadEngine::steer(const Packet& p) {
  if (conns_.empty()) return false;
  // The headers only: the payload travels by reference (as the host's IP layer reads them).
  const auto h = p.header_bytes();
  auto eth = net::decode_ethernet(h);
  if (!eth || eth->header.ether_type != net::kEtherTypeIpv4) return false;
  auto ip = net::decode_ipv4(h.subspan(eth->length), net::Ipv4Payload::elsewhere);
  if (!ip || ip->header.protocol != net::kIpProtocolTcp) return false;
  const size_t l4 = eth->length + ip->length;
  if (h.size() < l4 + net::kTcpMinHeaderBytes) return false;
  auto tcp = net::decode_tcp(h.subspan(l4));
  if (!tcp) return false;
  auto it = by_key_.find(Key{ip->header.src.value, tcp->header.dst_port, tcp->header.src_port});
  if (it == by_key_.end() || it->second->leaving) return false;
  Offloaded* c = it->second;
  tcp::Segment s{tcp->header, p.payload};
  // Only pure ACKs: anything more (data, FIN, RST) goes to the host, which asks for the conn back.
  if (!only_acknowledges(s)) return false;
  acks_in_.add();
  compute(p_.ack_cycles, [this, c, s] { take(*c, s); });
  return true;
}

void OffloadEngine::on_ack(Offloaded& c, const tcp::Segment& s) {
  const Time now = hostwire::now();
  const uint64_t dup_before = c.tcp->dupacks_received();
  c.tcp->on_segment(s, now);
  const bool duplicate = c.tcp->dupacks_received() > dup_before;
  drain_output(c);  // what this ACK let out (limited transmit too) leaves before any hand-back
  if (duplicate) {
    hand_back(c, HandBackReason::duplicate_ack, now);
    return;
  }
  if (c.tcp->send_path().una() >= c.tcp->send_path().data_end() && c.tcp->unsent_bytes() == 0) {
    hand_back(c, HandBackReason::empty);
    return;
  }
  report_progress(c);
  arm_timer(c);
}

void OffloadEngine::report_progress(Offloaded& c) {
  const uint64_t una = c.tcp->send_path().una();
  if (una < c.reported + static_cast<uint64_t>(p_.min_block.n)) return;
  c.reported = una;
  progress_.add();
  Completion done;
  done.conn = c.id;
  done.acked = una;
  complete(std::move(done), 16);
}

// ---------------------------------------------------------------- output

void OffloadEngine::drain_output(Offloaded& c) {
  auto& out = c.tcp->output();
  for (tcp::Segment& s : out) {
    Frame* f = ctx_.frames().get();
    net::EthernetHeader eth{};
    eth.dst = c.dst_mac;
    eth.src = c.src_mac;
    net::Ipv4Header ip{};
    ip.df = true;
    ip.id = c.ip_id++;
    ip.src = c.src_ip;
    ip.dst = c.dst_ip;
    auto layout = net::build_tcp_frame(f->packet, eth, ip, s.header, s.payload);
    if (!layout) {
      f->gp.release();
      continue;
    }
    f->packet.retransmission = s.retransmission;
    f->packet.id = ctx_.next_packet_id();
    segments_out_.add();
    if (s.retransmission) retransmits_.add();
    bytes_out_.add(s.payload.length);
    const uint32_t bytes = s.payload.length;
    const uint64_t address = tx_buffers_ + (s.header.seq % (64u << 20));
    const uint64_t id = c.id;
    ++c.in_transit;
    if (s.retransmission) ahead_bytes_ += bytes;  // new data was counted by the gate
    compute(p_.segment_cycles, [this, f, bytes, address, id] {
      // The payload comes from host memory as the segment is built; the frame leaves when it is in.
      Time ready = hostwire::now();
      if (bytes > 0) {
        ready = dma_.transfer(tlm::TLM_READ_COMMAND, address, bytes, ready);
        dma_bytes_.add(bytes);
      }
      at(ready, [this, f, id] {
        f->packet.created = hostwire::now();
        transmit(f, id);
      });
    });
  }
  out.clear();
  account(c);
}

void OffloadEngine::transmit(Frame* f, uint64_t conn) {
  const int64_t bytes = f->packet.payload.length;
  if (!blocked_.empty() || !tx_.send_generated(f)) {
    blocked_.emplace_back(f, conn);
    return;
  }
  queued(conn, bytes);
}

void OffloadEngine::tx_space() {
  while (!blocked_.empty()) {
    Frame* f = blocked_.front().first;
    const int64_t bytes = f->packet.payload.length;
    if (!tx_.send_generated(f)) break;
    const uint64_t conn = blocked_.front().second;
    blocked_.pop_front();
    queued(conn, bytes);
  }
}

void OffloadEngine::queued(uint64_t conn, int64_t bytes) {
  ahead_bytes_ -= bytes;
  if (ahead_bytes_ * 2 <= p_.build_ahead.n) {
    // Room again: conns held back by build_ahead send what their windows allow.
    for (auto& [id, other] : conns_) {
      if (!other->paced || other->leaving || !other->ready) continue;
      other->paced = false;
      other->tcp->push(hostwire::now());
      drain_output(*other);
    }
  }
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Offloaded& c = *it->second;
  // The host's frames of a handed-back conn must follow the engine's on the wire: its
  // completion waits until the last of them is in the MAC's queue.
  if (--c.in_transit == 0 && c.after_transit) std::exchange(c.after_transit, nullptr)();
}

void OffloadEngine::account(Offloaded& c) {
  const auto& sp = c.tcp->send_path();
  const int64_t held = p_.state_bytes.n + static_cast<int64_t>(sp.nxt() - sp.una());
  memory_used_ += held - c.held;
  c.held = held;
  c.admitted = 0;
  memory_peak_.set(std::max(memory_peak_.value(), static_cast<double>(memory_used_)));
  trace_memory();
}

void OffloadEngine::arm_timer(Offloaded& c) {
  const auto t = c.tcp->next_timer();
  if (!t || (c.timer_at && *c.timer_at <= *t)) return;
  c.timer_at = t;
  const uint64_t id = c.id;
  at(*t, [this, id] {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Offloaded& c = *it->second;
    c.timer_at.reset();
    if (c.leaving) return;
    const auto due = c.tcp->next_timer();
    if (due && *due <= hostwire::now()) {
      hand_back(c, HandBackReason::timer);  // the host's TCP runs the timer (RTO, persist)
      return;
    }
    arm_timer(c);
  });
}

// ---------------------------------------------------------------- hand-back

void OffloadEngine::hand_back(Offloaded& c, HandBackReason why, std::optional<Time> dup_at) {
  c.leaving = true;
  by_key_.erase(Key{c.dst_ip.value, c.local_port, c.remote_port});  // ACKs go to the host again
  hand_backs_.at(why)->add();
  Offloaded* cp = &c;
  // The state is written back after the work already on the processor (segments being built,
  // ACKs taken before the decision, which go back with it), then the completion lands.
  compute(p_.ack_cycles, [this, cp, why, dup_at] {
    Completion done;
    done.conn = cp->id;
    done.hand_back = true;
    done.reason = why;
    done.state = cp->tcp->snapshot();
    done.acked = cp->tcp->send_path().una();
    done.ip_id = cp->ip_id;
    done.returned = std::move(cp->late);
    done.duplicate_ack_at = dup_at;
    cp->after_transit = [this, done = std::move(done)]() mutable {
      complete(std::move(done), static_cast<uint32_t>(p_.state_bytes.n));
    };
    if (cp->in_transit == 0) std::exchange(cp->after_transit, nullptr)();
  });
}

void OffloadEngine::complete(Completion done, uint32_t bytes) {
  const Time landed = dma_.transfer(tlm::TLM_WRITE_COMMAND, tx_buffers_, bytes, hostwire::now());
  dma_bytes_.add(bytes);
  at(landed, [this, done = std::move(done)]() mutable {
    if (done.hand_back) {
      auto it = conns_.find(done.conn);
      if (it != conns_.end()) {
        memory_used_ -= it->second->held;
        conns_.erase(it);
        trace_memory();
      }
    }
    if (on_completion) on_completion(std::move(done));
  });
}

void OffloadEngine::trace_memory() {
  ctx_.vcd().change(vcd_outstanding_, hostwire::now(), static_cast<uint64_t>(std::max<int64_t>(0, memory_used_)));
}

}  // namespace hostwire::toe
