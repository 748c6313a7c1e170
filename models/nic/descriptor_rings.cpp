#include "nic/descriptor_rings.h"

#include <algorithm>

#include "nic/params.h"

namespace hostwire::nic {

// ---------------------------------------------------------------- RX

void RxRingMemory::write_completion(const RxDescriptor& d) {
  ring_.deliver(d);
  if (on_occupancy_) on_occupancy_(ring_.occupancy());
}

uint32_t RxRingMemory::visible(Time t, uint32_t max) const {
  const RingBatch b = ring_.peek(max);
  // Completions become visible in ring order (write-backs complete in issue order).
  uint32_t n = 0;
  for (const RingSegment& s : b.segments)
    for (uint32_t i = 0; i < s.count; ++i, ++n)
      if (ring_.at(s.first + i).visible_at > t) return n;
  return n;
}

RxDescriptor RxRingMemory::take() {
  RxDescriptor d;
  ring_.fetch(std::span<RxDescriptor>(&d, 1));
  if (on_occupancy_) on_occupancy_(ring_.occupancy());
  return d;
}

// ---------------------------------------------------------------- TX

bool TxRingMemory::post(const TxDescriptor& d) {
  if (in_use_ >= ring_.indices().capacity() || !ring_.post(d)) return false;
  // The tail in memory moves with the slot; the NIC learns of it only from the doorbell register.
  ring_.ring_doorbell();
  ++in_use_;
  return true;
}

uint32_t TxRingMemory::completed(Time t) const {
  uint32_t n = 0;
  for (const auto& [at, count] : completions_) {
    if (at > t) break;
    n += count;
  }
  return n;
}

void TxRingMemory::clean(uint32_t n) {
  while (n > 0) {
    auto& front = completions_.front();
    const uint32_t k = std::min(n, front.second);
    front.second -= k;
    n -= k;
    in_use_ -= k;
    if (front.second == 0) completions_.pop_front();
  }
}

// ---------------------------------------------------------------- all rings

DescriptorRings::DescriptorRings(int rings, uint32_t rx_size, uint32_t tx_size, uint32_t descriptor_bytes,
                                 const NicMemoryMap& map)
    : map_(map), descriptor_bytes_(descriptor_bytes) {
  rx_.reserve(static_cast<size_t>(rings));
  tx_.reserve(static_cast<size_t>(rings));
  for (int r = 0; r < rings; ++r) {
    rx_.emplace_back(rx_size);
    tx_.emplace_back(tx_size);
  }
}

DescriptorRings::DescriptorRings(const NicParams& p, const NicMemoryMap& map)
    : DescriptorRings(static_cast<int>(p.vnics * p.rings_per_vnic), static_cast<uint32_t>(p.rx_ring_size),
                      static_cast<uint32_t>(p.tx_ring_size), static_cast<uint32_t>(p.descriptor_bytes.n), map) {}

uint64_t DescriptorRings::rx_descriptor_address(int ring, uint32_t slot) const {
  return map_.rx_descriptors + (static_cast<uint64_t>(ring) * rx(ring).size() + slot) * descriptor_bytes_;
}

uint64_t DescriptorRings::rx_buffer_address(int ring, uint32_t slot) const {
  return map_.rx_buffers + (static_cast<uint64_t>(ring) * rx(ring).size() + slot) * map_.buffer_stride;
}

uint64_t DescriptorRings::tx_descriptor_address(int ring, uint32_t slot) const {
  return map_.tx_descriptors + (static_cast<uint64_t>(ring) * tx(ring).size() + slot) * descriptor_bytes_;
}

uint64_t DescriptorRings::frames_held() const {
  uint64_t n = 0;
  for (const auto& r : rx_) n += r.occupancy();
  for (const auto& t : tx_) n += t.occupancy();
  return n;
}

}  // namespace hostwire::nic
