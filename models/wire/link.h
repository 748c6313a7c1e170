// A full-duplex point-to-point Ethernet link: two independent directions, each a
// LinkChannel. A channel serialises one frame at a time at the line rate, then the frame
// propagates for a fixed delay; many frames can be in propagation at once.
//
// TLM protocol on `in` (approximately timed, base protocol phases): the MAC sends
// BEGIN_REQ when the channel is idle; the channel answers TLM_UPDATED with END_REQ and a
// delay equal to the frame's time on the wire (including the inter-frame gap): the MAC may
// send its next frame after that delay, not before (a busy wire says no). The frame reaches
// the far MAC through `out` as BEGIN_REQ when its last bit arrives; the receiver completes
// it at once (a MAC never back-pressures the wire).
// A cut-through switch port asks for its frames earlier, once their first bytes are in
// (deliver_after_bytes).
//
// Faults (FaultInjector, seeded per direction) act on a frame as it leaves the sender: it
// still occupies the line, then it is lost, or arrives with a flipped bit (the receiving MAC's
// FCS check drops it), late (reordered), or twice.
#pragma once

#include <queue>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/log.h"
#include "core/params.h"
#include "core/sim.h"
#include "core/units.h"
#include "wire/faults/fault_injector.h"

namespace hostwire::wire {

struct LinkParams {
  Rate rate = Rate::from_gbps(10);
  Time propagation = Time::from_ns(500);  // about 100 m of fibre
  Bytes mtu{1500};

  template <class V>
  void visit(V& v) {
    v(rate, "rate", "line rate of each direction", Limits::positive());
    v(propagation, "propagation", "one-way propagation delay", Limits::non_negative());
    v(mtu, "mtu", "largest IP packet a frame may carry (Ethernet payload)", Limits::range(68, 65535));
  }
};

class LinkChannel : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<LinkChannel> in;
  tlm_utils::simple_initiator_socket<LinkChannel> out;

  // `stat_name` is the channel's name in reports and tap points, e.g. "link0.a_to_b".
  LinkChannel(sc_core::sc_module_name name, SimContext& ctx, const LinkParams& params, const FaultParams& faults,
              const std::string& stat_name);

  // Called for each frame as its last bit leaves the sender, with the time it started
  // (capture taps hook here).
  std::function<void(const Packet&, Time start)> on_transmit;
  // Called for each frame as it reaches `out`, after the faults: lost frames never come, a
  // corrupted one carries its flipped bit, a duplicate comes twice (the receiver's view).
  std::function<void(const Packet&)> on_deliver;

  // 0: a frame reaches `out` when its last bit arrives (a MAC checks the FCS first). n > 0:
  // when its first n bytes from the destination MAC have, for a receiver that starts on a
  // frame before its end (a cut-through switch port); its last bit follows at the line rate.
  int64_t deliver_after_bytes = 0;

  uint64_t in_flight() const { return arrivals_.size(); }
  Time busy_until() const { return next_free_; }
  Rate rate() const { return params_.rate; }

 private:
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void deliver_due();
  void schedule(Time arrive, tlm::tlm_generic_payload* gp);
  void busy_end();  // the last bit left: the line idles through the inter-frame gap
  void record_in_flight();

  struct Arrival {
    int64_t at_ps;
    uint64_t seq;  // FIFO among equal times, so delivery order is deterministic
    tlm::tlm_generic_payload* gp;
    bool operator>(const Arrival& o) const { return at_ps != o.at_ps ? at_ps > o.at_ps : seq > o.seq; }
  };

  SimContext& ctx_;
  LinkParams params_;
  Logger log_;
  FaultInjector faults_;
  Time next_free_{};
  uint64_t seq_ = 0;
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> arrivals_;
  sc_core::sc_event arrival_event_;
  sc_core::sc_event busy_end_event_;  // only notified while the busy signal is traced
  int vcd_busy_;        // 1 while frame bits (preamble to FCS) are on the line
  int vcd_in_flight_;   // frames propagating
  int trace_track_;     // timeline: each frame's bits on the line

  Counter& frames_in_;
  Counter& bytes_in_;
  Counter& wire_bytes_;
  Counter& frames_delivered_;
  Counter& bytes_delivered_;
  Counter& busy_ps_;
  Counter& dropped_loss_;
  Counter& dropped_burst_;
  Counter& dropped_link_down_;
  Counter& corrupted_;
  Counter& duplicated_;
  Counter& reordered_;
};

class Link : public sc_core::sc_module {
 public:
  LinkChannel a_to_b;
  LinkChannel b_to_a;
  Link(sc_core::sc_module_name name, SimContext& ctx, const LinkParams& params, const FaultParams& a_to_b_faults = {},
       const FaultParams& b_to_a_faults = {});
};

}  // namespace hostwire::wire
