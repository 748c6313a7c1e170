#include "bus/lane.h"

#include <algorithm>

namespace hostwire::bus {

Lane::Lane(sc_core::sc_module_name name, SimContext& ctx, const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      transfers_(ctx.stats().counter(stat_name + ".transfers", "transfers", "transfers booked on this direction")),
      payload_bytes_(ctx.stats().counter(stat_name + ".bytes", "B", "data bytes carried (no TLP overhead)")),
      link_bytes_(ctx.stats().counter(stat_name + ".link_bytes", "B", "bytes of link time used, TLP overhead included")),
      tlps_(ctx.stats().counter(stat_name + ".tlps", "TLPs", "transaction layer packets sent")),
      busy_ps_(ctx.stats().counter(stat_name + ".busy_time", "ps", "link time booked, including bookings still ahead")) {
  SC_HAS_PROCESS(Lane);
  SC_METHOD(busy_edge);
  sensitive << edge_event_;
  dont_initialize();
  vcd_busy_ = ctx.vcd().wire(stat_name + ".transferring");

  auto& st = ctx.stats();
  st.formula(stat_name + ".utilisation", "1", "fraction of simulated time this direction was busy", [this] {
    const Time t = hostwire::now();
    return t.ps > 0 ? static_cast<double>(timeline_.busy_before(t).ps) / static_cast<double>(t.ps) : 0.0;
  });
  // Busy time inside each sampling interval: the timeline's exact busy time is the accumulator.
  st.series(stat_name + ".utilisation", "1", [this, last_busy = int64_t{0}, last_t = int64_t{0}]() mutable {
    const Time t = hostwire::now();
    timeline_.retire(t);
    const int64_t busy = timeline_.busy_before(t).ps;
    const double u = t.ps > last_t ? static_cast<double>(busy - last_busy) / static_cast<double>(t.ps - last_t) : 0.0;
    last_busy = busy, last_t = t.ps;
    return u;
  });
}

Time Lane::book(Time ready, Time occupancy, int64_t payload, int64_t link_bytes, int64_t tlps) {
  timeline_.retire(hostwire::now());
  const Time start = timeline_.book(ready, occupancy);
  transfers_.add();
  payload_bytes_.add(static_cast<uint64_t>(payload));
  link_bytes_.add(static_cast<uint64_t>(link_bytes));
  tlps_.add(static_cast<uint64_t>(tlps));
  busy_ps_.add(static_cast<uint64_t>(occupancy.ps));
  // The VCD file must be written in time order, and the booking lies ahead: keep the interval
  // and let busy_edge() write its edges when simulated time reaches them (no event when off).
  if (occupancy.ps > 0 && ctx_.vcd().recording(vcd_busy_)) {
    const int64_t end = (start + occupancy).ps;
    if (!vcd_ahead_.empty() && vcd_ahead_.back().end_ps == start.ps) {
      vcd_ahead_.back().end_ps = end;
    } else {
      vcd_ahead_.push_back({start.ps, end});
      if (vcd_ahead_.size() == 1) edge_event_.notify(to_sc(std::max(Time{}, start - hostwire::now())));
    }
  }
  return start;
}

void Lane::busy_edge() {
  ctx_.activation();
  const Time t = hostwire::now();
  while (!vcd_ahead_.empty() && vcd_ahead_.front().end_ps <= t.ps) vcd_ahead_.pop_front();
  if (vcd_ahead_.empty()) {
    ctx_.vcd().change(vcd_busy_, t, 0);
    return;
  }
  const Timeline::Interval next = vcd_ahead_.front();
  const bool busy = next.start_ps <= t.ps;
  ctx_.vcd().change(vcd_busy_, t, busy ? 1 : 0);
  edge_event_.notify(to_sc(Time{(busy ? next.end_ps : next.start_ps) - t.ps}));
}

}  // namespace hostwire::bus
