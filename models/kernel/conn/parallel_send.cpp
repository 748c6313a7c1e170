#include "kernel/conn/parallel_send.h"

#include <algorithm>

#include "kernel/conn/tcp_stack.h"

namespace hostwire::kernel {

ParallelSend::ParallelSend(TcpStack& stack, const ParallelParams& p) : stack_(stack), p_(p) {
  if (!on()) return;
  auto& st = stack.context().stats();
  const std::string n = stack.stat_name() + ".parallel";
  chunks_ = &st.counter(n + ".chunks", "chunks", "chunks of new data reserved and handed to a PE");
  chunk_bytes_ = &st.counter(n + ".chunk_bytes", "B", "payload bytes in the chunks handed to PEs");
  serial_cycles_ = &st.counter(n + ".serial_cycles", "cycles", "the serial step: reserving chunks on the conns' cores");
  prep_cycles_ = &st.counter(n + ".prep_cycles", "cycles", "the PEs' preparation: copy, checksum, headers, descriptors");
  stale_ = &st.counter(n + ".stale_pieces", "pieces", "reserved pieces acknowledged (through a retransmission) "
                       "before their PE built them: nothing to send");
  waited_ = &st.counter(n + ".doorbell_waits", "chunks", "order doorbell: chunks prepared before the previous one "
                        "was posted, waiting for their turn");
  const Counter* serial = serial_cycles_;
  const Counter* prep = prep_cycles_;
  const Counter* bytes = chunk_bytes_;
  st.formula(n + ".serial_cycles_per_byte", "cycles/B", "serial step cycles per byte handed to PEs",
             [serial, bytes] { return bytes->value() ? static_cast<double>(serial->value()) / bytes->value() : 0.0; });
  st.formula(n + ".prep_cycles_per_byte", "cycles/B", "PE preparation cycles per byte handed to PEs",
             [prep, bytes] { return bytes->value() ? static_cast<double>(prep->value()) / bytes->value() : 0.0; });
  st.formula(n + ".serial_share", "", "the serial step's share of the send path's cycles (serial / (serial + PEs))",
             [serial, prep] {
               const double s = static_cast<double>(serial->value()), q = static_cast<double>(prep->value());
               return s + q > 0 ? s / (s + q) : 0.0;
             });
  for (int64_t i = 0; i < p_.pes; ++i) {
    Pe pe;
    const std::string k = fmt::format("{}.pe{}", n, i);
    pe.chunks = &st.counter(k + ".chunks", "chunks", "chunks this PE prepared");
    pe.bytes = &st.counter(k + ".bytes", "B", "payload bytes this PE prepared");
    pe.cycles = &st.counter(k + ".cycles", "cycles", "cycles this PE spent preparing chunks");
    pe.track = stack.context().trace().track(stack.stat_name() + ".parallel", fmt::format("pe{}", i));
    pes_.push_back(pe);
  }
}

int ParallelSend::core_of(const Conn& c, int pe) const {
  const int cores = stack_.cpu().cores();
  const int64_t first = p_.first_core < 0 ? c.core : p_.first_core;
  return static_cast<int>((first + pe) % cores);
}

uint64_t ParallelSend::chunk_bytes(const Conn& c) const {
  const uint64_t mss = std::max<uint32_t>(1, c.tcp->send_mss());
  return std::max<uint64_t>(mss, static_cast<uint64_t>(p_.chunk.n) / mss * mss);
}

bool ParallelSend::worth_a_chunk(Conn& c) const {
  const uint64_t unsent = c.tcp->unsent_bytes(), room = c.tcp->window_room();
  if (unsent == 0 || (room == 0 && c.tcp->bytes_in_flight() > 0)) return false;
  // A chunk when the windows take a whole one (or the whole rest), a third of cwnd at least
  // (Linux's TSO deferral, tso_win_divisor), or anything once nothing is in flight: small
  // ACK-clocked slivers would pay the serial step per sliver.
  const uint64_t want = std::min({chunk_bytes(c), std::max<uint64_t>(c.tcp->send_mss(), c.tcp->cwnd() / 3), unsent});
  c.tcp->note_piece_demand(want);
  return room > 0 && (room >= want || c.tcp->bytes_in_flight() == 0);
}

void ParallelSend::pump(Conn& c) {
  ConnState& cs = conns_[c.id];
  if (cs.reserving || !worth_a_chunk(c)) return;
  if (!stack_.tsq_room(c)) return;
  if (std::none_of(pes_.begin(), pes_.end(), [&](const Pe& pe) { return pe.chunks_in_hand < p_.queue; })) return;
  cs.reserving = true;
  cpu::WorkItem w;
  w.cycles = p_.reserve.n;
  w.priority = cpu::Priority::softirq;
  w.kind = "tcp_chunk_reserve";
  Conn* cp = &c;
  w.done = [this, cp] { reserve(*cp); };
  serial_cycles_->add(static_cast<uint64_t>(p_.reserve.n));
  stack_.cpu().core(c.core).submit(std::move(w));
}

void ParallelSend::reserve(Conn& c) {
  ConnState& cs = conns_[c.id];
  cs.reserving = false;
  const Time now = hostwire::now();
  Chunk k;
  k.pe = pick(c);
  if (k.pe < 0) return;
  const uint64_t want = chunk_bytes(c);
  while (k.bytes < want) {
    auto piece = c.tcp->reserve(want - k.bytes, now);
    if (!piece) break;
    k.bytes += piece->len;
    k.pieces.push_back(*piece);
    if (piece->fin) break;
  }
  // Reserving armed the retransmission timer; the stack's timer follows it.
  stack_.arm_timer(c);
  if (k.pieces.empty()) return;
  k.id = cs.next_id++;
  k.reserved_at = now;
  Pe& pe = pes_[static_cast<size_t>(k.pe)];
  pe.in_hand += k.bytes;
  ++pe.chunks_in_hand;
  chunks_->add();
  chunk_bytes_->add(k.bytes);
  const int core = core_of(c, k.pe);
  const int64_t cycles = prep_cycles(c, k, core);
  prep_cycles_->add(static_cast<uint64_t>(cycles));
  pe.cycles->add(static_cast<uint64_t>(cycles));
  if (p_.order == "doorbell") cs.posting.push_back(Chunk{k.id, k.pe, k.bytes, {}, {}, false, now});
  cpu::WorkItem w;
  w.cycles = cycles;
  w.priority = cpu::Priority::softirq;
  w.kind = "tcp_chunk_prep";
  Conn* cp = &c;
  w.done = [this, cp, k = std::move(k)]() mutable { prepared(*cp, std::move(k)); };
  stack_.cpu().core(core).submit(std::move(w));
  pump(c);  // the next chunk's serial step, if the windows allow
}

int ParallelSend::pick(const Conn& c) {
  const int n = static_cast<int>(pes_.size());
  auto full = [&](int i) { return pes_[static_cast<size_t>(i)].chunks_in_hand >= p_.queue; };
  if (p_.assign == "least_loaded") {
    // The fewest bytes in hand; ties to the core with less queued work, then in turn.
    int best = -1;
    for (int k = 0; k < n; ++k) {
      const int i = (next_pe_ + k) % n;
      if (full(i)) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const Pe& a = pes_[static_cast<size_t>(i)];
      const Pe& b = pes_[static_cast<size_t>(best)];
      if (a.in_hand < b.in_hand ||
          (a.in_hand == b.in_hand &&
           stack_.cpu().core(core_of(c, i)).queued() < stack_.cpu().core(core_of(c, best)).queued()))
        best = i;
    }
    next_pe_ = (best + 1) % n;
    return best;
  }
  // In turn; a PE whose queue is full is passed over (the serial step never waits on one PE
  // while another has room).
  for (int k = 0; k < n; ++k) {
    const int i = (next_pe_ + k) % n;
    if (full(i)) continue;
    next_pe_ = (i + 1) % n;
    return i;
  }
  return -1;
}

int64_t ParallelSend::prep_cycles(const Conn& c, const Chunk& k, int core) const {
  // What the ordinary path spends on the same bytes, split differently: the copy the system
  // call would have made, and per segment TCP and IP output and the driver's descriptor (with
  // the checksum over each segment when the NIC does not compute it).
  Cycles cycles = stack_.costs().copy_cycles(static_cast<int64_t>(k.bytes));
  const int64_t header = c.tcp->timestamps_enabled() ? 32 : 20;  // TCP with the timestamps option
  for (const auto& piece : k.pieces) cycles = cycles + stack_.segment_cycles(piece.len + header);
  if (core != c.core) cycles = cycles + stack_.kp_.handover;
  if (p_.order == "doorbell" && core != c.core) cycles = cycles + p_.ring_lock;
  return cycles.n;
}

void ParallelSend::prepared(Conn& c, Chunk k) {
  const Time now = hostwire::now();
  Pe& pe = pes_[static_cast<size_t>(k.pe)];
  pe.in_hand -= k.bytes;
  --pe.chunks_in_hand;
  pe.chunks->add();
  pe.bytes->add(k.bytes);
  const int core = core_of(c, k.pe);
  for (const auto& piece : k.pieces) {
    if (auto s = c.tcp->build(piece, now)) k.segments.push_back(std::move(*s));
    else stale_->add();
  }
  if (p_.order != "doorbell") {
    post(c, k, core);
    return;
  }
  ConnState& cs = conns_[c.id];
  auto it = std::find_if(cs.posting.begin(), cs.posting.end(), [&](const Chunk& x) { return x.id == k.id; });
  if (it == cs.posting.end()) return;
  if (it != cs.posting.begin()) waited_->add();
  *it = std::move(k);
  it->prepared = true;
  // One ring drains in order: post every prepared chunk at the front, in sequence order.
  while (!cs.posting.empty() && cs.posting.front().prepared) {
    post(c, cs.posting.front(), c.core);
    cs.posting.pop_front();
  }
}

void ParallelSend::post(Conn& c, Chunk& k, int core) {
  // The chunk on its PE's track, from reservation to posting, with an arrow to its first frame.
  auto& trace = stack_.context().trace();
  for (size_t i = 0; i < k.segments.size(); ++i) {
    const bool first = i == 0 && trace.is_open();
    const uint64_t id = stack_.emit(c, k.segments[i], core, first);
    if (first && id && trace.recording(id, k.reserved_at))
      trace.slice(pes_[static_cast<size_t>(k.pe)].track, "chunk", "tcp", k.reserved_at, hostwire::now() - k.reserved_at, id,
                  TraceEventWriter::Flow::join);
  }
  if (!k.segments.empty()) stack_.flush(core);
  pump(c);  // the PE has room for another chunk
}

}  // namespace hostwire::kernel
