// Descriptor rings: the index arithmetic shared by RX and TX (one template, as gem5's NIC
// models specialise one ring for both directions).
//
// Convention (Intel 8254x/82599 TDH/TDT, RDH/RDT): a ring of `size` slots has a head, the
// next descriptor the consumer takes, and a tail, the next slot the producer writes. The ring
// is empty when head == tail and full when tail + 1 == head (mod size): one slot is always
// left open, so a ring of N slots holds at most N - 1 descriptors and the two indices alone
// tell full from empty, without a count register both sides would have to update.
//
// The producer's tail only becomes visible to the consumer when it rings the doorbell (the
// MMIO write of the tail register): drivers write a batch of descriptors, then one doorbell
// (Linux's xmit_more), and a NIC never fetches past the last doorbell.
//
// Any size >= 2 works (indices wrap by compare-and-subtract, not by masking), so rings need
// not be powers of two, like Intel's multiples of 8 descriptors.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

namespace hostwire::nic {

// A run of slots that does not cross the end of the ring: one DMA burst.
struct RingSegment {
  uint32_t first = 0;
  uint32_t count = 0;
  friend bool operator==(const RingSegment&, const RingSegment&) = default;
};

// `count` slots starting at `first`, as at most two segments: [first, end of ring) and
// [0, ...). A batch that wraps costs the DMA engine two descriptor reads or writes.
struct RingBatch {
  uint32_t first = 0;
  uint32_t count = 0;
  std::array<RingSegment, 2> segments{};
  uint32_t segment_count() const { return segments[1].count ? 2 : (segments[0].count ? 1 : 0); }
};

class RingIndices {
 public:
  explicit RingIndices(uint32_t size) : size_(size) { assert(size >= 2); }

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return size_ - 1; }  // one slot open
  uint32_t head() const { return head_; }
  uint32_t tail() const { return tail_; }

  uint32_t occupancy() const { return distance(head_, tail_); }
  uint32_t free_slots() const { return capacity() - occupancy(); }
  bool empty() const { return head_ == tail_; }
  bool full() const { return advance(tail_, 1) == head_; }

  // Slot `n` places after `index`, n <= size.
  uint32_t advance(uint32_t index, uint32_t n) const {
    const uint32_t to_end = size_ - index;
    return n >= to_end ? n - to_end : index + n;
  }
  // Slots from `from` forward to `to`.
  uint32_t distance(uint32_t from, uint32_t to) const { return to >= from ? to - from : to + size_ - from; }

  RingBatch batch(uint32_t first, uint32_t count) const {
    RingBatch b{first, count, {}};
    const uint32_t to_end = size_ - first;
    b.segments[0] = {first, std::min(count, to_end)};
    if (count > to_end) b.segments[1] = {0, count - to_end};
    return b;
  }

  // Producer: n <= free_slots(). Consumer: n <= occupancy().
  void produce(uint32_t n) {
    assert(n <= free_slots());
    tail_ = advance(tail_, n);
  }
  void consume(uint32_t n) {
    assert(n <= occupancy());
    head_ = advance(head_, n);
  }

 private:
  uint32_t size_;
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
};

// A ring with its descriptor slots. The producer posts descriptors at the tail and rings the
// doorbell; the consumer fetches batches from the head. TX: the driver produces, the NIC's DMA
// engine fetches. RX: the driver's free buffers are modelled as always re-posted when it cleans
// (Linux refills in the same NAPI poll), so the ring holds the NIC's completed descriptors:
// the NIC produces, the driver's poll fetches, and occupancy is the backlog the host has not
// yet processed.
template <class Descriptor>
class DescriptorRing {
 public:
  explicit DescriptorRing(uint32_t size) : index_(size), slots_(size) {}

  const RingIndices& indices() const { return index_; }
  uint32_t size() const { return index_.size(); }
  uint32_t occupancy() const { return index_.occupancy(); }
  uint32_t free_slots() const { return index_.free_slots(); }
  bool empty() const { return index_.empty(); }
  bool full() const { return index_.full(); }

  // Producer. Writes the descriptor at the tail; false (nothing written) when full.
  bool post(const Descriptor& d) {
    if (full()) return false;
    slots_[index_.tail()] = d;
    index_.produce(1);
    return true;
  }
  // Writes as many of `ds` as fit, in order; returns how many.
  uint32_t post(std::span<const Descriptor> ds) {
    const auto n = static_cast<uint32_t>(std::min<size_t>(ds.size(), free_slots()));
    const RingBatch b = index_.batch(index_.tail(), n);
    const auto first = ds.begin();
    std::copy_n(first, b.segments[0].count, slots_.begin() + b.segments[0].first);
    std::copy_n(first + b.segments[0].count, b.segments[1].count, slots_.begin());
    index_.produce(n);
    return n;
  }
  // Publishes the tail to the consumer; returns how many descriptors it newly exposes.
  uint32_t ring_doorbell() {
    const uint32_t added = index_.distance(doorbell_tail_, index_.tail());
    doorbell_tail_ = index_.tail();
    return added;
  }
  uint32_t unpublished() const { return index_.distance(doorbell_tail_, index_.tail()); }

  // Consumer. Descriptors it may fetch: up to the last doorbell.
  uint32_t available() const { return index_.distance(index_.head(), doorbell_tail_); }
  // Up to `max` descriptors from the head, without consuming them (the DMA read's extent).
  RingBatch peek(uint32_t max) const { return index_.batch(index_.head(), std::min(max, available())); }
  const Descriptor& at(uint32_t slot) const { return slots_[slot]; }
  // Takes up to out.size() descriptors into `out`, advancing the head; returns how many.
  uint32_t fetch(std::span<Descriptor> out) {
    const RingBatch b = peek(static_cast<uint32_t>(std::min<size_t>(out.size(), available())));
    auto to = std::copy_n(slots_.begin() + b.segments[0].first, b.segments[0].count, out.begin());
    std::copy_n(slots_.begin() + b.segments[1].first, b.segments[1].count, to);
    index_.consume(b.count);
    return b.count;
  }
  // Advances the head past `n` descriptors already read with peek/at.
  void consume(uint32_t n) {
    assert(n <= available());
    index_.consume(n);
  }

 private:
  RingIndices index_;
  std::vector<Descriptor> slots_;
  uint32_t doorbell_tail_ = 0;
};

// The NIC's side of an RX ring: a frame with no free descriptor is dropped and counted (the
// rx_missed / rx_no_buffer counters of real NICs), never queued inside the NIC. Each delivery
// is its own doorbell (the completion is visible at once).
template <class Descriptor>
class RxRing : public DescriptorRing<Descriptor> {
 public:
  using DescriptorRing<Descriptor>::DescriptorRing;

  bool deliver(const Descriptor& d) {
    if (!this->post(d)) {
      ++dropped_full_;
      return false;
    }
    this->ring_doorbell();
    ++delivered_;
    return true;
  }
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped_full() const { return dropped_full_; }

 private:
  uint64_t delivered_ = 0;
  uint64_t dropped_full_ = 0;
};

// The host's side of a TX ring: post() returning false is back-pressure to the stack (the
// driver stops the queue), not a drop.
template <class Descriptor>
using TxRing = DescriptorRing<Descriptor>;

}  // namespace hostwire::nic
