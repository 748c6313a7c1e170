// Arbitration as occupancy: two DMA engines writing back to back through one direction share
// it first come first served, each getting half, and together keep it busy.
#include <cmath>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/tests/bench.h"

using namespace hostwire;
using namespace hostwire::bus;
using hostwire::bus::bench::Initiator;

namespace {

constexpr uint64_t kMem = 0x1'0000'0000;
constexpr unsigned kWrite = 4096;

// Closed loop: the next write is issued the moment the previous one completes.
struct Stream {
  Initiator& dev;
  uint64_t base;
  uint64_t completed_bytes = 0;
  uint64_t writes = 0;
  void issue() {
    auto d = dev.write(base + (writes % 64) * kWrite, kWrite);
    EXPECT_EQ(d.status, tlm::TLM_OK_RESPONSE);
    ++writes;
    dev.at(d.at, [this] {
      completed_bytes += kWrite;
      issue();
    });
  }
};

}  // namespace

TEST(Arbitration, TwoClosedLoopDmaStreamsShareTheDirectionEvenly) {
  SimContext ctx{1};
  const BusParams p;  // PCIe Gen3 x8 defaults
  Bus bus("bus", ctx, p, "host.bus");
  Memory memory("memory", ctx, MemoryParams{}, "host.memory", 1ull << 30);
  Initiator a("a"), b("b");
  a.out.bind(bus.in);
  b.out.bind(bus.in);
  bus.out.bind(memory.in);
  bus.map(kMem, 1ull << 30, 0, "memory");
  Stream sa{a, kMem}, sb{b, kMem + (1u << 20)};
  a.at(Time{}, [&] { sa.issue(); });
  b.at(Time{}, [&] { sb.issue(); });
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));

  // Data rate of the direction when full of 4 KiB writes: 4096 of every 4480 link bytes.
  const double seconds = 1e-3;
  const double full = static_cast<double>(p.bandwidth.bps) * 4096.0 / 4480.0;
  const double rate_a = static_cast<double>(sa.completed_bytes) * 8 / seconds;
  const double rate_b = static_cast<double>(sb.completed_bytes) * 8 / seconds;
  EXPECT_NEAR(rate_a / (full / 2), 1.0, 0.02) << rate_a;
  EXPECT_NEAR(rate_b / (full / 2), 1.0, 0.02) << rate_b;
  // First come first served alternates the two: neither is ever more than one write ahead.
  EXPECT_LE(std::llabs(static_cast<long long>(sa.writes) - static_cast<long long>(sb.writes)), 1);
  // Busy from the first write on: only the very start idles (nothing in flight before t = 0).
  const double u = ctx.stats().value("host.bus.upstream.utilisation");
  EXPECT_GT(u, 0.98);
  EXPECT_LE(u, 1.0);
  // 568,754 ps per write on the link: 1 ms holds 1758.2 of them.
  const uint64_t booked = sa.writes + sb.writes;
  EXPECT_GE(booked, 1758u);
  EXPECT_EQ(ctx.stats().value("host.bus.upstream.transfers"), static_cast<double>(booked));
  EXPECT_EQ(ctx.stats().value("host.bus.upstream.link_bytes"), static_cast<double>(booked * 4480));
}
