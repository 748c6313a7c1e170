// One direction of the PCIe link (upstream: device to host, downstream: host to device). The
// two directions are independent resources, as PCIe's separate transmit and receive lanes are:
// a DMA read's requests travel one way while its completions, and other traffic, use the other.
#pragma once

#include <deque>
#include <string>

#include <systemc>

#include "bus/timeline.h"
#include "core/sim.h"

namespace hostwire::bus {

class Lane : public sc_core::sc_module {
 public:
  // `stat_name`: e.g. "host_b.bus.upstream".
  Lane(sc_core::sc_module_name name, SimContext& ctx, const std::string& stat_name);

  // Books a transfer of `link_bytes` (of which `payload` are data, in `tlps` TLPs) lasting
  // `occupancy`, ready at `ready`; returns when its first byte goes on the link.
  Time book(Time ready, Time occupancy, int64_t payload, int64_t link_bytes, int64_t tlps);
  Time next_free() const { return timeline_.next_free(); }
  Time busy_before(Time t) const { return timeline_.busy_before(t); }

 private:
  void busy_edge();  // the busy wire follows the booked intervals as time reaches them

  SimContext& ctx_;
  Timeline timeline_;
  int vcd_busy_;
  std::deque<Timeline::Interval> vcd_ahead_;  // only filled while the busy wire is recorded
  sc_core::sc_event edge_event_;

  Counter& transfers_;
  Counter& payload_bytes_;
  Counter& link_bytes_;
  Counter& tlps_;
  Counter& busy_ps_;
};

}  // namespace hostwire::bus
