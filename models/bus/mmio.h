// A device's register BAR as a TLM-2.0 target: 32/64-bit registers at fixed offsets, such as
// the NIC's doorbells and interrupt-mask registers. A write calls the register's callback at
// once with the time it reaches the device, so the device schedules its own reaction (this
// target never waits and owns no process). A register without a read callback reads back the
// last value written to it.
//
// Accesses must be 4 or 8 bytes at a registered offset, with a data pointer, little-endian
// (as PCIe carries them): an unregistered offset answers TLM_ADDRESS_ERROR_RESPONSE, another
// size or a null data pointer TLM_BURST_ERROR_RESPONSE.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "core/log.h"
#include "core/sim.h"

namespace hostwire::bus {

class MmioTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<MmioTarget> in;

  // `access_latency`: the device's register decode and write, added to every access.
  MmioTarget(sc_core::sc_module_name name, SimContext& ctx, Time access_latency, const std::string& stat_name);

  // `arrival` = sc_time_stamp() + the delay annotation so far + access latency: when the write
  // takes effect in the device. The callback runs at sc_time_stamp(), before that.
  void on_write(uint64_t offset, std::function<void(uint64_t value, Time arrival)> f);
  void on_read(uint64_t offset, std::function<uint64_t()> f);

  // The last value written to `offset` (0 before any write or for an unknown offset).
  uint64_t value(uint64_t offset) const;

 private:
  struct Register {
    std::function<void(uint64_t, Time)> write;
    std::function<uint64_t()> read;
    uint64_t value = 0;
  };
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  Time access_latency_;
  Logger log_;
  std::map<uint64_t, Register> registers_;

  Counter& writes_;
  Counter& reads_;
  Counter& errors_;
};

}  // namespace hostwire::bus
