// A DMA through the bus into host memory takes exactly the documented time, to the picosecond:
// link time of data and TLP overhead, link latency, the memory's transfer and latency, and for
// reads the request TLPs one way and the completions the other. Each TEST elaborates its own
// bench, so ctest runs each in its own process.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/tests/bench.h"

using namespace hostwire;
using namespace hostwire::bus;
using hostwire::bus::bench::Done;
using hostwire::bus::bench::Initiator;

namespace {

struct Bench {
  SimContext ctx{1};
  Bus bus;
  Memory memory;
  Initiator dev{"dev"};
  Bench(const BusParams& p = bench::round_bus(), const MemoryParams& m = bench::round_memory())
      : bus("bus", ctx, p, "host.bus"), memory("memory", ctx, m, "host.memory", 1ull << 30) {
    dev.out.bind(bus.in);
    bus.out.bind(memory.in);
    bus.map(0x1'0000'0000, 1ull << 30, 0, "memory");
  }
  double stat(const std::string& name) { return ctx.stats().value(name); }
};

constexpr uint64_t kMem = 0x1'0000'0000;

// Issues one transfer at each `at` (the bus idle in between) and returns completion - issue.
std::vector<int64_t> durations(Bench& b, tlm::tlm_command cmd, const std::vector<unsigned>& sizes) {
  std::vector<int64_t> out(sizes.size(), -1);
  for (size_t i = 0; i < sizes.size(); ++i) {
    const Time at = Time::from_us(100 * static_cast<int64_t>(i));
    b.dev.at(at, [&b, &out, i, cmd, at, n = sizes[i]] {
      Done d = b.dev.transfer(cmd, kMem + 4096 * i, n);
      EXPECT_EQ(d.status, tlm::TLM_OK_RESPONSE);
      out[i] = (d.at - at).ps;
    });
  }
  sc_core::sc_start();
  return out;
}

}  // namespace

TEST(DmaTiming, WriteTakesLinkTimePlusLatencyPlusMemoryExactly) {
  Bench b;
  auto d = durations(b, tlm::TLM_WRITE_COMMAND, {1, 255, 256, 257, 1000, 65536});
  // link bytes x 125 ps + 250 ns + ceil(bytes x 62.5 ps) + 80 ns
  EXPECT_EQ(d[0], 25 * 125 + 250'000 + 63 + 80'000);            // 333,188
  EXPECT_EQ(d[1], 279 * 125 + 250'000 + 15'938 + 80'000);       // 1 TLP
  EXPECT_EQ(d[2], 280 * 125 + 250'000 + 16'000 + 80'000);       // 1 TLP
  EXPECT_EQ(d[3], 305 * 125 + 250'000 + 16'063 + 80'000);       // 2 TLPs
  EXPECT_EQ(d[4], 529'500);                                      // 1096 B on the link
  EXPECT_EQ(d[5], 8'960'000 + 250'000 + 4'096'000 + 80'000);     // 256 TLPs, 71,680 B
  EXPECT_EQ(b.stat("host.bus.upstream.transfers"), 6);
  EXPECT_EQ(b.stat("host.bus.upstream.tlps"), 1 + 1 + 1 + 2 + 4 + 256);
  EXPECT_EQ(b.stat("host.bus.upstream.bytes"), 1 + 255 + 256 + 257 + 1000 + 65536);
  EXPECT_EQ(b.stat("host.bus.upstream.link_bytes"), 25 + 279 + 280 + 305 + 1096 + 71680);
  EXPECT_EQ(b.stat("host.bus.upstream.busy_time"), (25 + 279 + 280 + 305 + 1096 + 71680) * 125);
  EXPECT_EQ(b.stat("host.bus.downstream.transfers"), 0);  // posted: nothing comes back
  EXPECT_EQ(b.stat("host.memory.bytes_written"), 1 + 255 + 256 + 257 + 1000 + 65536);
}

TEST(DmaTiming, ReadTakesRequestsLatencyMemoryCompletionsLatencyExactly) {
  Bench b;
  auto d = durations(b, tlm::TLM_READ_COMMAND, {1, 512, 513, 1000, 65536});
  // requests (24 B each) + 250 ns + memory + completions + 250 ns
  EXPECT_EQ(d[0], 3'000 + 250'000 + 80'063 + 3'125 + 250'000);                 // 586,188
  EXPECT_EQ(d[1], 3'000 + 250'000 + 112'000 + 560 * 125 + 250'000);           // 1 request, 2 completions
  EXPECT_EQ(d[2], 6'000 + 250'000 + 112'063 + 585 * 125 + 250'000);           // 2 requests, 3 completions
  EXPECT_EQ(d[3], 785'500);
  EXPECT_EQ(d[4], 128 * 24 * 125 + 250'000 + 4'176'000 + 8'960'000 + 250'000);  // 14,020,000
  EXPECT_EQ(b.stat("host.bus.upstream.tlps"), 1 + 1 + 2 + 2 + 128);  // requests go up
  EXPECT_EQ(b.stat("host.bus.upstream.bytes"), 0);
  EXPECT_EQ(b.stat("host.bus.downstream.tlps"), 1 + 2 + 3 + 4 + 256);  // completions come down
  EXPECT_EQ(b.stat("host.bus.downstream.bytes"), 1 + 512 + 513 + 1000 + 65536);
  EXPECT_EQ(b.stat("host.memory.bytes_read"), 1 + 512 + 513 + 1000 + 65536);
}

TEST(DmaTiming, DefaultParamsMatchTheCostFunctions) {
  Bench b{BusParams{}, MemoryParams{}};
  auto w = durations(b, tlm::TLM_WRITE_COMMAND, {64, 1500, 4096});
  EXPECT_EQ(w[0], dma_write_time(BusParams{}, MemoryParams{}, 64).ps);
  EXPECT_EQ(w[1], dma_write_time(BusParams{}, MemoryParams{}, 1500).ps);
  EXPECT_EQ(w[2], dma_write_time(BusParams{}, MemoryParams{}, 4096).ps);
  // 4480 B at 63.015 Gbit/s (568,754 ps) + 250 ns + 4096 B at 204.8 Gbit/s (160 ns) + 80 ns
  EXPECT_EQ(w[2], 568'754 + 250'000 + 160'000 + 80'000);
}

TEST(DmaTiming, DelayAnnotationShiftsTheIssueTime) {
  Bench b;
  Done d{};
  b.dev.at(Time::from_us(1), [&] { d = b.dev.write(kMem, 1000, nullptr, Time::from_ns(10)); });
  sc_core::sc_start();
  EXPECT_EQ(d.at.ps, 1'000'000 + 10'000 + 529'500);
}

TEST(DmaTiming, TransfersQueueOnTheLinkAndInTheMemory) {
  Bench b;
  Done w1{}, w2{}, r{};
  b.dev.at(Time{}, [&] {
    w1 = b.dev.write(kMem, 1000);
    w2 = b.dev.write(kMem + 4096, 1000);  // upstream busy until 137 ns: starts then
    r = b.dev.read(kMem + 8192, 1000);    // its requests wait behind both writes
  });
  sc_core::sc_start();
  EXPECT_EQ(w1.at.ps, 529'500);
  EXPECT_EQ(w2.at.ps, 529'500 + 137'000);
  // requests on the link [274,000, 280,000), at memory 530,000; the memory is busy with w2
  // [524,000, 586,500), so the read starts there: ready 586,500 + 62,500 + 80,000 = 729,000;
  // completions downstream [729,000, 866,000), then 250 ns.
  EXPECT_EQ(r.at.ps, 1'116'000);
}

TEST(DmaTiming, ReadWaitsForTheMemoryBehindAWrite) {
  Bench b;
  Done w{}, r{};
  b.dev.at(Time{}, [&] {
    w = b.dev.write(kMem, 1000);  // upstream [0, 137,000); memory [387,000, 449,500)
    r = b.dev.read(kMem, 1000);   // requests [137,000, 143,000), at memory 393,000: waits to 449,500
  });
  sc_core::sc_start();
  EXPECT_EQ(w.at.ps, 529'500);
  EXPECT_EQ(r.at.ps, 449'500 + 62'500 + 80'000 + 137'000 + 250'000);  // 979,000
}

TEST(DmaTiming, UtilisationSeriesIsTheBusyFractionOfEachInterval) {
  Bench b;
  Sampler sampler("sampler", b.ctx, Time::from_ns(100));
  b.dev.at(Time{}, [&] { b.dev.write(kMem, 1000); });  // upstream busy [0, 137 ns)
  sc_core::sc_start(sc_core::sc_time(400, sc_core::SC_NS));
  const auto& names = b.ctx.stats().series_list();
  size_t col = names.size();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].name == "host.bus.upstream.utilisation") col = i;
  ASSERT_LT(col, names.size());
  const auto& rows = b.ctx.stats().samples();
  ASSERT_GE(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0][col], 1.0);
  EXPECT_DOUBLE_EQ(rows[1][col], 0.37);
  EXPECT_DOUBLE_EQ(rows[2][col], 0.0);
  EXPECT_DOUBLE_EQ(b.stat("host.bus.upstream.utilisation"), 137.0 / 400.0);
}

TEST(DmaTiming, BusyWireFollowsTheBookedIntervals) {
  Bench b;
  SimContext* ctxp = &b.ctx;
  const std::string path = ::testing::TempDir() + "bus_busy.vcd";
  std::string error;
  ASSERT_TRUE(ctxp->vcd().open(path, error)) << error;
  b.dev.at(Time{}, [&] {
    b.dev.write(kMem, 1000);                               // upstream [0, 137,000)
    b.dev.write(kMem, 1000);                               // back to back: [137,000, 274,000)
    b.dev.write(kMem, 1000, nullptr, Time::from_us(1));    // [1,000,000, 1,137,000)
  });
  sc_core::sc_start();
  ASSERT_TRUE(ctxp->vcd().close(hostwire::now()));
  EXPECT_EQ(ctxp->vcd().time_errors(), 0u);
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  const std::string vcd = text.str();
  std::remove(path.c_str());
  // One rise and one fall per busy stretch, at the booked times.
  for (const char* t : {"#274000\n", "#1000000\n", "#1137000\n"}) EXPECT_NE(vcd.find(t), std::string::npos) << t;
  EXPECT_EQ(vcd.find("#137000\n"), std::string::npos);  // back to back: no edge in between
}
