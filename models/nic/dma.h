// The NIC's DMA port: bus transfers issued through the NIC's initiator socket, timed by the
// bus's delay annotation. Every part of the NIC (rx path, tx engine, interrupts) shares it,
// as they share the one PCIe link, so their transfers are booked on the bus in issue order.
#pragma once

#include <cstdint>
#include <string>

#include <tlm>

#include "core/units.h"

namespace hostwire::nic {

class DmaPort {
 public:
  // `owner`: the module name its errors are reported under.
  DmaPort(tlm::tlm_initiator_socket<>& socket, std::string owner) : socket_(socket), owner_(std::move(owner)) {}

  // A transfer issued at `issue` (now or later); returns when it completes. Timing-only when
  // `data` is null: the frame's bytes travel by reference with the descriptor.
  Time transfer(tlm::tlm_command cmd, uint64_t address, uint32_t bytes, Time issue, uint8_t* data = nullptr);

 private:
  tlm::tlm_initiator_socket<>& socket_;
  std::string owner_;
  tlm::tlm_generic_payload gp_;
};

}  // namespace hostwire::nic
