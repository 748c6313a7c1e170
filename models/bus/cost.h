// What a transfer costs on the PCIe link, as pure functions (no SystemC): the Bus books these
// occupancies, and tests and other models compute expected times from the same arithmetic.
//
// A posted write of N bytes is cut into ceil(N / max_payload) TLPs, each adding tlp_overhead
// bytes on the link. A read of N bytes goes out as ceil(N / max_read_request) header-only
// request TLPs and comes back as ceil(N / max_payload) completion TLPs carrying the data.
// A zero-length transfer is still one TLP (PCIe's zero-length read/write). Link time is
// link bytes at the bus bandwidth, rounded up to the picosecond once per transfer.
#pragma once

#include <cstdint>

#include "bus/params.h"
#include "core/units.h"

namespace hostwire::bus {

struct TransferCost {
  int64_t tlps = 0;        // TLPs carrying the data: write requests, or read completions
  int64_t link_bytes = 0;  // bytes they put on the link: data + tlps x tlp_overhead
  Time occupancy;          // their time on the link, in the direction the data flows
  // Reads only (zero for writes): the request TLPs, which travel the other way.
  int64_t request_tlps = 0;
  int64_t request_link_bytes = 0;  // request_tlps x tlp_overhead (requests carry no data)
  Time request_occupancy;
};

// ceil(bytes / unit), at least 1.
inline int64_t tlp_count(int64_t bytes, int64_t unit) { return bytes <= 0 ? 1 : (bytes + unit - 1) / unit; }

TransferCost write_cost(const BusParams& p, int64_t bytes);
TransferCost read_cost(const BusParams& p, int64_t bytes);

// Time the memory needs for one access of `bytes` once it starts it: transfer, then latency.
Time memory_access_time(const MemoryParams& m, int64_t bytes);

// Duration of a DMA on an idle bus and idle memory, from issue to completion (see docs/models/bus.md):
//   write: occupancy + latency + memory transfer + memory latency            (data in memory)
//   read:  request_occupancy + latency + memory transfer + memory latency
//          + occupancy + latency                                              (data at the device)
Time dma_write_time(const BusParams& p, const MemoryParams& m, int64_t bytes);
Time dma_read_time(const BusParams& p, const MemoryParams& m, int64_t bytes);

}  // namespace hostwire::bus
