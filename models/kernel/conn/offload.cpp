#include "kernel/conn/offload.h"

#include "kernel/conn/tcp_stack.h"
#include "kernel/socket/socket.h"

namespace hostwire::kernel {

OffloadHost::OffloadHost(TcpStack& stack, toe::OffloadEngine* engine, const toe::ToeParams& params, Cycles post,
                         Cycles completion)
    : stack_(stack), engine_(engine), p_(params), post_(post), completion_(completion) {
  if (!engine_) return;
  auto& st = stack.context().stats();
  const std::string n = stack.stat_name() + ".toe";
  posts_ = &st.counter(n + ".offloads_posted", "posts", "offload descriptors the host posted (a conn handed over)");
  chains_ = &st.counter(n + ".chained_blocks", "posts", "blocks of new data the host chained to an offloaded conn");
  completions_ = &st.counter(n + ".completions", "completions",
                             "engine completions the host took (progress and hand-backs), each an interrupt");
  hand_backs_ = &st.counter(n + ".hand_backs", "hand-backs", "conns the host took back and restored");
  forwarded_ = &st.counter(n + ".forwarded_acks", "segments",
                           "ACKs of an offloaded conn that reached the host first and were forwarded to the engine");
  restore_failed_ = &st.counter(n + ".restore_failed", "hand-backs",
                                "hand-backs whose send state the host's TCP refused (a model error; must be 0)");
  recovery_ = &st.histogram(n + ".recovery_time", "ps",
                            "from the duplicate ACK that ended an offload to the host's first retransmission");
  ProtocolDatabase& db = stack.protocols();
  db.add({"toe_offloaded", "toe", stack.kp_.ip_input, &OffloadHost::offloaded_input});
  offloaded_ = *db.list({"toe_offloaded"});
}

bool OffloadHost::eligible(const Conn& c) {
  const tcp::Connection& t = *c.tcp;
  // A loss episode the engine handed back stays the host's until all it had sent is acknowledged.
  return t.state() == tcp::State::established && !c.parallel && !t.in_recovery() && !t.in_loss() &&
         t.send_path().una() >= state(c).hold_until &&
         t.unsent_bytes() >= static_cast<uint64_t>(p_.min_block.n) && c.outbox.empty() && !c.output_scheduled &&
         c.bytes_below == 0 &&  // the host's frames left first: the engine's follow them on the wire
         c.queue.empty() && c.state == c.data_state;
}

void OffloadHost::after_call(Conn& c) {
  if (!engine_ || c.id == 0) return;
  State& s = state(c);
  if (s.offloaded) {
    if (!s.leaving && c.tcp->send_path().data_end() >= s.posted_end + static_cast<uint64_t>(p_.min_block.n)) chain(c);
    return;
  }
  if (!s.posting && eligible(c)) post(c);
}

void OffloadHost::post(Conn& c) {
  State& s = state(c);
  s.posting = true;
  s.conn = &c;
  cpu::WorkItem w;
  w.cycles = post_.n;
  w.priority = cpu::Priority::softirq;
  w.kind = "toe_post";
  Conn* cp = &c;
  w.done = [this, cp] {
    Conn& c = *cp;
    State& s = state(c);
    s.posting = false;
    if (!eligible(c)) return;  // the windows, recovery or the queue changed meanwhile
    toe::OffloadRequest r;
    r.conn = c.id;
    r.tcp = c.tcp->offload_copy();
    r.src_mac = stack_.port_.mac;
    r.dst_mac = stack_.port_.neighbour(c.peer);
    r.src_ip = stack_.port_.ip;
    r.dst_ip = c.peer;
    r.local_port = c.local_port;
    r.remote_port = c.remote_port;
    r.ip_id = c.ip_id;
    if (!engine_->offload(std::move(r))) return;  // the engine counted why; the conn stays here
    posts_->add();
    s.offloaded = true;
    s.leaving = false;
    s.posted_end = c.tcp->send_path().data_end();
    c.tcp->set_piece_mode(true);  // the host's copy sends nothing new while the NIC has the conn
    stack_.enter_state(c, "offloaded", offloaded_, hostwire::now());
  };
  stack_.cpu().core(c.core).submit(std::move(w));
}

void OffloadHost::chain(Conn& c) {
  State& s = state(c);
  const uint64_t end = c.tcp->send_path().data_end();
  const auto len = static_cast<uint32_t>(end - s.posted_end);
  const PayloadSlice data = c.tcp->send_path().stream_slice(s.posted_end, len);
  s.posted_end = end;
  chains_->add();
  cpu::WorkItem w;
  w.cycles = post_.n;
  w.priority = cpu::Priority::softirq;
  w.kind = "toe_chain";
  const uint64_t id = c.id;
  w.done = [this, id, data] { engine_->chain(id, data); };
  stack_.cpu().core(c.core).submit(std::move(w));
}

void OffloadHost::ask_back(Conn& c) {
  State& s = state(c);
  if (s.leaving) return;
  s.leaving = true;
  engine_->request_hand_back(c.id);
}

bool OffloadHost::defer_close(Conn& c, bool abort) {
  if (!engine_) return false;
  auto it = states_.find(c.id);
  if (it == states_.end() || !it->second.offloaded) return false;
  it->second.close = abort ? 2 : 1;
  ask_back(c);
  return true;
}

Verdict OffloadHost::offloaded_input(TcpStack& stack, Conn& c, Input& in) {
  OffloadHost& self = stack.offload_;
  State& s = self.state(c);
  if (toe::only_acknowledges(in.segment) && !s.leaving && self.engine_->holds(c.id)) {
    self.forwarded_->add();
    self.engine_->segment_from_host(c.id, in.segment);
    return Verdict::consumed;
  }
  // The host's TCP takes it once the conn is back.
  in.frame->gp.acquire();
  s.waiting.push_back(in);
  self.ask_back(c);
  return Verdict::consumed;
}

void OffloadHost::completion(toe::Completion done) {
  auto it = states_.find(done.conn);
  if (it == states_.end() || !it->second.conn) return;
  Conn* cp = it->second.conn;
  completions_->add();
  // The completion's interrupt and the driver's handling, on the conn's core.
  cpu::WorkItem w;
  w.cycles = completion_.n;
  w.priority = cpu::Priority::irq;
  w.kind = done.hand_back ? "toe_hand_back" : "toe_progress";
  w.done = [this, cp, done = std::move(done)]() mutable {
    Conn& c = *cp;
    if (done.hand_back) {
      take_back(c, done);
      return;
    }
    c.tcp->release_below(done.acked);
    if (c.socket) c.socket->wake();  // room to write
  };
  stack_.cpu().core(cp->core).submit(std::move(w));
}

void OffloadHost::take_back(Conn& c, toe::Completion& done) {
  State& s = state(c);
  const Time now = hostwire::now();
  hand_backs_->add();
  const auto r = c.tcp->restore(*done.state);
  if (!r) {
    restore_failed_->add();
    HW_LOG(stack_.log_, error, "conn {}: the engine's send state was refused: {}", c.id, r.reason);
  }
  c.ip_id = done.ip_id;
  c.tcp->set_piece_mode(false);
  s.offloaded = false;
  s.leaving = false;
  s.duplicate_ack_at = done.duplicate_ack_at;
  if (done.reason == toe::HandBackReason::duplicate_ack || done.reason == toe::HandBackReason::timer)
    s.hold_until = done.state->nxt();
  stack_.enter_state(c, c.data_state, c.data_list, now);
  // What waited for the conn runs its list now, in order (the ACKs the engine handed back came
  // before those that reached the host); its layers' work is charged after.
  for (auto it = done.returned.rbegin(); it != done.returned.rend(); ++it)
    s.waiting.push_front(Input{nullptr, *it, c.peer, c.core});
  Cycles replay{};
  while (!s.waiting.empty()) {
    Input in = std::move(s.waiting.front());
    s.waiting.pop_front();
    replay = replay + c.list.cycles();
    stack_.run_list(c, in);
    if (in.frame) in.frame->gp.release();
  }
  if (replay.n > 0) {
    stack_.charge(c, replay);
    stack_.charge_now(c);
  }
  if (s.close == 1) c.tcp->close(now);
  if (s.close == 2) c.tcp->abort(now);
  s.close = 0;
  stack_.after_call(c);
  if (c.socket) c.socket->wake();
}

void OffloadHost::emitted(Conn& c, const tcp::Segment& seg) {
  if (!engine_ || !seg.retransmission) return;
  auto it = states_.find(c.id);
  if (it == states_.end() || !it->second.duplicate_ack_at) return;
  recovery_->record((hostwire::now() - *it->second.duplicate_ack_at).ps);
  it->second.duplicate_ack_at.reset();
}

}  // namespace hostwire::kernel
