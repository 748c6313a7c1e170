// A device's register BAR behind the bus: a doorbell write reaches the device's callback with
// the exact time it lands, reads return register values, unknown offsets are errors.
#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/mmio.h"
#include "bus/tests/bench.h"

using namespace hostwire;
using namespace hostwire::bus;
using hostwire::bus::bench::Done;
using hostwire::bus::bench::Initiator;

namespace {

constexpr uint64_t kBar = 0xf000'0000;
constexpr uint64_t kDoorbell = 0x18;
constexpr uint64_t kIrqMask = 0x20;

struct Bench {
  SimContext ctx{1};
  Bus bus{"bus", ctx, bench::round_bus(), "host.bus"};
  Memory memory{"memory", ctx, bench::round_memory(), "host.memory", 1 << 20};
  MmioTarget regs{"regs", ctx, Time::from_ns(10), "host.nic.bar0"};
  Initiator cpu{"cpu"};
  Bench() {
    cpu.out.bind(bus.in);
    bus.out.bind(memory.in);
    bus.out.bind(regs.in);
    bus.map(0, 1 << 20, 0, "memory");
    bus.map(kBar, 0x1000, 1, "nic bar0", Side::device);
  }
};

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

TEST(Mmio, DoorbellWriteCallsBackWithTheExactArrivalTime) {
  Bench b;
  uint64_t seen = 0;
  Time arrival{}, called_at{};
  int calls = 0;
  b.regs.on_write(kDoorbell, [&](uint64_t v, Time at) {
    ++calls, seen = v, arrival = at, called_at = hostwire::now();
  });
  uint8_t data[4];
  put32(data, 0x2a);
  Done d{};
  b.cpu.at(Time::from_us(1), [&] { d = b.cpu.write(kBar + kDoorbell, 4, data, Time::from_ns(5)); });
  sc_core::sc_start();
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(seen, 0x2au);
  // 1 us + 5 ns annotation + 28 B downstream (3,500 ps) + 250 ns link + 10 ns register access
  EXPECT_EQ(arrival.ps, 1'000'000 + 5'000 + 3'500 + 250'000 + 10'000);
  EXPECT_EQ(called_at.ps, 1'000'000);  // called at once; the device schedules its reaction
  EXPECT_EQ(d.at, arrival);
  EXPECT_EQ(d.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(b.regs.value(kDoorbell), 0x2au);
  EXPECT_EQ(b.ctx.stats().value("host.bus.downstream.transfers"), 1);  // host to device
  EXPECT_EQ(b.ctx.stats().value("host.bus.upstream.transfers"), 0);
}

TEST(Mmio, ReadsReturnTheRegisterValue) {
  Bench b;
  b.regs.on_read(kIrqMask, [] { return uint64_t{0xdead'beef'cafe'f00d}; });
  b.regs.on_write(kDoorbell, [](uint64_t, Time) {});
  uint8_t mask[8] = {}, bell[4] = {}, w[4];
  put32(w, 0x1234'5678);
  Done r{}, r2{};
  b.cpu.at(Time{}, [&] { r = b.cpu.read(kBar + kIrqMask, 8, mask); });
  b.cpu.at(Time::from_us(1), [&] {
    b.cpu.write(kBar + kDoorbell, 4, w);
    r2 = b.cpu.read(kBar + kDoorbell, 4, bell);  // no read callback: the last value written
  });
  sc_core::sc_start();
  EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(mask[i]) << (8 * i);
  EXPECT_EQ(v, 0xdead'beef'cafe'f00du);
  // request 24 B downstream (3,000 ps) + 250 ns + 10 ns + completion 32 B upstream (4,000 ps) + 250 ns
  EXPECT_EQ(r.at.ps, 3'000 + 250'000 + 10'000 + 4'000 + 250'000);
  EXPECT_EQ(r2.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(std::vector<uint8_t>(bell, bell + 4), std::vector<uint8_t>({0x78, 0x56, 0x34, 0x12}));
  EXPECT_EQ(b.ctx.stats().value("host.nic.bar0.reads"), 2);
  EXPECT_EQ(b.ctx.stats().value("host.nic.bar0.writes"), 1);
}

TEST(Mmio, UnknownOffsetAndBadSizeAreErrors) {
  Bench b;
  b.regs.on_write(kDoorbell, [](uint64_t, Time) { ADD_FAILURE() << "a refused write must not reach the register"; });
  uint8_t data[8] = {};
  Done unknown{}, narrow{}, unknown_read{};
  b.cpu.at(Time{}, [&] {
    unknown = b.cpu.write(kBar + 0x40, 4, data);
    narrow = b.cpu.write(kBar + kDoorbell, 2, data);
    unknown_read = b.cpu.read(kBar + 0x44, 4, data);
  });
  sc_core::sc_start();
  EXPECT_EQ(unknown.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(narrow.status, tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(unknown_read.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(b.ctx.stats().value("host.nic.bar0.errors"), 3);
  EXPECT_EQ(b.ctx.stats().value("host.bus.address_errors"), 0);  // inside the BAR: the device answers
  // Refused writes still crossed the link (28 B, 26 B downstream); the failed read costs its
  // request behind them and one header-only completion (24 B upstream), no register access.
  EXPECT_EQ(unknown_read.at.ps, 3'500 + 3'250 + 3'000 + 250'000 + 3'000 + 250'000);
}
