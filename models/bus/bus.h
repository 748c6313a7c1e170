// The PCIe link between the host's root complex and a device, as a TLM-2.0 interconnect with
// an address map. Initiators (a NIC's DMA engine, a core's MMIO writes) bind to `in`; targets
// (host memory, a device's register BAR) bind to `out`, and map() gives each an address range.
//
// Loosely timed with exact occupancy: b_transport never waits. A transfer issued at
// sc_time_stamp() + delay is booked on the direction its bytes travel, first come first
// served behind what is already booked there, and returns with delay = completion time -
// sc_time_stamp(). The caller schedules its own event at the completion. Exact formulas in
// docs/models/bus.md:
//   write: data TLPs on the direction toward the target, then latency; the target's own
//          delay follows (memory: transfer + latency). Completion = the data is written.
//   read:  request TLPs toward the target, latency, the target's access, completion TLPs with
//          the data back the other way, latency. Completion = the data is at the initiator.
//
// A generic payload with a null data pointer is a timing-only transfer: it costs the same
// and the memory leaves its bytes alone (the NIC carries packet bytes by reference).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "bus/cost.h"
#include "bus/lane.h"
#include "bus/params.h"
#include "core/log.h"
#include "core/sim.h"

namespace hostwire::bus {

// Which end of the link a target sits at. Writes to a host target (memory) travel upstream,
// writes to a device target (a BAR) downstream; a read's completions come back the other way.
enum class Side { host, device };

class Bus : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Bus> in;
  tlm_utils::multi_passthrough_initiator_socket<Bus> out;

  // `stat_name`: e.g. "host_b.bus"; the directions report under ".upstream" and ".downstream".
  Bus(sc_core::sc_module_name name, SimContext& ctx, const BusParams& params, const std::string& stat_name);

  // [base, base+size) goes to the target bound at out[target_index] (in bind order), which
  // sees local offsets (address - base). Overlapping or empty ranges are an error (SC_REPORT_ERROR).
  void map(uint64_t base, uint64_t size, int target_index, const std::string& what, Side side = Side::host);

  const BusParams& params() const { return params_; }
  Lane& upstream() { return upstream_; }
  Lane& downstream() { return downstream_; }

 private:
  struct Region {
    uint64_t base, size;
    int target;
    Side side;
    std::string what;
  };

  void b_transport(int initiator, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& gp);
  bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  const Region* decode(uint64_t address, uint64_t length) const;
  void end_of_elaboration() override;
  // The DMA in-flight waveforms: a transfer to host memory counts from its issue to its
  // completion; both lie ahead when it is booked, so the counts change when time reaches them.
  // Called only while the signal is recorded (no events otherwise).
  void dma_in_flight(bool read, Time issue, Time done);
  void dma_edge();

  SimContext& ctx_;
  BusParams params_;
  Logger log_;
  std::vector<Region> regions_;  // sorted by base, disjoint
  Lane upstream_;
  Lane downstream_;
  Counter& address_errors_;

  struct DmaEdge {
    int64_t at_ps;
    int reads, writes;  // +1 at an issue, -1 at a completion
    bool operator>(const DmaEdge& o) const { return at_ps > o.at_ps; }
  };
  int vcd_dma_reads_, vcd_dma_writes_;
  std::priority_queue<DmaEdge, std::vector<DmaEdge>, std::greater<>> dma_edges_;  // only while recorded
  uint64_t dma_reads_ = 0, dma_writes_ = 0;
  sc_core::sc_event dma_edge_event_;
};

}  // namespace hostwire::bus
