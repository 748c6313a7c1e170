#include "core/si.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hostwire {
namespace {

TEST(FormatSi, TimesInTheLargestUnitAtLeastOne) {
  EXPECT_EQ(format_si(2600468479.0, "ps"), "2.60 ms");  // the 2600468.479ns
  EXPECT_EQ(format_si(16e6, "ps"), "16.00 us");
  EXPECT_EQ(format_si(999.4, "ps"), "999.40 ps");
  EXPECT_EQ(format_si(999996.0, "ps"), "1.00 us");  // rounds up into the next unit, not "1000.00 ns"
  EXPECT_EQ(format_si(3.5, "s"), "3.50 s");
  EXPECT_EQ(format_si(0.000052, "s"), "52.00 us");
  EXPECT_EQ(format_si(0, "ps"), "0 s");
  EXPECT_EQ(format_si(-1500, "ps"), "-1.50 ns");
  EXPECT_EQ(format_si(16, "us"), "16.00 us");
  EXPECT_EQ(format_si(2500, "ns"), "2.50 us");
  EXPECT_EQ(format_si(0.5, "ms"), "500.00 us");
}

TEST(FormatSi, RatesAndCountsTakeAPrefixGluedToTheUnit) {
  EXPECT_EQ(format_si(3.72005e+07, "frames/s"), "37.20 Mframes/s");
  EXPECT_EQ(format_si(9.41e9, "bit/s"), "9.41 Gbit/s");
  EXPECT_EQ(format_si(14880952, "frames/s"), "14.88 Mframes/s");
  EXPECT_EQ(format_si(24258.4, "cycles/request"), "24.26 kcycles/request");
  EXPECT_EQ(format_si(2.5e15, "B/s"), "2.50 PB/s");
}

TEST(FormatSi, SmallIntegersAreExact) {
  EXPECT_EQ(format_si(37, "frames"), "37 frames");
  EXPECT_EQ(format_si(1448, "B"), "1448 B");
  EXPECT_EQ(format_si(9999, "cycles"), "9999 cycles");
  EXPECT_EQ(format_si(10000, "cycles"), "10.00 kcycles");
  EXPECT_EQ(format_si(0, "frames"), "0 frames");
}

TEST(FormatSi, BytesTakeBinaryPrefixes) {
  EXPECT_EQ(format_si(65536, "B"), "64.00 KiB");
  EXPECT_EQ(format_si(1.5 * 1024 * 1024, "B"), "1.50 MiB");
  EXPECT_EQ(format_si(4.0 * 1024 * 1024 * 1024, "B"), "4.00 GiB");
  EXPECT_EQ(format_si(512.5, "B"), "512.50 B");
}

TEST(FormatSi, PlainNumbersKeepFourSignificantDigits) {
  EXPECT_EQ(format_si(0.29999999999999999, "1"), "0.3");
  EXPECT_EQ(format_si(0.99981, ""), "0.9998");
  EXPECT_EQ(format_si(3.2047, "1"), "3.205");
  EXPECT_EQ(format_si(2.5, "cycles/B"), "2.5 cycles/B");
  EXPECT_EQ(format_si(1.26e6, ""), "1.26M");
  EXPECT_EQ(format_si(45.25, "%"), "45.25 %");
}

TEST(FormatSi, NotANumberIsNa) {
  EXPECT_EQ(format_si(std::nan(""), "ps"), "n/a");
  EXPECT_EQ(format_si(std::numeric_limits<double>::infinity(), "frames/s"), "n/a");
}

}  // namespace
}  // namespace hostwire
