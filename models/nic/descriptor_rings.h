// The NIC's descriptor rings as they sit in host memory: one RX ring and one TX ring per queue
// pair, at the bus addresses NicMemoryMap gives. The platform creates them and hands the same
// object to the driver and to the NIC; neither reaches the other's state through them, only
// the memory both may read and write (as a real driver and a real NIC share rings in DRAM):
//
//   TX ring  driver writes a descriptor at the tail (post) and then rings the doorbell, an MMIO
//            register write, to tell the NIC; the NIC's DMA engine reads descriptors from the
//            head (peek/at/fetch) and writes their completions back (write_back); the driver
//            reads the completions that have landed (completed) and cleans them (clean), which
//            frees their slots for new posts.
//   RX ring  the NIC's DMA engine writes a frame into the slot's buffer and its completion
//            into the slot (write_completion), stamped with when that write-back lands in
//            memory; the driver reads the completions that have landed by then (visible,
//            peek) and takes them (take), which returns the slot to the NIC (the buffer is
//            re-posted in the same poll, as Linux refills, so taking is the RX tail's advance).
//
// Frame bytes travel by reference with the descriptor (the DMA transfers for them are timing
// only). Plain C++: when things land is decided by the NIC's timed shell, which stamps times.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "core/units.h"
#include "nic/ring.h"

namespace hostwire {
struct Frame;
}

namespace hostwire::nic {

struct NicParams;

struct RxDescriptor {
  Frame* frame = nullptr;
  Time visible_at{};  // when the completion write-back reaches host memory
};

struct TxDescriptor {
  Frame* frame = nullptr;
  uint16_t mss = 0;  // > 0: a TSO super-frame to cut into MSS-sized frames
};

// Where the NIC's structures live in host memory (bus addresses).
struct NicMemoryMap {
  uint64_t rx_descriptors = 0x1000'0000;
  uint64_t tx_descriptors = 0x1100'0000;
  uint64_t rx_buffers = 0x2000'0000;
  uint64_t tx_buffers = 0x6000'0000;
  uint64_t buffer_stride = 2048;  // one receive buffer per descriptor slot
  uint64_t msix = 0xfee0'0000;    // the interrupt controller: vector v writes to msix + 4 * v
};

// One RX ring in host memory: completed descriptors in ring order, oldest at the head.
class RxRingMemory {
 public:
  explicit RxRingMemory(uint32_t size) : ring_(size) {}

  uint32_t size() const { return ring_.size(); }
  uint32_t occupancy() const { return ring_.occupancy(); }  // completions the driver has not taken

  // --- the NIC's DMA engine ---
  // No slot to write: completions not taken, plus slots a zero-copy reader still holds.
  bool full() const { return ring_.occupancy() + held_ >= ring_.indices().capacity(); }
  uint32_t next_slot() const { return ring_.indices().tail(); }  // where the next completion goes
  // The completion of the frame in next_slot(); its write-back lands at d.visible_at.
  void write_completion(const RxDescriptor& d);

  // --- the driver ---
  // Completions (at most `max`) whose write-back has landed by `t`, from the oldest.
  uint32_t visible(Time t, uint32_t max) const;
  // The i-th completion from the oldest, without taking it (i < occupancy()).
  const RxDescriptor& peek(uint32_t i) const { return ring_.at(ring_.indices().advance(ring_.indices().head(), i)); }
  // Takes the oldest completion (the caller owns its frame reference) and returns the slot.
  RxDescriptor take();
  // Takes the oldest completion but keeps its slot from the NIC until release(): the slot's
  // buffer is the reader's (AF_XDP zero copy), so a reader that falls behind fills the ring.
  RxDescriptor take_held();
  void release(uint32_t n = 1);
  uint32_t held() const { return held_; }

  // A trace probe on the ring's occupancy (the NIC's VCD signal), called after each change.
  void on_occupancy(std::function<void(uint32_t)> f) { on_occupancy_ = std::move(f); }

 private:
  RxRing<RxDescriptor> ring_;
  uint32_t held_ = 0;
  std::function<void(uint32_t)> on_occupancy_;
};

// One TX ring in host memory, with the completions the NIC has written back.
class TxRingMemory {
 public:
  explicit TxRingMemory(uint32_t size) : ring_(size) {}

  uint32_t size() const { return ring_.size(); }
  uint32_t occupancy() const { return ring_.occupancy(); }  // posted, not yet read by the NIC

  // --- the driver ---
  // Writes a descriptor at the tail; false when every slot is posted or awaits cleaning.
  bool post(const TxDescriptor& d);
  uint32_t free_slots() const { return ring_.indices().capacity() - in_use_; }
  // Completions written back by `t` and not yet cleaned.
  uint32_t completed(Time t) const;
  // Cleans the `n` oldest completions (n <= completed(now)), freeing their slots.
  void clean(uint32_t n);

  // --- the NIC's DMA engine ---
  uint32_t head() const { return ring_.indices().head(); }
  // Up to `max` posted descriptors from the head, without reading them out (the read's extent).
  RingBatch peek(uint32_t max) const { return ring_.peek(max); }
  RingBatch batch(uint32_t first, uint32_t count) const { return ring_.indices().batch(first, count); }
  const TxDescriptor& at(uint32_t slot) const { return ring_.at(slot); }
  // Reads out.size() descriptors from the head into `out` (the descriptor read completed).
  uint32_t fetch(std::span<TxDescriptor> out) { return ring_.fetch(out); }
  // `count` completions written back in one burst, landing at `visible`.
  void write_back(Time visible, uint32_t count) { completions_.emplace_back(visible, count); }

  uint32_t in_use() const { return in_use_; }  // descriptors posted and not yet cleaned
  // A trace probe on in_use() (the NIC's VCD signal), called after each post and clean.
  void on_occupancy(std::function<void(uint32_t)> f) { on_occupancy_ = std::move(f); }

 private:
  TxRing<TxDescriptor> ring_;
  std::function<void(uint32_t)> on_occupancy_;
  uint32_t in_use_ = 0;                                // posted and not yet cleaned
  std::deque<std::pair<Time, uint32_t>> completions_;  // (lands at, count), not yet cleaned
};

// Every queue pair's rings, and the addresses of their slots and buffers on the bus.
class DescriptorRings {
 public:
  DescriptorRings(int rings, uint32_t rx_size, uint32_t tx_size, uint32_t descriptor_bytes,
                  const NicMemoryMap& map = {});
  // `rx_sizes`: each RX ring's size (rings of them).
  DescriptorRings(const std::vector<uint32_t>& rx_sizes, uint32_t tx_size, uint32_t descriptor_bytes,
                  const NicMemoryMap& map = {});
  // The rings a NIC with `p` drives: vnics x rings_per_vnic queue pairs, a VNIC's RX rings
  // of its own size where p.vnic_overrides sets one.
  explicit DescriptorRings(const NicParams& p, const NicMemoryMap& map = {});

  int rings() const { return static_cast<int>(rx_.size()); }
  const NicMemoryMap& map() const { return map_; }
  RxRingMemory& rx(int ring) { return rx_[static_cast<size_t>(ring)]; }
  const RxRingMemory& rx(int ring) const { return rx_[static_cast<size_t>(ring)]; }
  TxRingMemory& tx(int ring) { return tx_[static_cast<size_t>(ring)]; }
  const TxRingMemory& tx(int ring) const { return tx_[static_cast<size_t>(ring)]; }

  // Bus addresses.
  uint64_t rx_descriptor_address(int ring, uint32_t slot) const;
  uint64_t rx_buffer_address(int ring, uint32_t slot) const;
  uint64_t tx_descriptor_address(int ring, uint32_t slot) const;
  uint32_t descriptor_bytes() const { return descriptor_bytes_; }

  // Frames referenced from ring memory: posted TX descriptors the NIC has not read and RX
  // completions the driver has not taken.
  uint64_t frames_held() const;

 private:
  NicMemoryMap map_;
  uint32_t descriptor_bytes_;
  std::vector<uint64_t> rx_first_slot_;  // ring r's slots start here in the RX descriptor/buffer areas
  std::vector<RxRingMemory> rx_;
  std::vector<TxRingMemory> tx_;
};

}  // namespace hostwire::nic
