// The PCIe cost arithmetic, exactly: TLP counts and link bytes at the edges of Max_Payload_Size
// and Max_Read_Request_Size, and link time rounded up to the picosecond.
#include <gtest/gtest.h>

#include "bus/cost.h"

using namespace hostwire;
using namespace hostwire::bus;

namespace {

BusParams pcie(int64_t mps, int64_t mrrs) {
  BusParams p;
  p.max_payload = Bytes{mps};
  p.max_read_request = Bytes{mrrs};
  p.tlp_overhead = Bytes{24};
  p.bandwidth = Rate::from_gbps(64);  // 8 B per ns: 125 ps per byte
  return p;
}

struct Case {
  int64_t bytes, tlps, link_bytes, request_tlps;
};

void check(const BusParams& p, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "MPS " << p.max_payload.n << " MRRS " << p.max_read_request.n << " bytes "
                                      << c.bytes);
    const TransferCost w = write_cost(p, c.bytes);
    EXPECT_EQ(w.tlps, c.tlps);
    EXPECT_EQ(w.link_bytes, c.link_bytes);
    EXPECT_EQ(w.occupancy.ps, c.link_bytes * 125);
    EXPECT_EQ(w.request_tlps, 0);
    EXPECT_EQ(w.request_link_bytes, 0);
    EXPECT_EQ(w.request_occupancy.ps, 0);
    const TransferCost r = read_cost(p, c.bytes);
    EXPECT_EQ(r.tlps, c.tlps);  // completions are cut by MPS like writes
    EXPECT_EQ(r.link_bytes, c.link_bytes);
    EXPECT_EQ(r.request_tlps, c.request_tlps);
    EXPECT_EQ(r.request_link_bytes, c.request_tlps * 24);
    EXPECT_EQ(r.request_occupancy.ps, c.request_tlps * 24 * 125);
  }
}

}  // namespace

TEST(BusCost, Mps256Mrrs512) {
  check(pcie(256, 512), {{1, 1, 25, 1},
                         {255, 1, 279, 1},
                         {256, 1, 280, 1},
                         {257, 2, 305, 1},
                         {512, 2, 560, 1},
                         {513, 3, 585, 2},
                         {65536, 256, 71680, 128}});
}

TEST(BusCost, Mps128Mrrs128) {
  check(pcie(128, 128), {{1, 1, 25, 1},
                         {127, 1, 151, 1},
                         {128, 1, 152, 1},
                         {129, 2, 177, 2},
                         {65536, 512, 77824, 512}});
}

TEST(BusCost, Mps512Mrrs4096) {
  check(pcie(512, 4096), {{1, 1, 25, 1},
                          {511, 1, 535, 1},
                          {512, 1, 536, 1},
                          {513, 2, 561, 1},
                          {4097, 9, 4313, 2},
                          {65536, 128, 68608, 16}});
}

TEST(BusCost, ZeroLengthTransferIsOneHeaderOnlyTlp) {
  const TransferCost w = write_cost(pcie(256, 512), 0);
  EXPECT_EQ(w.tlps, 1);
  EXPECT_EQ(w.link_bytes, 24);
  const TransferCost r = read_cost(pcie(256, 512), 0);
  EXPECT_EQ(r.request_tlps, 1);
  EXPECT_EQ(r.tlps, 1);
}

TEST(BusCost, LinkTimeRoundsUpOncePerTransfer) {
  BusParams p;  // Gen3 x8: 63.015 Gbit/s, so one byte lasts 126.95 ps
  ASSERT_EQ(p.bandwidth.bps, 63'015'000'000);
  EXPECT_EQ(write_cost(p, 1).occupancy.ps, 3174);           // 25 B: 3173.85 ps
  EXPECT_EQ(write_cost(p, 4096).occupancy.ps, 568'754);     // 4480 B: 568,753.47 ps
  EXPECT_EQ(write_cost(p, 65536).occupancy.ps, 9'100'056);  // 71,680 B: 9,100,055.54 ps
  EXPECT_EQ(read_cost(p, 1).request_occupancy.ps, 3047);    // 24 B: 3046.89 ps
}

TEST(BusCost, DmaTimesOnAnIdleBus) {
  const BusParams p = pcie(256, 512);  // latency 250 ns by default
  MemoryParams m;
  m.latency = Time::from_ns(80);
  m.bandwidth = Rate::from_gbps(128);  // 62.5 ps per byte
  // write 1000 B: 4 TLPs, 1096 B x 125 ps + 250 ns + ceil(1000 x 62.5) ps + 80 ns
  EXPECT_EQ(dma_write_time(p, m, 1000).ps, 137'000 + 250'000 + 62'500 + 80'000);
  // read 1000 B: 2 requests (48 B) + 250 ns + memory + 4 completions (1096 B) + 250 ns
  EXPECT_EQ(dma_read_time(p, m, 1000).ps, 6'000 + 250'000 + 62'500 + 80'000 + 137'000 + 250'000);
  // 1 B: the memory's 62.5 ps rounds up to 63
  EXPECT_EQ(dma_write_time(p, m, 1).ps, 3'125 + 250'000 + 63 + 80'000);
  EXPECT_EQ(memory_access_time(m, 1).ps, 80'063);
}

TEST(BusParams, DefaultsAndKeys) {
  std::vector<ParamSpec> specs;
  collect_schema<BusParams>(specs, "a.bus.");
  collect_schema<MemoryParams>(specs, "a.memory.");
  ASSERT_EQ(specs.size(), 7u);
  EXPECT_EQ(specs[0].key, "a.bus.latency");
  EXPECT_EQ(specs[0].default_text, "250ns");
  EXPECT_EQ(specs[1].key, "a.bus.bandwidth");
  EXPECT_EQ(specs[1].default_text, "63.015Gbps");
  EXPECT_EQ(specs[2].default_text, "256B");
  EXPECT_EQ(specs[3].default_text, "512B");
  EXPECT_EQ(specs[4].key, "a.bus.tlp_overhead");
  EXPECT_EQ(specs[4].default_text, "24B");
  EXPECT_EQ(specs[5].key, "a.memory.latency");
  EXPECT_EQ(specs[5].default_text, "80ns");
  EXPECT_EQ(specs[6].default_text, "204.8Gbps");
}
