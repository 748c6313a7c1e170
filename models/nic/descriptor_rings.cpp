#include "nic/descriptor_rings.h"

#include <algorithm>
#include <cassert>

#include "nic/params.h"

namespace hostwire::nic {

// ---------------------------------------------------------------- RX

void RxRingMemory::write_completion(const RxDescriptor& d) {
  ring_.deliver(d);
  if (on_occupancy_) on_occupancy_(ring_.occupancy() + held_);
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
  if (on_occupancy_) on_occupancy_(ring_.occupancy() + held_);
  return d;
}

RxDescriptor RxRingMemory::take_held() {
  ++held_;
  return take();
}

void RxRingMemory::release(uint32_t n) {
  assert(n <= held_);
  held_ -= n;
  if (on_occupancy_) on_occupancy_(ring_.occupancy() + held_);
}

// ---------------------------------------------------------------- TX

bool TxRingMemory::post(const TxDescriptor& d) {
  if (in_use_ >= ring_.indices().capacity() || !ring_.post(d)) return false;
  // The tail in memory moves with the slot; the NIC learns of it only from the doorbell register.
  ring_.ring_doorbell();
  ++in_use_;
  if (on_occupancy_) on_occupancy_(in_use_);
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
  if (on_occupancy_) on_occupancy_(in_use_);
}

// ---------------------------------------------------------------- all rings

DescriptorRings::DescriptorRings(int rings, uint32_t rx_size, uint32_t tx_size, uint32_t descriptor_bytes,
                                 const NicMemoryMap& map)
    : DescriptorRings(std::vector<uint32_t>(static_cast<size_t>(rings), rx_size), tx_size, descriptor_bytes, map) {}

DescriptorRings::DescriptorRings(const std::vector<uint32_t>& rx_sizes, uint32_t tx_size, uint32_t descriptor_bytes,
                                 const NicMemoryMap& map)
    : map_(map), descriptor_bytes_(descriptor_bytes) {
  rx_.reserve(rx_sizes.size());
  tx_.reserve(rx_sizes.size());
  uint64_t first = 0;
  for (uint32_t size : rx_sizes) {
    rx_first_slot_.push_back(first);
    first += size;
    rx_.emplace_back(size);
    tx_.emplace_back(tx_size);
  }
}

namespace {
std::vector<uint32_t> rx_ring_sizes(const NicParams& p) {
  std::vector<uint32_t> sizes;
  for (int64_t v = 0; v < p.vnics; ++v) {
    int64_t size = p.rx_ring_size;
    for (const auto& o : p.vnic_overrides)
      if (o.vnic == v && o.rx_ring_size > 0) size = o.rx_ring_size;
    sizes.insert(sizes.end(), static_cast<size_t>(p.rings_per_vnic), static_cast<uint32_t>(size));
  }
  return sizes;
}
}  // namespace

DescriptorRings::DescriptorRings(const NicParams& p, const NicMemoryMap& map)
    : DescriptorRings(rx_ring_sizes(p), static_cast<uint32_t>(p.tx_ring_size), static_cast<uint32_t>(p.descriptor_bytes.n),
                      map) {}

uint64_t DescriptorRings::rx_descriptor_address(int ring, uint32_t slot) const {
  return map_.rx_descriptors + (rx_first_slot_[static_cast<size_t>(ring)] + slot) * descriptor_bytes_;
}

uint64_t DescriptorRings::rx_buffer_address(int ring, uint32_t slot) const {
  return map_.rx_buffers + (rx_first_slot_[static_cast<size_t>(ring)] + slot) * map_.buffer_stride;
}

uint64_t DescriptorRings::tx_descriptor_address(int ring, uint32_t slot) const {
  return map_.tx_descriptors + (static_cast<uint64_t>(ring) * tx(ring).size() + slot) * descriptor_bytes_;
}

uint64_t DescriptorRings::frames_held() const {
  uint64_t n = 0;
  for (const auto& r : rx_) n += r.occupancy();  // held slots' frames are their reader's
  for (const auto& t : tx_) n += t.occupancy();
  return n;
}

}  // namespace hostwire::nic
