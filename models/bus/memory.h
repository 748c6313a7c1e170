// Host DRAM as a TLM-2.0 target: one occupancy resource with its own bandwidth and latency
// behind the bus. An access that arrives (sc_time_stamp() + delay) while the memory is busy
// starts when the access before it has moved its bytes; it is done `latency` after its own
// bytes have moved: done = max(arrival, next free) + bytes / bandwidth + latency.
//
// With a data pointer the bytes are really stored and returned (sparse 4 KiB pages, allocated
// on first write; bytes never written read as zero), so tests and functional models can check
// data. A null data pointer is a timing-only access: it costs the same and touches nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "bus/params.h"
#include "bus/timeline.h"
#include "core/log.h"
#include "core/sim.h"

namespace hostwire::bus {

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> in;

  // `stat_name`: e.g. "host_b.memory". Offsets run from 0 to size_bytes.
  Memory(sc_core::sc_module_name name, SimContext& ctx, const MemoryParams& params, const std::string& stat_name,
         uint64_t size_bytes);

  // Untimed access for set-up and checks (the functional side of the host, tests).
  void poke(uint64_t offset, const uint8_t* data, uint64_t length);
  void peek(uint64_t offset, uint8_t* data, uint64_t length) const;
  uint64_t size() const { return size_; }
  size_t pages_allocated() const { return pages_.size(); }
  Time next_free() const { return timeline_.next_free(); }

  static constexpr uint64_t kPageBytes = 4096;

 private:
  using Page = std::array<uint8_t, kPageBytes>;
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // Checks range and byte enables; sets the response status and returns false on a bad access.
  bool check(tlm::tlm_generic_payload& gp);
  void copy(tlm::tlm_generic_payload& gp);

  MemoryParams params_;
  Logger log_;
  uint64_t size_;
  Timeline timeline_;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;  // by page number; looked up, never iterated

  Counter& reads_;
  Counter& writes_;
  Counter& bytes_read_;
  Counter& bytes_written_;
  Counter& busy_ps_;
  Counter& errors_;
};

}  // namespace hostwire::bus
