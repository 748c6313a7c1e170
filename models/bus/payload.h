// What every initiator on the bus sets before b_transport: the generic payload's command,
// address, data and lengths (one streaming burst, all bytes enabled), no DMI, and the response
// status reset so the target's answer is not mistaken for a stale one (IEEE 1666 TLM-2.0 rules
// for the initiator).
#pragma once

#include <cstdint>

#include <tlm>

namespace hostwire::bus {

inline void prepare(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd, uint64_t address, uint8_t* data,
                    uint32_t bytes) {
  gp.set_command(cmd);
  gp.set_address(address);
  gp.set_data_ptr(data);
  gp.set_data_length(bytes);
  gp.set_streaming_width(bytes);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace hostwire::bus
