// The ring memory the driver and the NIC share: each side's operations as the other sees them.
// Frames are only referenced, so fake addresses stand in for them.
#include "nic/descriptor_rings.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "nic/params.h"

namespace hostwire::nic {
namespace {

Frame* fake_frame(uintptr_t n) { return reinterpret_cast<Frame*>(n * 64); }

TEST(DescriptorRings, SizedFromTheNicParamsOnePairPerVnicRing) {
  NicParams p;
  p.vnics = 2;
  p.rings_per_vnic = 3;
  p.rx_ring_size = 16;
  p.tx_ring_size = 8;
  DescriptorRings rings(p);
  ASSERT_EQ(rings.rings(), 6);
  EXPECT_EQ(rings.rx(5).size(), 16u);
  EXPECT_EQ(rings.tx(5).size(), 8u);
  EXPECT_EQ(rings.descriptor_bytes(), 16u);
}

TEST(DescriptorRings, AVnicOverrideGivesThatVnicsRxRingsTheirOwnSizeAndAddresses) {
  NicParams p;
  p.vnics = 2;
  p.rings_per_vnic = 2;
  p.rx_ring_size = 512;
  p.vnic_overrides = {VnicOverride{1, 64}};
  DescriptorRings rings(p);
  EXPECT_EQ(rings.rx(1).size(), 512u);
  EXPECT_EQ(rings.rx(2).size(), 64u);
  EXPECT_EQ(rings.rx(3).size(), 64u);
  EXPECT_EQ(rings.tx(3).size(), 512u);  // TX rings keep the NIC's size
  // Slots follow each other through rings of different sizes, never overlapping.
  EXPECT_EQ(rings.rx_descriptor_address(3, 0), rings.map().rx_descriptors + (512 + 512 + 64) * 16);
  EXPECT_EQ(rings.rx_buffer_address(2, 63) + rings.map().buffer_stride, rings.rx_buffer_address(3, 0));
}

TEST(RxRingMemory, AHeldSlotStaysFromTheNicUntilReleased) {
  RxRingMemory ring(4);  // 3 usable
  std::vector<uint32_t> traced;
  ring.on_occupancy([&traced](uint32_t n) { traced.push_back(n); });
  for (uintptr_t i = 1; i <= 3; ++i) ring.write_completion({fake_frame(i), Time{}});
  EXPECT_EQ(ring.take_held().frame, fake_frame(1));
  EXPECT_EQ(ring.take_held().frame, fake_frame(2));
  EXPECT_EQ(ring.occupancy(), 1u);
  EXPECT_EQ(ring.held(), 2u);
  EXPECT_TRUE(ring.full());  // taken, but the reader still holds the slots
  ring.release();
  EXPECT_FALSE(ring.full());
  ring.write_completion({fake_frame(4), Time{}});
  EXPECT_TRUE(ring.full());
  EXPECT_EQ(ring.take().frame, fake_frame(3));  // an ordinary take returns its slot at once
  EXPECT_FALSE(ring.full());
  EXPECT_EQ(traced, (std::vector<uint32_t>{1, 2, 3, 3, 3, 2, 3, 2}));  // the slots the NIC cannot use
}

TEST(DescriptorRings, SlotAddressesFollowTheMemoryMap) {
  NicMemoryMap map;
  DescriptorRings rings(2, 512, 256, 16, map);
  EXPECT_EQ(rings.rx_descriptor_address(0, 0), map.rx_descriptors);
  EXPECT_EQ(rings.rx_descriptor_address(1, 3), map.rx_descriptors + (512 + 3) * 16);
  EXPECT_EQ(rings.rx_buffer_address(1, 3), map.rx_buffers + (512 + 3) * map.buffer_stride);
  EXPECT_EQ(rings.tx_descriptor_address(1, 7), map.tx_descriptors + (256 + 7) * 16);
}

TEST(RxRingMemory, TheDriverSeesCompletionsOnlyOnceTheirWriteBackLandedInRingOrder) {
  RxRingMemory ring(4);
  std::vector<uint32_t> traced;
  ring.on_occupancy([&traced](uint32_t n) { traced.push_back(n); });
  ASSERT_EQ(ring.next_slot(), 0u);
  ring.write_completion({fake_frame(1), Time::from_ns(100)});
  ring.write_completion({fake_frame(2), Time::from_ns(50)});  // lands earlier, but behind the first
  ring.write_completion({fake_frame(3), Time::from_ns(200)});
  EXPECT_TRUE(ring.full());  // 4 slots, one open
  EXPECT_EQ(ring.visible(Time::from_ns(99), 8), 0u);
  EXPECT_EQ(ring.visible(Time::from_ns(100), 8), 2u);
  EXPECT_EQ(ring.visible(Time::from_ns(200), 1), 1u);  // at most `max`
  EXPECT_EQ(ring.peek(2).frame, fake_frame(3));
  EXPECT_EQ(ring.take().frame, fake_frame(1));
  EXPECT_FALSE(ring.full());  // taking returns the slot to the NIC
  EXPECT_EQ(ring.next_slot(), 3u);
  EXPECT_EQ(traced, (std::vector<uint32_t>{1, 2, 3, 2}));
}

TEST(TxRingMemory, SlotsStayInUseUntilTheDriverCleansTheirCompletions) {
  TxRingMemory ring(4);
  for (uintptr_t i = 1; i <= 3; ++i) ASSERT_TRUE(ring.post({fake_frame(i), 0}));
  EXPECT_FALSE(ring.post({fake_frame(4), 0}));
  EXPECT_EQ(ring.free_slots(), 0u);
  // The NIC reads two descriptors: their slots are not free until cleaned.
  ASSERT_EQ(ring.peek(2).count, 2u);
  EXPECT_EQ(ring.at(ring.head()).frame, fake_frame(1));
  std::vector<TxDescriptor> out(2);
  EXPECT_EQ(ring.fetch(out), 2u);
  EXPECT_EQ(out[1].frame, fake_frame(2));
  EXPECT_EQ(ring.occupancy(), 1u);
  EXPECT_EQ(ring.free_slots(), 0u);
  ring.write_back(Time::from_ns(10), 2);
  EXPECT_EQ(ring.completed(Time::from_ns(9)), 0u);
  EXPECT_EQ(ring.completed(Time::from_ns(10)), 2u);
  ring.clean(1);
  EXPECT_EQ(ring.completed(Time::from_ns(10)), 1u);
  EXPECT_EQ(ring.free_slots(), 1u);
  EXPECT_TRUE(ring.post({fake_frame(4), 0}));
}

TEST(DescriptorRings, FramesHeldCountsPostedAndUntakenDescriptors) {
  DescriptorRings rings(2, 8, 8, 16);
  rings.rx(0).write_completion({fake_frame(1), Time{}});
  rings.tx(1).post({fake_frame(2), 0});
  rings.tx(1).post({fake_frame(3), 0});
  EXPECT_EQ(rings.frames_held(), 3u);
}

}  // namespace
}  // namespace hostwire::nic
