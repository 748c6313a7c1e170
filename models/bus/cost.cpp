#include "bus/cost.h"

namespace hostwire::bus {

TransferCost write_cost(const BusParams& p, int64_t bytes) {
  TransferCost c;
  c.tlps = tlp_count(bytes, p.max_payload.n);
  c.link_bytes = bytes + c.tlps * p.tlp_overhead.n;
  c.occupancy = p.bandwidth.time_for_bytes(c.link_bytes);
  return c;
}

TransferCost read_cost(const BusParams& p, int64_t bytes) {
  TransferCost c = write_cost(p, bytes);  // completions are cut like writes
  c.request_tlps = tlp_count(bytes, p.max_read_request.n);
  c.request_link_bytes = c.request_tlps * p.tlp_overhead.n;
  c.request_occupancy = p.bandwidth.time_for_bytes(c.request_link_bytes);
  return c;
}

Time memory_access_time(const MemoryParams& m, int64_t bytes) { return m.bandwidth.time_for_bytes(bytes) + m.latency; }

Time dma_write_time(const BusParams& p, const MemoryParams& m, int64_t bytes) {
  return write_cost(p, bytes).occupancy + p.latency + memory_access_time(m, bytes);
}

Time dma_read_time(const BusParams& p, const MemoryParams& m, int64_t bytes) {
  const TransferCost c = read_cost(p, bytes);
  return c.request_occupancy + p.latency + memory_access_time(m, bytes) + c.occupancy + p.latency;
}

}  // namespace hostwire::bus
