// The address map: routing by address to the target bound at out[index], local offsets,
// unmapped or straddling transfers answered with an address error, overlaps refused.
#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/tests/bench.h"

using namespace hostwire;
using namespace hostwire::bus;
using hostwire::bus::bench::Done;
using hostwire::bus::bench::Initiator;

namespace {

struct TwoTargets {
  SimContext ctx{1};
  Bus bus{"bus", ctx, bench::round_bus(), "host.bus"};
  Memory low{"low", ctx, bench::round_memory(), "host.low", 1 << 20};
  Memory high{"high", ctx, bench::round_memory(), "host.high", 64 << 10};
  Initiator dev{"dev"};
  TwoTargets() {
    dev.out.bind(bus.in);
    bus.out.bind(low.in);   // out[0]
    bus.out.bind(high.in);  // out[1]
    bus.map(0x2000'0000, 64 << 10, 1, "high");  // mapped out of order on purpose
    bus.map(0x1000'0000, 1 << 20, 0, "low");
  }
};

}  // namespace

TEST(AddressMap, RoutesByAddressWithLocalOffsets) {
  TwoTargets t;
  uint8_t a[4] = {1, 2, 3, 4}, b[4] = {9, 8, 7, 6};
  Done da{}, db{};
  t.dev.at(Time{}, [&] {
    da = t.dev.write(0x1000'0100, 4, a);
    db = t.dev.write(0x2000'fffc, 4, b);  // the last 4 bytes of "high"
  });
  sc_core::sc_start();
  EXPECT_EQ(da.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(db.status, tlm::TLM_OK_RESPONSE);
  uint8_t got[4];
  t.low.peek(0x100, got, 4);
  EXPECT_EQ(std::vector<uint8_t>(got, got + 4), std::vector<uint8_t>({1, 2, 3, 4}));
  t.high.peek(0xfffc, got, 4);
  EXPECT_EQ(std::vector<uint8_t>(got, got + 4), std::vector<uint8_t>({9, 8, 7, 6}));
  EXPECT_EQ(t.ctx.stats().value("host.low.writes"), 1);
  EXPECT_EQ(t.ctx.stats().value("host.high.writes"), 1);
  EXPECT_EQ(t.low.pages_allocated(), 1u);
  EXPECT_EQ(t.high.pages_allocated(), 1u);
}

TEST(AddressMap, OutsideTheMapIsAnAddressErrorThatCostsNoLinkTime) {
  TwoTargets t;
  Done gap{}, past{}, straddle{}, below{};
  t.dev.at(Time::from_ns(5), [&] {
    gap = t.dev.write(0x1800'0000, 64);       // between the two ranges
    past = t.dev.read(0x2001'0000, 4);        // one past the end of "high"
    straddle = t.dev.write(0x2000'fff0, 32);  // starts inside, ends outside
    below = t.dev.read(0x0, 8);
  });
  sc_core::sc_start();
  for (const Done& d : {gap, past, straddle, below}) {
    EXPECT_EQ(d.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(d.at.ps, 5'000);  // answered at once
  }
  EXPECT_EQ(t.ctx.stats().value("host.bus.address_errors"), 4);
  EXPECT_EQ(t.ctx.stats().value("host.bus.upstream.transfers"), 0);
  EXPECT_EQ(t.ctx.stats().value("host.bus.downstream.transfers"), 0);
  EXPECT_EQ(t.ctx.stats().value("host.high.writes"), 0);
}

TEST(AddressMap, OverlappingRangesAreRejected) {
  TwoTargets t;
  EXPECT_THROW(t.bus.map(0x100f'f000, 0x2000, 1, "straddles the end of low"), sc_core::sc_report);
  EXPECT_THROW(t.bus.map(0x0fff'f000, 0x2000, 1, "straddles the start of low"), sc_core::sc_report);
  EXPECT_THROW(t.bus.map(0x1000'8000, 0x10, 1, "inside low"), sc_core::sc_report);
  EXPECT_THROW(t.bus.map(0x0, 0x4000'0000, 1, "covers both"), sc_core::sc_report);
  EXPECT_THROW(t.bus.map(0x3000'0000, 0, 1, "empty"), sc_core::sc_report);
  EXPECT_NO_THROW(t.bus.map(0x1010'0000, 0x1000, 1, "adjacent to the end of low"));
  EXPECT_NO_THROW(t.bus.map(0x0fff'f000, 0x1000, 1, "adjacent to the start of low"));
}

TEST(AddressMap, MappingAnUnboundTargetFailsAtElaboration) {
  TwoTargets t;
  t.bus.map(0x4000'0000, 0x1000, 2, "nothing at out[2]");
  EXPECT_THROW(sc_core::sc_start(), sc_core::sc_report);
}
