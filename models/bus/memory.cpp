#include "bus/memory.h"

#include <algorithm>
#include <cstring>

namespace hostwire::bus {

Memory::Memory(sc_core::sc_module_name name, SimContext& ctx, const MemoryParams& params,
               const std::string& stat_name, uint64_t size_bytes)
    : sc_module(name),
      in("in"),
      params_(params),
      log_(stat_name),
      size_(size_bytes),
      reads_(ctx.stats().counter(stat_name + ".reads", "accesses", "read accesses")),
      writes_(ctx.stats().counter(stat_name + ".writes", "accesses", "write accesses")),
      bytes_read_(ctx.stats().counter(stat_name + ".bytes_read", "B", "bytes read")),
      bytes_written_(ctx.stats().counter(stat_name + ".bytes_written", "B", "bytes written")),
      busy_ps_(ctx.stats().counter(stat_name + ".busy_time", "ps", "time spent moving bytes, including bookings ahead")),
      errors_(ctx.stats().counter(stat_name + ".errors", "accesses",
                                  "accesses refused: outside the memory or with byte enables")) {
  in.register_b_transport(this, &Memory::b_transport);
  in.register_transport_dbg(this, &Memory::transport_dbg);
  ctx.stats().formula(stat_name + ".utilisation", "1", "fraction of simulated time the memory was moving bytes", [this] {
    const Time t = hostwire::now();
    return t.ps > 0 ? static_cast<double>(timeline_.busy_before(t).ps) / static_cast<double>(t.ps) : 0.0;
  });
}

bool Memory::check(tlm::tlm_generic_payload& gp) {
  const uint64_t offset = gp.get_address(), length = gp.get_data_length();
  if (offset >= size_ || length > size_ - offset) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_byte_enable_ptr()) {  // DMA engines move whole byte ranges
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  return true;
}

void Memory::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (gp.is_read() || gp.is_write()) {
    if (!check(gp)) {
      errors_.add();
      HW_LOG(log_, warn, "refused {} of {} B at {:#x}", gp.is_read() ? "read" : "write", gp.get_data_length(),
             gp.get_address());
      return;
    }
    const int64_t bytes = gp.get_data_length();
    const Time t0 = hostwire::now();
    timeline_.retire(t0);
    const Time transfer = params_.bandwidth.time_for_bytes(bytes);
    const Time start = timeline_.book(t0 + Time{static_cast<int64_t>(delay.value())}, transfer);
    delay = to_sc(start + transfer + params_.latency - t0);
    busy_ps_.add(static_cast<uint64_t>(transfer.ps));
    (gp.is_read() ? reads_ : writes_).add();
    (gp.is_read() ? bytes_read_ : bytes_written_).add(static_cast<uint64_t>(bytes));
    copy(gp);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload& gp) {
  if (!gp.get_data_ptr() || (!gp.is_read() && !gp.is_write()) || !check(gp)) return 0;
  copy(gp);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return gp.get_data_length();
}

void Memory::copy(tlm::tlm_generic_payload& gp) {
  if (!gp.get_data_ptr()) return;  // timing only
  if (gp.is_write())
    poke(gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
  else
    peek(gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

void Memory::poke(uint64_t offset, const uint8_t* data, uint64_t length) {
  while (length > 0) {
    const uint64_t in_page = offset % kPageBytes, n = std::min(length, kPageBytes - in_page);
    auto& page = pages_[offset / kPageBytes];
    if (!page) page = std::make_unique<Page>(Page{});
    std::memcpy(page->data() + in_page, data, n);
    offset += n, data += n, length -= n;
  }
}

void Memory::peek(uint64_t offset, uint8_t* data, uint64_t length) const {
  while (length > 0) {
    const uint64_t in_page = offset % kPageBytes, n = std::min(length, kPageBytes - in_page);
    auto it = pages_.find(offset / kPageBytes);
    if (it == pages_.end())
      std::memset(data, 0, n);
    else
      std::memcpy(data, it->second->data() + in_page, n);
    offset += n, data += n, length -= n;
  }
}

}  // namespace hostwire::bus
