#include "core/units.h"

#include <gtest/gtest.h>

using namespace hostwire;

TEST(Units, ParsesEachKindExactly) {
  EXPECT_EQ(*parse_quantity(UnitKind::Rate, "10Gbps").value, 10'000'000'000);
  EXPECT_EQ(*parse_quantity(UnitKind::Frequency, "2.5GHz").value, 2'500'000'000);
  EXPECT_EQ(*parse_quantity(UnitKind::Time, "10us").value, 10'000'000);
  EXPECT_EQ(*parse_quantity(UnitKind::Time, "67.2ns").value, 67'200);
  EXPECT_EQ(*parse_quantity(UnitKind::Bytes, "64KiB").value, 65'536);
  EXPECT_EQ(*parse_quantity(UnitKind::Bytes, "1500B").value, 1500);
  EXPECT_EQ(*parse_quantity(UnitKind::Bytes, "1500 B").value, 1500);
  EXPECT_EQ(*parse_quantity(UnitKind::Rate, "1_000bps").value, 1000);
  EXPECT_EQ(*parse_quantity(UnitKind::Time, "-1ms").value, -1'000'000'000);
}

TEST(Units, BareNumberIsAnError) {
  auto p = parse_quantity(UnitKind::Rate, "10");
  EXPECT_FALSE(p.value);
  EXPECT_NE(p.error.find("missing unit"), std::string::npos) << p.error;
}

TEST(Units, WrongUnitNamesTheAcceptedOnes) {
  auto p = parse_quantity(UnitKind::Rate, "10GHz");
  EXPECT_FALSE(p.value);
  EXPECT_NE(p.error.find("unknown unit 'GHz'"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("Gbps"), std::string::npos) << p.error;
}

TEST(Units, RejectsGarbageFractionsAndOverflow) {
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "").value);
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "us").value);
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "abc").value);
  EXPECT_FALSE(parse_quantity(UnitKind::Bytes, "1.5B").value);  // finer than a byte
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "0.5ps").value);
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "99999999999999999999999s").value);
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "1e3us").value);  // unknown unit 'e3us'
  EXPECT_FALSE(parse_quantity(UnitKind::Rate, "9999999999999999999999999999999999999999999Gbps").value);
}

TEST(Units, ManyDecimalsNeitherOverflowNorDivideByZero) {
  // Found by the quantity fuzzer: 200 fraction digits made 10^k wrap to 0 in 128 bits.
  EXPECT_FALSE(parse_quantity(UnitKind::Time, "0." + std::string(200, '0') + "2ps").value);
  EXPECT_EQ(*parse_quantity(UnitKind::Time, "1." + std::string(200, '0') + "us").value, 1'000'000);
  EXPECT_EQ(*parse_quantity(UnitKind::Time, "0." + std::string(200, '0') + "s").value, 0);
  // A mantissa near the cap times the largest factor must not wrap around into a small value.
  EXPECT_FALSE(parse_quantity(UnitKind::Rate, "9999999999999999999999999Tbps").value);
}

TEST(Units, PrintsReadably) {
  EXPECT_EQ(format_quantity(UnitKind::Frequency, 2'500'000'000), "2.5GHz");
  EXPECT_EQ(format_quantity(UnitKind::Rate, 10'000'000'000), "10Gbps");
  EXPECT_EQ(format_quantity(UnitKind::Bytes, 65'536), "64KiB");
  EXPECT_EQ(format_quantity(UnitKind::Bytes, 1500), "1500B");
  EXPECT_EQ(format_quantity(UnitKind::Time, 67'200), "67.2ns");
  EXPECT_EQ(format_quantity(UnitKind::Time, 1'000'000'000'000), "1s");
  EXPECT_EQ(format_quantity(UnitKind::Time, 0), "0ps");
  EXPECT_EQ(format_quantity(UnitKind::Time, -5000), "-5ns");
}

TEST(Units, PrintParseRoundTripIsExact) {
  const UnitKind kinds[] = {UnitKind::Time, UnitKind::Rate, UnitKind::Bytes, UnitKind::Frequency, UnitKind::Cycles};
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t v = static_cast<int64_t>(x >> (1 + (i % 62)));
    if (i % 3 == 0) v = (v % 100000) * 1000;  // values with round units
    for (auto k : kinds) {
      std::string s = format_quantity(k, v);
      auto p = parse_quantity(k, s);
      ASSERT_TRUE(p.value) << s << ": " << p.error;
      ASSERT_EQ(*p.value, v) << s;
    }
  }
}

TEST(Units, SerialisationTimeRoundsUpToThePicosecond) {
  EXPECT_EQ(Rate::from_gbps(10).time_for_bits(672).ps, 67'200);
  EXPECT_EQ(Rate::from_bps(3).time_for_bits(1).ps, 333'333'333'334);
  EXPECT_EQ(Frequency{3'000'000'000}.time_for_cycles(3).ps, 1000);
}

TEST(Units, CyclesParseWithOrWithoutTheUnit) {
  EXPECT_EQ(*parse_quantity(UnitKind::Cycles, "200").value, 200);
  EXPECT_EQ(*parse_quantity(UnitKind::Cycles, "200cycles").value, 200);
  EXPECT_EQ(*parse_quantity(UnitKind::Cycles, "200 cycles").value, 200);
  EXPECT_EQ(*parse_quantity(UnitKind::Cycles, "1_000").value, 1000);
  EXPECT_EQ(format_quantity(UnitKind::Cycles, 200), "200cycles");
  EXPECT_EQ(format_quantity(UnitKind::Cycles, 0), "0cycles");
  EXPECT_EQ(to_string(Cycles{1500}), "1500cycles");
  auto frac = parse_quantity(UnitKind::Cycles, "1.5");
  EXPECT_FALSE(frac.value);
  EXPECT_NE(frac.error.find("not a whole number of cycles"), std::string::npos) << frac.error;
  auto wrong = parse_quantity(UnitKind::Cycles, "200ns");
  EXPECT_FALSE(wrong.value);
  EXPECT_NE(wrong.error.find("unknown unit 'ns' for a cycle count"), std::string::npos) << wrong.error;
}

TEST(Units, CyclesArithmeticAndTimeAtAClock) {
  EXPECT_EQ(Cycles{200} + Cycles{300}, Cycles{500});
  EXPECT_EQ(Cycles{500} - Cycles{200}, Cycles{300});
  EXPECT_EQ(Cycles{200} * 3, Cycles{600});
  EXPECT_EQ(3 * Cycles{200}, Cycles{600});
  EXPECT_LT(Cycles{1}, Cycles{2});
  const Frequency clock{3'000'000'000};
  EXPECT_EQ(Cycles{3}.at(clock), Time::from_ns(1));
  EXPECT_EQ(clock.time_for(Cycles{3000}), Time::from_us(1));
  EXPECT_EQ(Cycles{1}.at(clock).ps, 334);  // rounded up, as time_for_cycles
}
