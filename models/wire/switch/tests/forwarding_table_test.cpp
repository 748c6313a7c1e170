// The forwarding table on its own: static entries, learning, flooding and filtering.
#include <gtest/gtest.h>

#include "wire/switch/forwarding_table.h"

using namespace hostwire;
using hostwire::wire::Forward;
using hostwire::wire::ForwardingTable;

namespace {

net::MacAddress station(uint8_t n) { return {0x02, 0, 0, 0, 0, n}; }
const net::MacAddress kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const net::MacAddress kMulticast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

Forward to(int port) { return {Forward::Action::to_port, port}; }
Forward flood() { return {Forward::Action::flood, -1}; }

}  // namespace

TEST(ForwardingTable, StaticEntrySendsToItsPort) {
  ForwardingTable t(4, false);
  ASSERT_TRUE(t.add_static(station(2), 3));
  EXPECT_EQ(t.forward(0, station(2), station(1)), to(3));
  EXPECT_EQ(t.lookup(station(2)), 3);
  EXPECT_EQ(t.floods(), 0u);
}

TEST(ForwardingTable, RejectsGroupAddressesAndPortsOutOfRange) {
  ForwardingTable t(4, false);
  EXPECT_FALSE(t.add_static(kBroadcast, 1));
  EXPECT_FALSE(t.add_static(kMulticast, 1));
  EXPECT_FALSE(t.add_static(station(1), 4));
  EXPECT_FALSE(t.add_static(station(1), -1));
  EXPECT_EQ(t.entries(), 0u);
}

TEST(ForwardingTable, UnknownBroadcastAndMulticastDestinationsFloodAndAreCounted) {
  ForwardingTable t(4, false);
  t.add_static(station(2), 3);
  EXPECT_EQ(t.forward(0, station(9), station(1)), flood());
  EXPECT_EQ(t.forward(0, kBroadcast, station(1)), flood());
  EXPECT_EQ(t.forward(0, kMulticast, station(1)), flood());
  EXPECT_EQ(t.floods(), 3u);
}

TEST(ForwardingTable, WithoutLearningSourcesAreNotRemembered) {
  ForwardingTable t(4, false);
  t.forward(1, station(9), station(1));
  EXPECT_EQ(t.lookup(station(1)), std::nullopt);
  EXPECT_EQ(t.forward(2, station(1), station(3)), flood());
  EXPECT_EQ(t.learned(), 0u);
}

TEST(ForwardingTable, LearningAnswersTheReplyWithoutAFlood) {
  ForwardingTable t(4, true);
  EXPECT_EQ(t.forward(1, station(2), station(1)), flood());  // 2 unknown yet; 1 is behind port 1
  EXPECT_EQ(t.forward(2, station(1), station(2)), to(1));    // the reply; 2 is learned on port 2
  EXPECT_EQ(t.forward(1, station(2), station(1)), to(2));
  EXPECT_EQ(t.floods(), 1u);
  EXPECT_EQ(t.learned(), 2u);
}

TEST(ForwardingTable, LearnedStationThatMovesFollowsItsNewPort) {
  ForwardingTable t(4, true);
  t.forward(1, kBroadcast, station(1));
  t.forward(3, kBroadcast, station(1));
  EXPECT_EQ(t.lookup(station(1)), 3);
  EXPECT_EQ(t.learned(), 2u);
  EXPECT_EQ(t.entries(), 1u);
}

TEST(ForwardingTable, LearningNeverOverridesAStaticEntryNorLearnsAGroupSource) {
  ForwardingTable t(4, true);
  t.add_static(station(1), 0);
  t.forward(2, kBroadcast, station(1));
  EXPECT_EQ(t.lookup(station(1)), 0);
  t.forward(2, station(1), kBroadcast);
  EXPECT_EQ(t.lookup(kBroadcast), std::nullopt);
  EXPECT_EQ(t.learned(), 0u);
}

TEST(ForwardingTable, DestinationBehindTheIngressPortIsFiltered) {
  ForwardingTable t(4, true);
  t.add_static(station(2), 1);
  EXPECT_EQ(t.forward(1, station(2), station(1)), (Forward{Forward::Action::filter, 1}));
  // Learned on port 1 by that frame: a frame to station 1 from port 1 is filtered too.
  EXPECT_EQ(t.forward(1, station(1), station(5)).action, Forward::Action::filter);
}
