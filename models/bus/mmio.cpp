#include "bus/mmio.h"

namespace hostwire::bus {

MmioTarget::MmioTarget(sc_core::sc_module_name name, SimContext& ctx, Time access_latency,
                       const std::string& stat_name)
    : sc_module(name),
      in("in"),
      access_latency_(access_latency),
      log_(stat_name),
      writes_(ctx.stats().counter(stat_name + ".writes", "accesses", "register writes")),
      reads_(ctx.stats().counter(stat_name + ".reads", "accesses", "register reads")),
      errors_(ctx.stats().counter(stat_name + ".errors", "accesses",
                                  "accesses refused: unknown offset, size other than 4 or 8 B, or no data")) {
  in.register_b_transport(this, &MmioTarget::b_transport);
}

void MmioTarget::on_write(uint64_t offset, std::function<void(uint64_t, Time)> f) {
  registers_[offset].write = std::move(f);
}

void MmioTarget::on_read(uint64_t offset, std::function<uint64_t()> f) { registers_[offset].read = std::move(f); }

uint64_t MmioTarget::value(uint64_t offset) const {
  auto it = registers_.find(offset);
  return it == registers_.end() ? 0 : it->second.value;
}

void MmioTarget::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (!gp.is_read() && !gp.is_write()) {
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  auto it = registers_.find(gp.get_address());
  const unsigned int length = gp.get_data_length();
  uint8_t* data = gp.get_data_ptr();
  if (it == registers_.end()) {
    errors_.add();
    HW_LOG(log_, warn, "{} at unknown register offset {:#x}", gp.is_read() ? "read" : "write", gp.get_address());
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if ((length != 4 && length != 8) || !data || gp.get_byte_enable_ptr()) {
    errors_.add();
    HW_LOG(log_, warn, "{} of {} B at register {:#x}: registers take 4 or 8 B", gp.is_read() ? "read" : "write",
           length, gp.get_address());
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  Register& reg = it->second;
  delay += to_sc(access_latency_);
  if (gp.is_write()) {
    uint64_t v = 0;
    for (unsigned int i = 0; i < length; ++i) v |= static_cast<uint64_t>(data[i]) << (8 * i);
    reg.value = v;
    writes_.add();
    const Time arrival = hostwire::now() + Time{static_cast<int64_t>(delay.value())};
    HW_LOG(log_, trace, "write {:#x} to register {:#x}, effective {}", v, gp.get_address(), to_string(arrival));
    if (reg.write) reg.write(v, arrival);
  } else {
    const uint64_t v = reg.read ? reg.read() : reg.value;
    for (unsigned int i = 0; i < length; ++i) data[i] = static_cast<uint8_t>(v >> (8 * i));
    reads_.add();
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace hostwire::bus
