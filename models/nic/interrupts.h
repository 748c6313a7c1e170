// The NIC's interrupts: one MSI-X vector per queue pair (RX ring i and TX ring i), moderated
// by packet count and time (nic/moderation.h decides; this part keeps the timers). A vector
// is raised with a posted write of its number to the interrupt controller's address and stays
// masked until the driver's NAPI poll has drained the rings and writes the unmask register.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/log.h"
#include "core/sim.h"
#include "nic/dma.h"
#include "nic/moderation.h"

namespace hostwire::nic {

class Interrupts {
 public:
  // `msix`: the interrupt controller's bus address; vector v writes to msix + 4 * v.
  Interrupts(SimContext& ctx, const ModerationParams& moderation, int vectors, DmaPort& dma, uint64_t msix,
             const std::string& stat_name);

  // A completion on vector `v`'s queue pair whose write-back lands at `at` (now or later).
  void completion(int v, Time at);
  // The driver unmasked vector `v` now; `backlog` completions it has not processed yet count
  // as pending from now.
  void unmask(int v, uint32_t backlog);

 private:
  struct Vector {
    InterruptModerator moderator;
    sc_core::sc_event timer;
    Time last_completion{};
    bool raise_pending = false;  // decided, the MSI-X write goes out at raise_at
    Time raise_at{};
    // Waveforms: raised from the MSI-X write until the driver unmasks; the moderation timer
    // armed; completions waiting for the interrupt.
    int vcd_raised = VcdWriter::kDisabled, vcd_timer = VcdWriter::kDisabled, vcd_pending = VcdWriter::kDisabled;
    explicit Vector(const ModerationParams& m) : moderator(m) {}
  };

  void moderation_timer(int v);
  void raise(int v);  // the MSI-X write, now
  void arm(Vector& vec, Time now);
  void trace(const Vector& vec, Time now, bool raised);

  SimContext& ctx_;
  DmaPort& dma_;
  uint64_t msix_;
  Logger log_;
  std::vector<std::unique_ptr<Vector>> vectors_;
  uint32_t msi_data_ = 0;  // the MSI-X message data: the vector
  Counter& interrupts_;
};

}  // namespace hostwire::nic
