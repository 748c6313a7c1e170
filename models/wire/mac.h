// An Ethernet MAC at the end of a link: a transmit queue in front of the wire, and a receive
// side that checks each frame's FCS and size before handing it up. It sends the next queued
// frame the moment the wire is free again, so back-to-back frames leave exactly one
// inter-frame gap apart.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/log.h"
#include "core/params.h"
#include "core/sim.h"

namespace hostwire::wire {

struct MacParams {
  Bytes tx_queue{256 * 1024};

  template <class V>
  void visit(V& v) {
    v(tx_queue, "tx_queue", "transmit queue in front of the wire; a frame that does not fit is dropped",
      Limits::at_least(1518));
  }
};

class Mac : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Mac> tx;
  tlm_utils::simple_target_socket<Mac> rx;

  // `max_frame_bytes`: the largest frame (no FCS) the receiver accepts, from the link MTU.
  Mac(sc_core::sc_module_name name, SimContext& ctx, const MacParams& params, const std::string& stat_name,
      int64_t max_frame_bytes);

  // Queues a frame (the MAC takes the caller's reference). Returns false, and drops and
  // counts the frame, when the transmit queue is full.
  bool send(Frame* frame);
  bool tx_idle() const { return !tx_busy_ && queue_.empty(); }
  uint64_t tx_queued_frames() const { return queue_.size(); }

  std::function<void(Packet&)> on_receive;      // each good frame, as its last bit arrives
  std::function<void(const Packet&)> rx_tap;    // the same frames, for a capture
  // Called in turn when the queue ran empty and the wire is free (line-rate sources refill).
  std::vector<std::function<void()>> on_tx_idle;
  // Each frame as it leaves the queue for the wire (a NIC frees its packet-buffer space).
  std::function<void(const Packet&)> on_tx_start;

 private:
  tlm::tlm_sync_enum rx_frame(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void start_next();
  void wire_free();

  SimContext& ctx_;
  MacParams params_;
  Logger log_;
  int64_t max_frame_bytes_;
  struct Queued {
    Frame* frame;
    Time at;  // offered to the MAC: the start of its "queued" slice
  };
  std::deque<Queued> queue_;
  int64_t queued_bytes_ = 0;
  bool tx_busy_ = false;
  sc_core::sc_event wire_free_event_;
  int vcd_tx_queue_;  // bytes waiting in the transmit queue
  int trace_tx_;      // timeline tracks: time in the transmit queue, frames received
  int trace_rx_;

  Counter& tx_frames_;
  Counter& tx_bytes_;
  Counter& tx_queue_drops_;
  Counter& rx_frames_;
  Counter& rx_bytes_;
  Counter& rx_fcs_errors_;
  Counter& rx_oversize_;
  Counter& offered_frames_;
  Counter& rx_arrived_;
};

}  // namespace hostwire::wire
