#include "bus/bus.h"

#include <algorithm>

#include <fmt/format.h>

namespace hostwire::bus {

namespace {
Time delay_of(const sc_core::sc_time& d) { return Time{static_cast<int64_t>(d.value())}; }
}  // namespace

Bus::Bus(sc_core::sc_module_name name, SimContext& ctx, const BusParams& params, const std::string& stat_name)
    : sc_module(name),
      in("in"),
      out("out"),
      ctx_(ctx),
      params_(params),
      log_(stat_name),
      upstream_("upstream", ctx, stat_name + ".upstream"),
      downstream_("downstream", ctx, stat_name + ".downstream"),
      address_errors_(ctx.stats().counter(stat_name + ".address_errors", "transfers",
                                          "transfers to an address outside the map (answered with an address error)")) {
  in.register_b_transport(this, &Bus::b_transport);
  in.register_transport_dbg(this, &Bus::transport_dbg);
  in.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  vcd_dma_reads_ = ctx.vcd().wire(stat_name + ".dma_reads_in_flight", 32);
  vcd_dma_writes_ = ctx.vcd().wire(stat_name + ".dma_writes_in_flight", 32);
  SC_HAS_PROCESS(Bus);
  SC_METHOD(dma_edge);
  sensitive << dma_edge_event_;
  dont_initialize();
}

void Bus::dma_in_flight(bool read, Time issue, Time done) {
  const int r = read ? 1 : 0, w = read ? 0 : 1;
  dma_edges_.push({issue.ps, r, w});
  dma_edges_.push({done.ps, -r, -w});
  dma_edge_event_.notify(to_sc(std::max(Time{}, Time{dma_edges_.top().at_ps} - hostwire::now())));
}

void Bus::dma_edge() {
  ctx_.activation();
  const Time t = hostwire::now();
  while (!dma_edges_.empty() && dma_edges_.top().at_ps <= t.ps) {
    dma_reads_ += static_cast<uint64_t>(dma_edges_.top().reads);
    dma_writes_ += static_cast<uint64_t>(dma_edges_.top().writes);
    dma_edges_.pop();
  }
  ctx_.vcd().change(vcd_dma_reads_, t, dma_reads_);
  ctx_.vcd().change(vcd_dma_writes_, t, dma_writes_);
  if (!dma_edges_.empty()) dma_edge_event_.notify(to_sc(Time{dma_edges_.top().at_ps - t.ps}));
}

void Bus::map(uint64_t base, uint64_t size, int target_index, const std::string& what, Side side) {
  if (size == 0 || base + size < base || target_index < 0) {
    SC_REPORT_ERROR(name(), fmt::format("map {}: empty or wrapping range {:#x}+{:#x} or bad target {}", what, base, size,
                                        target_index).c_str());
    return;
  }
  auto at = std::lower_bound(regions_.begin(), regions_.end(), base,
                             [](const Region& r, uint64_t b) { return r.base < b; });
  const Region* clash = nullptr;
  if (at != regions_.end() && at->base < base + size) clash = &*at;
  if (at != regions_.begin() && std::prev(at)->base + std::prev(at)->size > base) clash = &*std::prev(at);
  if (clash) {
    SC_REPORT_ERROR(name(), fmt::format("map {} [{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})", what, base, base + size,
                                        clash->what, clash->base, clash->base + clash->size).c_str());
    return;
  }
  regions_.insert(at, Region{base, size, target_index, side, what});
}

void Bus::end_of_elaboration() {
  for (const Region& r : regions_)
    if (r.target >= static_cast<int>(out.size()))
      SC_REPORT_ERROR(name(), fmt::format("map {} names target {} but only {} targets are bound to out", r.what,
                                          r.target, out.size()).c_str());
}

const Bus::Region* Bus::decode(uint64_t address, uint64_t length) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), address,
                             [](uint64_t a, const Region& r) { return a < r.base; });
  if (it == regions_.begin()) return nullptr;
  const Region& r = *std::prev(it);
  const uint64_t offset = address - r.base;
  if (offset >= r.size || length > r.size - offset) return nullptr;  // a transfer may not straddle two targets
  return &r;
}

void Bus::b_transport(int initiator, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t address = gp.get_address();
  const int64_t bytes = gp.get_data_length();
  const Region* r = decode(address, static_cast<uint64_t>(bytes));
  if (!r) {  // decoded before the link: an unmapped transfer costs no link time
    address_errors_.add();
    HW_LOG(log_, warn, "initiator {}: {} of {} B at {:#x} is outside the address map", initiator,
           gp.is_read() ? "read" : "write", bytes, address);
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_address(address - r->base);
  const Time t0 = hostwire::now();
  const Time issue = t0 + delay_of(delay);
  Lane& toward = r->side == Side::host ? upstream_ : downstream_;
  Lane& back = r->side == Side::host ? downstream_ : upstream_;

  switch (gp.get_command()) {
    case tlm::TLM_WRITE_COMMAND: {
      const TransferCost c = write_cost(params_, bytes);
      const Time start = toward.book(issue, c.occupancy, bytes, c.link_bytes, c.tlps);
      delay = to_sc(start + c.occupancy + params_.latency - t0);
      out[r->target]->b_transport(gp, delay);  // the target adds its own time
      if (r->side == Side::host && ctx_.vcd().recording(vcd_dma_writes_)) dma_in_flight(false, issue, t0 + delay_of(delay));
      HW_LOG(log_, trace, "write {} B to {} +{:#x}: on the link {}, done {}", bytes, r->what, gp.get_address(),
             to_string(start), to_string(t0 + delay_of(delay)));
      break;
    }
    case tlm::TLM_READ_COMMAND: {
      const TransferCost c = read_cost(params_, bytes);
      const Time start = toward.book(issue, c.request_occupancy, 0, c.request_link_bytes, c.request_tlps);
      delay = to_sc(start + c.request_occupancy + params_.latency - t0);
      out[r->target]->b_transport(gp, delay);
      const Time ready = t0 + delay_of(delay);
      // A failed read still answers: one completion TLP with an error status and no data.
      const bool ok = gp.is_response_ok();
      const int64_t data = ok ? bytes : 0;
      const int64_t tlps = ok ? c.tlps : 1;
      const int64_t link_bytes = ok ? c.link_bytes : params_.tlp_overhead.n;
      const Time occupancy = ok ? c.occupancy : params_.bandwidth.time_for_bytes(link_bytes);
      const Time back_start = back.book(ready, occupancy, data, link_bytes, tlps);
      delay = to_sc(back_start + occupancy + params_.latency - t0);
      if (r->side == Side::host && ctx_.vcd().recording(vcd_dma_reads_)) dma_in_flight(true, issue, t0 + delay_of(delay));
      HW_LOG(log_, trace, "read {} B from {} +{:#x}: requested {}, completions {}, done {}", bytes, r->what,
             gp.get_address(), to_string(start), to_string(back_start), to_string(t0 + delay_of(delay)));
      break;
    }
    default:  // TLM_IGNORE_COMMAND: routed, no link time
      out[r->target]->b_transport(gp, delay);
      break;
  }
  gp.set_address(address);  // the initiator gets its own address back
}

unsigned int Bus::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const uint64_t address = gp.get_address();
  const Region* r = decode(address, gp.get_data_length());
  if (!r) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  gp.set_address(address - r->base);
  const unsigned int n = out[r->target]->transport_dbg(gp);
  gp.set_address(address);
  return n;
}

// Every access must be timed through the link: no direct memory pointers.
bool Bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.allow_none();
  return false;
}

}  // namespace hostwire::bus
