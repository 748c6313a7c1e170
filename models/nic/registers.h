// The NIC's registers in its BAR, as the driver writes them over the bus: one TX doorbell per
// ring (the number of descriptors newly posted, handed to the transmit engine) and one
// interrupt unmask per vector (re-enabling it after the NAPI poll). Writes take effect when
// they arrive, in order; the bus delivers them in issue order.
#pragma once

#include <cstdint>
#include <deque>

#include <systemc>

#include "bus/mmio.h"
#include "core/sim.h"
#include "nic/descriptor_rings.h"
#include "nic/interrupts.h"
#include "nic/tx_engine.h"

namespace hostwire::nic {

// Register offsets in the NIC's BAR.
inline constexpr uint64_t kTxDoorbell = 0x1000;  // + 8 * ring: number of descriptors newly posted
inline constexpr uint64_t kIrqUnmask = 0x2000;   // + 8 * vector: re-enable after the NAPI poll

class NicRegisters {
 public:
  // `writes`: counts the writes that took effect (the engine counts the doorbells it takes).
  NicRegisters(SimContext& ctx, bus::MmioTarget& bar, const DescriptorRings& rings, TxEngine& tx,
               Interrupts& interrupts, Counter& writes);

 private:
  struct Unmask {
    Time arrival{};
    int vector = 0;
  };
  void unmask_written(int vector, Time arrival);
  void unmasks_due();

  SimContext& ctx_;
  const DescriptorRings& rings_;
  Interrupts& interrupts_;
  Counter& writes_;
  std::deque<Unmask> unmasks_;  // on their way
  sc_core::sc_event due_;
};

}  // namespace hostwire::nic
