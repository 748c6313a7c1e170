// One port of the output-queued switch: the receive side that takes frames from the arriving
// link (like a MAC's rx: it never back-pressures the wire), and the egress queue in front of
// the leaving link. The egress sends one frame at a time with the MAC's protocol towards a
// LinkChannel (BEGIN_REQ, answered END_REQ with the frame's time on the wire) and offers the
// next frame only when that time has passed, so the port runs at the leaving link's rate.
//
// The egress buffer is this port's own (shared-nothing): a frame that would take the queued,
// not yet transmitted bytes past it is dropped and counted.
#pragma once

#include <deque>
#include <functional>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/log.h"
#include "core/sim.h"

namespace hostwire::wire {

class SwitchPort : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SwitchPort> rx;     // bind the arriving LinkChannel's `out` here
  tlm_utils::simple_initiator_socket<SwitchPort> tx;  // bind to the leaving LinkChannel's `in`

  // `stat_name` names the port in reports, e.g. "switch0.port3".
  SwitchPort(sc_core::sc_module_name name, SimContext& ctx, Bytes egress_buffer, const std::string& stat_name);

  // Each frame as it arrives on rx: its last bit, or its first bytes for cut-through (the
  // switch's ingress pipeline takes it from here; it must acquire the payload to keep it).
  std::function<void(tlm::tlm_generic_payload&)> on_arrival;
  // The same frames, for a capture at the port's ingress (before the FCS check and lookup).
  std::function<void(const Packet&)> rx_tap;
  // Each frame as the egress hands it to the leaving link, with the time its first bit goes
  // out (capture taps hook here, as on LinkChannel::on_transmit).
  std::function<void(const Packet&, Time start)> on_transmit;

  // Puts a frame in the egress queue; the port takes the caller's reference. Returns false,
  // and drops and counts the frame, when it does not fit in the egress buffer. `last_in` is
  // when the frame's last bit is in at ingress: a cut-through frame does not start before it
  // could end no earlier than that (the egress never runs out of frame).
  bool enqueue(tlm::tlm_generic_payload* gp, Time last_in);

  uint64_t queued_frames() const { return queue_.size(); }
  int64_t queued_bytes() const { return queued_bytes_; }
  // Line rates of the arriving and leaving links, known once the switch connected the port
  // (cut-through times a frame's end from them).
  Rate ingress_rate{};
  Rate egress_rate{};

  uint64_t frames_out() const { return frames_out_.value(); }
  uint64_t dropped() const { return dropped_frames_.value(); }

 private:
  tlm::tlm_sync_enum rx_frame(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void transmit_head();
  void line_free();  // SC_METHOD: the leaving link may take a frame
  void record_queue();

  SimContext& ctx_;
  Logger log_;
  int64_t buffer_bytes_;
  struct Queued {
    tlm::tlm_generic_payload* gp;
    Time not_before;  // earliest first bit out
    Time at;          // queued: the start of its "egress queue" slice
  };
  std::deque<Queued> queue_;
  int64_t queued_bytes_ = 0;
  bool line_busy_ = false;  // the leaving link has not yet said it may take the next frame
  sc_core::sc_event line_free_event_;
  int vcd_queue_bytes_;
  int trace_queue_;  // timeline track

  Counter& frames_in_;
  Counter& bytes_in_;
  Counter& frames_out_;
  Counter& bytes_out_;
  Counter& dropped_frames_;
  Counter& dropped_bytes_;
  Gauge& peak_queue_bytes_;
};

}  // namespace hostwire::wire
