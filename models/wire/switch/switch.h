// An output-queued Ethernet switch: N ports, a forwarding table, a fixed-latency lookup
// pipeline, and an egress queue per port in front of the leaving link.
//
// A frame is taken at ingress, looked up (learning its source, if on), and enters the egress
// queue of its output port(s) after the forwarding latency:
//   store_and_forward: ready = T_last + forwarding_latency
//   cut_through:       ready = T_ct + forwarding_latency
// T_last is when the frame's last bit arrived, T_ct when its first cut_through_bytes had
// (T_last - T_in(frame - cut_through_bytes), frame sizes with FCS): a cut-through port asks its
// arriving link to deliver frames at T_ct (LinkChannel::deliver_after_bytes). A cut-through
// frame also starts no earlier than T_last - T_out(preamble + frame), so a faster egress never
// runs out of frame before the ingress has it all (no underrun). The latency is the same for
// every frame, so the pipeline is one FIFO in arrival order. The egress then sends as soon as
// its link is free, one frame at a time.
//
// Store-and-forward drops a frame whose FCS is bad at ingress; cut-through has already started
// forwarding it, so it goes on and the next MAC drops it.
#pragma once

#include <memory>
#include <deque>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "core/log.h"
#include "core/sim.h"
#include "net/address.h"
#include "wire/link.h"
#include "wire/switch/forwarding_table.h"
#include "wire/switch/switch_params.h"
#include "wire/switch/switch_port.h"

namespace hostwire::wire {

class Switch : public sc_core::sc_module {
 public:
  // `stat_name` names the switch in reports, e.g. "switch0" (ports are "switch0.port<i>").
  Switch(sc_core::sc_module_name name, SimContext& ctx, const SwitchParams& params, const std::string& stat_name);

  int ports() const { return static_cast<int>(ports_.size()); }
  SwitchPort& port(int i) { return *ports_.at(static_cast<size_t>(i)); }

  // Puts port `i` between two directions of a link: frames arrive from `arriving` and leave on
  // `leaving` (binds arriving.out to the port's rx and its tx to leaving.in). Cut-through also
  // takes both links' rates and has `arriving` deliver each frame at its first bytes.
  void connect(int i, LinkChannel& arriving, LinkChannel& leaving);

  // A static forwarding entry (see ForwardingTable::add_static).
  bool add_static_entry(const net::MacAddress& mac, int port) { return table_.add_static(mac, port); }
  const ForwardingTable& table() const { return table_; }

  // Frames inside the switch: in the lookup pipeline or waiting in an egress queue (a frame
  // being transmitted belongs to the leaving link, see LinkChannel::in_flight).
  uint64_t frames_held() const;
  uint64_t in_pipeline() const { return pipeline_.size(); }

 private:
  struct Pending {
    Time ready;    // the lookup is done: into the egress queue
    Time last_in;  // its last bit is in at ingress
    tlm::tlm_generic_payload* gp;
    int ingress;
    Forward where;
  };

  void ingress(int port, tlm::tlm_generic_payload& gp);
  Time last_bit_in(int port, const Packet& p) const;
  void pipeline_exit();  // SC_METHOD: frames whose lookup is done enter their egress queues
  void to_egress(const Pending& f);
  void start_of_simulation() override;

  SimContext& ctx_;
  SwitchParams params_;
  Logger log_;
  ForwardingTable table_;
  std::vector<std::unique_ptr<SwitchPort>> ports_;
  std::deque<Pending> pipeline_;
  sc_core::sc_event pipeline_event_;

  Counter& frames_in_;
  Counter& bytes_in_;
  Counter& flood_copies_;
  Counter& filtered_;
  Counter& dropped_fcs_;
};

}  // namespace hostwire::wire
