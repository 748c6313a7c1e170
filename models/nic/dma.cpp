#include "nic/dma.h"

#include <fmt/format.h>

#include "bus/payload.h"
#include "core/sim.h"

namespace hostwire::nic {

Time DmaPort::transfer(tlm::tlm_command cmd, uint64_t address, uint32_t bytes, Time issue, uint8_t* data) {
  bus::prepare(gp_, cmd, address, data, bytes);
  const Time t = hostwire::now();
  sc_core::sc_time delay = to_sc(issue > t ? issue - t : Time{});
  socket_->b_transport(gp_, delay);
  if (gp_.is_response_error())
    SC_REPORT_ERROR(owner_.c_str(),
                    fmt::format("DMA to 0x{:x} ({} B) failed: {}", address, bytes, gp_.get_response_string()).c_str());
  return t + Time{static_cast<int64_t>(delay.value())};
}

}  // namespace hostwire::nic
