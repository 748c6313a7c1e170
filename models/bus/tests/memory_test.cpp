// Host memory stores real bytes when a transfer carries them, and leaves them alone when it
// is timing only (a null data pointer).
#include <numeric>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/tests/bench.h"

using namespace hostwire;
using namespace hostwire::bus;
using hostwire::bus::bench::Done;
using hostwire::bus::bench::Initiator;

namespace {

constexpr uint64_t kMem = 0x8000'0000;

struct Bench {
  SimContext ctx{1};
  Bus bus{"bus", ctx, bench::round_bus(), "host.bus"};
  Memory memory{"memory", ctx, bench::round_memory(), "host.memory", 1 << 24};
  Initiator dev{"dev"};
  Bench() {
    dev.out.bind(bus.in);
    bus.out.bind(memory.in);
    bus.map(kMem, 1 << 24, 0, "memory");
  }
};

}  // namespace

TEST(Memory, DataRoundTripsThroughTheBus) {
  Bench b;
  std::vector<uint8_t> out(10'000), back(10'000, 0xee);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 3);
  Done w{}, r{};
  b.dev.at(Time{}, [&] { w = b.dev.write(kMem + 4000, 10'000, out.data()); });  // crosses three page edges
  b.dev.at(Time::from_us(10), [&] { r = b.dev.read(kMem + 4000, 10'000, back.data()); });
  sc_core::sc_start();
  EXPECT_EQ(w.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(back, out);
  EXPECT_EQ(b.memory.pages_allocated(), 4u);  // pages 0..3 of the 4 KiB grid
  std::vector<uint8_t> edge(4);
  b.memory.peek(3998, edge.data(), 4);  // two never-written bytes read as zero
  EXPECT_EQ(edge, std::vector<uint8_t>({0, 0, out[0], out[1]}));
}

TEST(Memory, TimingOnlyTransfersLeaveMemoryUntouched) {
  Bench b;
  std::vector<uint8_t> pattern(256, 0x5a);
  b.memory.poke(0x100, pattern.data(), pattern.size());
  Done w{}, r{};
  b.dev.at(Time{}, [&] {
    w = b.dev.write(kMem + 0x100, 256);  // null data pointer
    r = b.dev.read(kMem + 0x1'0000, 4096);
  });
  sc_core::sc_start();
  EXPECT_EQ(w.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(w.at.ps, dma_write_time(bench::round_bus(), bench::round_memory(), 256).ps);  // same cost
  std::vector<uint8_t> now(256);
  b.memory.peek(0x100, now.data(), now.size());
  EXPECT_EQ(now, pattern);
  EXPECT_EQ(b.memory.pages_allocated(), 1u);  // only the poke's page
  EXPECT_EQ(b.ctx.stats().value("host.memory.bytes_written"), 256);
  EXPECT_EQ(b.ctx.stats().value("host.memory.bytes_read"), 4096);
}

TEST(Memory, DebugTransportReachesMemoryThroughTheMapWithoutTime) {
  Bench b;
  uint8_t v[3] = {0xaa, 0xbb, 0xcc}, got[3] = {};
  b.dev.at(Time::from_ns(7), [&] {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(kMem + 10);
    gp.set_data_ptr(v);
    gp.set_data_length(3);
    EXPECT_EQ(b.dev.out->transport_dbg(gp), 3u);
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_data_ptr(got);
    EXPECT_EQ(b.dev.out->transport_dbg(gp), 3u);
    gp.set_address(0x10);  // unmapped
    EXPECT_EQ(b.dev.out->transport_dbg(gp), 0u);
  });
  sc_core::sc_start();
  EXPECT_EQ(std::vector<uint8_t>(got, got + 3), std::vector<uint8_t>({0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(b.ctx.stats().value("host.bus.upstream.transfers"), 0);
}
