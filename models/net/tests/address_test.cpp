#include "net/address.h"

#include <gtest/gtest.h>

namespace hostwire::net {
namespace {

TEST(Addresses, ParseIpv4AndMacRoundTripAndRejectTheMalformed) {
  EXPECT_EQ(parse_ipv4("192.168.0.1"), Ipv4Address::from_octets(192, 168, 0, 1));
  EXPECT_EQ(to_string(*parse_ipv4("10.0.0.255")), "10.0.0.255");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.0004"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  EXPECT_EQ(parse_mac("02:00:00:0A:0b:ff"), (MacAddress{2, 0, 0, 0x0a, 0x0b, 0xff}));
  EXPECT_EQ(parse_mac("02-00-00-00-00-01"), (MacAddress{2, 0, 0, 0, 0, 1}));
  for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:001", "0g:00:00:00:00:00", "02.00.00.00.00.00"})
    EXPECT_FALSE(parse_mac(bad)) << bad;
}

}  // namespace
}  // namespace hostwire::net
