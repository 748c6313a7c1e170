// The conn framework's plain parts: the protocol database and event lists.
#include <gtest/gtest.h>

#include <numeric>

#include "kernel/conn/conn.h"
#include "kernel/conn/event_list.h"

using namespace hostwire::kernel;

namespace {
int calls[3];
Verdict a(TcpStack&, Conn&, Input&) { ++calls[0]; return Verdict::next; }
Verdict b(TcpStack&, Conn&, Input&) { ++calls[1]; return Verdict::consumed; }
Verdict c(TcpStack&, Conn&, Input&) { ++calls[2]; return Verdict::next; }
}  // namespace

TEST(ProtocolDatabase, ListsFollowTheNamesInOrderAndSumTheirCosts) {
  ProtocolDatabase db;
  db.add({"ip_input", "ipv4", 250, &a});
  db.add({"tcp_input", "tcp", 1000, &b});
  db.add({"tap_trace", "tap", 150, &c});
  auto e = db.list({"ip_input", "tap_trace", "tcp_input"});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->describe(), "ip_input > tap_trace > tcp_input");
  EXPECT_EQ(e->cycles(), hostwire::Cycles{1400});
  auto plain = db.list({"ip_input", "tcp_input"});
  EXPECT_EQ(plain->cycles(), hostwire::Cycles{1250});
  // Replacing a layer's entry changes every list that names it (lists point into the database).
  db.add({"ip_input", "ipv4", 300, &a});
  EXPECT_EQ(plain->cycles(), hostwire::Cycles{1300});
}

TEST(ProtocolDatabase, UnknownLayerIsAnErrorNamingIt) {
  ProtocolDatabase db;
  db.add({"ip_input", "ipv4", 250, &a});
  auto e = db.list({"ip_input", "udp_input"});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "no layer 'udp_input' in the protocol database");
}

