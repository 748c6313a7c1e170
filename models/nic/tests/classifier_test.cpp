#include "nic/classifier.h"

#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "net/ethernet.h"

namespace hostwire::nic {
namespace {

using net::Ipv4Address;
using net::MacAddress;

constexpr MacAddress kMacA = {0x02, 0, 0, 0, 0, 0x0a};
constexpr MacAddress kMacB = {0x02, 0, 0, 0, 0, 0x0b};
constexpr MacAddress kMacDebug = {0x02, 0, 0, 0, 0, 0xdb};
constexpr MacAddress kMacPeer = {0x02, 0, 0, 0, 0, 0x01};
constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

constexpr Ipv4Address ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Ipv4Address::from_octets(a, b, c, d); }

// A frame and a rule match, set field by field: F().dst(kMacB).src_port(80), M().dst_port(...).
struct F {
  MacAddress dst_ = kMacA;
  MacAddress src_ = kMacPeer;
  std::optional<uint16_t> vlan_;
  Ipv4Address src_ip_ = ip(10, 0, 0, 1);
  Ipv4Address dst_ip_ = ip(10, 0, 0, 2);
  bool tcp_ = false;
  uint16_t src_port_ = 4000;
  uint16_t dst_port_ = 5000;
  bool fragment_ = false;  // more-fragments set

  F& dst(MacAddress v) { return dst_ = v, *this; }
  F& src(MacAddress v) { return src_ = v, *this; }
  F& vlan(uint16_t v) { return vlan_ = v, *this; }
  F& src_ip(Ipv4Address v) { return src_ip_ = v, *this; }
  F& dst_ip(Ipv4Address v) { return dst_ip_ = v, *this; }
  F& tcp(bool v) { return tcp_ = v, *this; }
  F& src_port(uint16_t v) { return src_port_ = v, *this; }
  F& dst_port(uint16_t v) { return dst_port_ = v, *this; }
  F& fragment(bool v) { return fragment_ = v, *this; }
};

struct M {
  Match m;
  M& dst_mac(MacMatch v) { return m.dst_mac = v, *this; }
  M& src_mac(MacMatch v) { return m.src_mac = v, *this; }
  M& ether_type(uint16_t v) { return m.ether_type = v, *this; }
  M& vlan(VlanMatch v) { return m.vlan = v, *this; }
  M& src_ip(Ipv4Prefix v) { return m.src_ip = v, *this; }
  M& dst_ip(Ipv4Prefix v) { return m.dst_ip = v, *this; }
  M& ip_protocol(uint8_t v) { return m.ip_protocol = v, *this; }
  M& src_port(PortRange v) { return m.src_port = v, *this; }
  M& dst_port(PortRange v) { return m.dst_port = v, *this; }
  operator Match() const { return m; }
};

// The frame's header bytes, built by the protocol layer (valid checksums).
std::vector<uint8_t> frame(const F& s) {
  net::EthernetHeader eth{s.dst_, s.src_, std::nullopt, net::kEtherTypeIpv4};
  if (s.vlan_) eth.vlan = net::VlanTag{0, false, *s.vlan_};
  net::Ipv4Header iph;
  iph.src = s.src_ip_;
  iph.dst = s.dst_ip_;
  iph.mf = s.fragment_;
  net::TcpHeader tcp;
  tcp.src_port = s.src_port_;
  tcp.dst_port = s.dst_port_;
  Packet p;
  auto layout = s.tcp_ ? net::build_tcp_frame(p, eth, iph, tcp, {})
                       : net::build_udp_frame(p, eth, iph, net::UdpHeader{s.src_port_, s.dst_port_, 0, 0}, {});
  EXPECT_TRUE(layout.ok()) << layout.error();
  auto h = p.header_bytes();
  return {h.begin(), h.end()};
}

std::vector<uint8_t> arp_frame(MacAddress dst, std::optional<uint16_t> vlan = {}) {
  net::EthernetHeader eth{dst, kMacPeer, std::nullopt, net::kEtherTypeArp};
  if (vlan) eth.vlan = net::VlanTag{0, false, *vlan};
  std::vector<uint8_t> f(eth.length() + 28, 0);
  EXPECT_TRUE(eth.encode(f).ok());
  return f;
}

// Two data VNICs and a debug VNIC: A owns rings 0-3, B rings 4-5, debug ring 6-7.
Classifier three_vnics() {
  Classifier c;
  EXPECT_EQ(*c.add_vnic({kMacA, 0, 4, {}}), 0);
  EXPECT_EQ(*c.add_vnic({kMacB, 4, 2, {}}), 1);
  EXPECT_EQ(*c.add_vnic({kMacDebug, 6, 2, {}}), 2);
  return c;
}

uint32_t l4_hash(const F& s) {
  return ToeplitzHash()(rss_input_ipv4_l4(s.src_ip_, s.dst_ip_, s.src_port_, s.dst_port_).span());
}

int32_t add(Classifier& c, const Rule& r) {
  auto id = c.add_rule(r);
  EXPECT_TRUE(id.ok()) << id.error();
  return id.ok() ? *id : -2;
}

TEST(FlowKey, RawBytesAndParsedFrameAgree) {
  const std::vector<std::vector<uint8_t>> frames = {
      frame(F()),
      frame(F().tcp(true)),
      frame(F().vlan(42)),
      frame(F().vlan(7).tcp(true).src_port(1).dst_port(65535)),
      frame(F().fragment(true)),
      arp_frame(kBroadcast),
      arp_frame(kMacB, 5),
  };
  for (const auto& f : frames) {
    auto parsed = net::parse_frame(f);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(flow_key(f), flow_key(*parsed));
  }
}

TEST(FlowKey, FieldsAndLayers) {
  const FlowKey k = flow_key(frame(F().vlan(42).tcp(true)));
  EXPECT_EQ(k.dst_mac, 0x02000000000aull);
  EXPECT_EQ(k.src_mac, 0x020000000001ull);
  EXPECT_EQ(k.ether_type, net::kEtherTypeIpv4);
  EXPECT_EQ(k.vlan_id, 42);
  EXPECT_EQ(k.src_ip, ip(10, 0, 0, 1).value);
  EXPECT_EQ(k.ip_protocol, net::kIpProtocolTcp);
  EXPECT_EQ(k.src_port, 4000);
  EXPECT_EQ(k.dst_port, 5000);
  EXPECT_EQ(k.layers, layer::vlan | layer::ipv4 | layer::l4);
  EXPECT_EQ(flow_key(frame(F().fragment(true))).layers, layer::ipv4 | layer::fragment);
  EXPECT_EQ(flow_key(arp_frame(kBroadcast)).layers, 0);
}

TEST(FlowKey, TruncatedOrMalformedHeadersLeaveAnL2Key) {
  auto f = frame(F());
  EXPECT_EQ(flow_key(std::span(f).first(10)), FlowKey{});  // not even an Ethernet header
  const FlowKey l2 = flow_key(std::span(f).first(30));     // IPv4 header cut short
  EXPECT_EQ(l2.layers, 0);
  EXPECT_EQ(l2.dst_mac, mac_bits(kMacA));
  EXPECT_EQ(flow_key(std::span(f).first(36)).layers, layer::ipv4);  // no room for the ports
  f[14] = 0x35;  // IHL 5 but version 3
  EXPECT_EQ(flow_key(f).layers, 0);
}

TEST(Classifier, DefaultPathPicksVnicByDestinationMacThenRss) {
  Classifier c = three_vnics();
  const F to_b = F().dst(kMacB);
  const Decision d = c.classify(frame(to_b));
  EXPECT_FALSE(d.drop);
  EXPECT_EQ(d.rule, kDefaultPath);
  ASSERT_TRUE(d.hash);
  EXPECT_EQ(*d.hash, l4_hash(to_b));
  EXPECT_EQ(d.primary, (Delivery{1, static_cast<uint16_t>(4 + *d.hash % 2)}));
  EXPECT_FALSE(d.mirror);

  // Unknown and broadcast destinations go to the default VNIC (0 until set).
  EXPECT_EQ(c.classify(frame(F().dst(kMacPeer))).primary.vnic, 0);
  EXPECT_EQ(c.classify(frame(F().dst(kBroadcast))).primary.vnic, 0);
  ASSERT_TRUE(c.set_default_vnic(1).ok());
  EXPECT_EQ(c.classify(frame(F().dst(kBroadcast))).primary.vnic, 1);
  EXPECT_FALSE(c.set_default_vnic(3).ok());
}

TEST(Classifier, RssKeepsAFlowOnOneRingAndSpreadsFlowsOverTheVnicsRings) {
  Classifier c = three_vnics();
  std::set<uint16_t> rings;
  for (uint16_t port = 1000; port < 1200; ++port) {
    const F s = F().src_port(port);
    const Decision d = c.classify(frame(s));
    EXPECT_EQ(d.primary.vnic, 0);
    EXPECT_EQ(d.primary.ring, c.vnics()[0].indirection->ring_for(l4_hash(s)));
    EXPECT_EQ(c.classify(frame(s)).primary, d.primary);  // same flow, same ring
    rings.insert(d.primary.ring);
  }
  EXPECT_EQ(rings, (std::set<uint16_t>{0, 1, 2, 3}));
}

TEST(Classifier, CustomIndirectionTableSteersHashes) {
  Classifier c;
  RssIndirectionTable all_to_last;
  for (size_t i = 0; i < kRssIndirectionEntries; ++i) all_to_last.set(i, 2);
  ASSERT_TRUE(c.add_vnic({kMacA, 10, 3, all_to_last}).ok());
  for (uint16_t port = 0; port < 50; ++port) EXPECT_EQ(c.classify(frame(F().src_port(port))).primary.ring, 12);
}

TEST(Classifier, UdpHashTypeWithoutPortsUsesTheAddresses) {
  RssHashTypes addresses_only_for_udp;
  addresses_only_for_udp.udp_ports = false;
  Classifier c(kMicrosoftRssKey, addresses_only_for_udp);
  ASSERT_TRUE(c.add_vnic({kMacA, 0, 4, {}}).ok());
  const F udp;
  const uint32_t two_tuple = ToeplitzHash()(rss_input_ipv4(udp.src_ip_, udp.dst_ip_).span());
  EXPECT_EQ(*c.classify(frame(udp)).hash, two_tuple);
  EXPECT_EQ(*c.classify(frame(F().tcp(true))).hash, l4_hash(F().tcp(true)));
  // A fragment has no ports: the 2-tuple, whatever the hash type, so all fragments of a datagram stay together.
  EXPECT_EQ(ToeplitzHash()(rss_input(flow_key(frame(F().fragment(true)))).span()), two_tuple);
}

TEST(Classifier, NonIpFramesGoToTheVnicsFirstRingUnhashed) {
  Classifier c = three_vnics();
  const Decision d = c.classify(arp_frame(kMacB));
  EXPECT_EQ(d.primary, (Delivery{1, 4}));
  EXPECT_FALSE(d.hash);
  // A rule on an IP field never matches a non-IP frame, even with a /0 prefix; an EtherType rule does.
  add(c, {0, M().src_ip(Ipv4Prefix{ip(0, 0, 0, 0), 0}), Action::drop()});
  EXPECT_FALSE(c.classify(arp_frame(kMacB)).drop);
  EXPECT_TRUE(c.classify(frame(F())).drop);
  const int32_t arp = add(c, {-1, M().ether_type(net::kEtherTypeArp), Action::to_ring(7)});
  const Decision a = c.classify(arp_frame(kMacB));
  EXPECT_EQ(a.rule, arp);
  EXPECT_EQ(a.primary, (Delivery{2, 7}));
}

TEST(Classifier, LowerPriorityFirstTiesByInsertionOrder) {
  Classifier c = three_vnics();
  const int32_t late_low = add(c, {10, {}, Action::to_ring(1)});
  const int32_t first_tie = add(c, {5, {}, Action::to_ring(2)});
  const int32_t second_tie = add(c, {5, {}, Action::to_ring(3)});
  EXPECT_EQ(c.classify(frame(F())).rule, first_tie);
  EXPECT_EQ(c.classify(frame(F())).primary.ring, 2);
  EXPECT_TRUE(c.remove_rule(first_tie));
  EXPECT_FALSE(c.remove_rule(first_tie));
  EXPECT_EQ(c.classify(frame(F())).rule, second_tie);
  EXPECT_TRUE(c.remove_rule(second_tie));
  EXPECT_EQ(c.classify(frame(F())).rule, late_low);
  const int32_t urgent = add(c, {-100, {}, Action::drop()});
  EXPECT_EQ(c.classify(frame(F())).rule, urgent);
  EXPECT_EQ(c.rules(), 2u);
}

TEST(Classifier, MacMasksAndIpv4Prefixes) {
  Classifier c = three_vnics();
  // Group bit of the destination (IEEE 802 I/G bit): any multicast or broadcast.
  const int32_t group = add(c, {0, M().dst_mac(MacMatch{{0x01, 0, 0, 0, 0, 0}, {0x01, 0, 0, 0, 0, 0}}),
                                Action::to_vnic(1)});
  const int32_t subnet = add(c, {1, M().src_ip(Ipv4Prefix{ip(192, 168, 7, 99), 24}), Action::to_ring(6)});
  const int32_t host = add(c, {2, M().dst_ip(Ipv4Prefix{ip(10, 9, 9, 9), 32}), Action::to_ring(7)});
  EXPECT_EQ(c.classify(frame(F().dst(kBroadcast))).rule, group);
  EXPECT_EQ(c.classify(frame(F().dst({0x01, 0x00, 0x5e, 0, 0, 1}))).rule, group);
  EXPECT_EQ(c.classify(frame(F().dst({0x01, 0x00, 0x5e, 0, 0, 1}))).primary.vnic, 1);
  EXPECT_EQ(c.classify(frame(F().src_ip(ip(192, 168, 7, 1)))).rule, subnet);
  EXPECT_EQ(c.classify(frame(F().src_ip(ip(192, 168, 7, 255)))).rule, subnet);
  EXPECT_EQ(c.classify(frame(F().src_ip(ip(192, 168, 8, 1)))).rule, kDefaultPath);
  EXPECT_EQ(c.classify(frame(F().dst_ip(ip(10, 9, 9, 9)))).rule, host);
  EXPECT_EQ(c.classify(frame(F().dst_ip(ip(10, 9, 9, 8)))).rule, kDefaultPath);
  // Source MAC, exact.
  const int32_t peer = add(c, {3, M().src_mac(MacMatch{kMacPeer, kMacExact}), Action::drop()});
  EXPECT_EQ(c.classify(frame(F())).rule, peer);
  EXPECT_EQ(c.classify(frame(F().src(kMacB))).rule, kDefaultPath);
}

TEST(Classifier, EmptyMatchIsAWildcardForEveryFrame) {
  Classifier c = three_vnics();
  const int32_t any = add(c, {0, {}, Action::to_vnic(2)});
  for (const auto& f : {frame(F()), frame(F().vlan(3).tcp(true)), frame(F().fragment(true)), arp_frame(kMacB)}) {
    const Decision d = c.classify(f);
    EXPECT_EQ(d.rule, any);
    EXPECT_EQ(d.primary.vnic, 2);
  }
}

TEST(Classifier, PortRangesAndProtocol) {
  Classifier c = three_vnics();
  const int32_t range = add(c, {0, M().dst_port(PortRange{1000, 2000}), Action::to_ring(5)});
  const int32_t tcp_src = add(c, {1, M().ip_protocol(net::kIpProtocolTcp).src_port(PortRange::single(80)),
                                  Action::to_ring(4)});
  for (auto [port, rule] : std::vector<std::pair<uint16_t, int32_t>>{
           {999, kDefaultPath}, {1000, range}, {1500, range}, {2000, range}, {2001, kDefaultPath}})
    EXPECT_EQ(c.classify(frame(F().dst_port(port))).rule, rule) << port;
  EXPECT_EQ(c.classify(frame(F().tcp(true).src_port(80))).rule, tcp_src);
  EXPECT_EQ(c.classify(frame(F().tcp(false).src_port(80))).rule, kDefaultPath);  // UDP
  // A fragment carries no ports: port rules cannot match it, even when the range is all ports.
  add(c, {2, M().src_port(PortRange{0, 65535}), Action::drop()});
  EXPECT_FALSE(c.classify(frame(F().dst_port(1500).fragment(true))).drop);
  EXPECT_TRUE(c.classify(frame(F().dst_port(3000))).drop);
}

TEST(Classifier, VlanIdWithMaskAndUntagged) {
  Classifier c = three_vnics();
  const int32_t vid = add(c, {0, M().vlan(VlanMatch::id(100)), Action::to_vnic(1)});
  const int32_t block = add(c, {1, M().vlan(VlanMatch::id(0x200, 0xf00)), Action::to_vnic(2)});
  const int32_t untagged = add(c, {2, M().vlan(VlanMatch::untagged()), Action::drop()});
  EXPECT_EQ(c.classify(frame(F().vlan(100))).rule, vid);
  EXPECT_EQ(c.classify(frame(F().vlan(0x2ab))).rule, block);
  EXPECT_EQ(c.classify(frame(F().vlan(0x300))).rule, kDefaultPath);
  EXPECT_EQ(c.classify(frame(F())).rule, untagged);
  EXPECT_EQ(c.classify(arp_frame(kMacA, 100)).rule, vid);
  // EtherType is the payload's, inside the tag.
  Classifier t = three_vnics();
  add(t, {0, M().ether_type(net::kEtherTypeIpv4), Action::to_ring(6)});
  EXPECT_EQ(t.classify(frame(F().vlan(9))).primary.ring, 6);
}

TEST(Classifier, MirrorCopiesToTheDebugVnicBesideThePrimaryAction) {
  Classifier c = three_vnics();
  // Mechanism B: everything for B's address is also copied to the debug VNIC.
  const int32_t tap = add(c, {0, M().dst_mac(MacMatch{kMacB, kMacExact}), Action::pass().with_mirror(2)});
  const F to_b = F().dst(kMacB).src_port(4321);
  const Decision d = c.classify(frame(to_b));
  EXPECT_EQ(d.rule, tap);
  const uint32_t h = l4_hash(to_b);
  EXPECT_EQ(d.primary, (Delivery{1, static_cast<uint16_t>(4 + h % 2)}));
  ASSERT_TRUE(d.mirror);
  EXPECT_EQ(*d.mirror, (Delivery{2, static_cast<uint16_t>(6 + h % 2)}));
  EXPECT_FALSE(c.classify(frame(F().dst(kMacA))).mirror);

  // With a fixed ring, and with drop: the copy still goes (the debug VNIC sees what the host never does).
  add(c, {-2, M().dst_port(PortRange::single(9)), Action::to_ring(3).with_mirror(2)});
  add(c, {-1, M().dst_port(PortRange::single(10)), Action::drop().with_mirror(2)});
  const Decision r = c.classify(frame(F().dst_port(9)));
  EXPECT_EQ(r.primary, (Delivery{0, 3}));
  ASSERT_TRUE(r.mirror);
  EXPECT_EQ(r.mirror->vnic, 2);
  ASSERT_TRUE(r.hash);  // computed for the mirror
  const Decision x = c.classify(frame(F().dst_port(10)));
  EXPECT_TRUE(x.drop);
  ASSERT_TRUE(x.mirror);
  EXPECT_EQ(x.mirror->vnic, 2);
}

TEST(Classifier, ToRingNeedsNoHash) {
  Classifier c = three_vnics();
  add(c, {0, {}, Action::to_ring(5)});
  const Decision d = c.classify(frame(F()));
  EXPECT_EQ(d.primary, (Delivery{1, 5}));
  EXPECT_FALSE(d.hash);
}

TEST(Classifier, ParsedFrameAndRawBytesDecideAlike) {
  Classifier c = three_vnics();
  add(c, {0, M().src_port(PortRange{0, 100}).dst_port(PortRange{5000, 5010}), Action::to_vnic(2)});
  for (uint16_t sp = 0; sp < 200; sp += 7) {
    const auto f = frame(F().src_port(sp).dst_port(static_cast<uint16_t>(4995 + sp % 20)));
    const Decision raw = c.classify(std::span<const uint8_t>(f));
    const Decision parsed = c.classify(*net::parse_frame(f));
    EXPECT_EQ(raw.primary, parsed.primary);
    EXPECT_EQ(raw.rule, parsed.rule);
  }
}

TEST(Classifier, RejectsInconsistentConfiguration) {
  Classifier c = three_vnics();
  EXPECT_FALSE(c.add_vnic({kMacPeer, 3, 2, {}}).ok());  // ring 3 is A's
  EXPECT_FALSE(c.add_vnic({kMacPeer, 20, 0, {}}).ok());
  RssIndirectionTable too_far;
  too_far.set(0, 2);
  EXPECT_FALSE(c.add_vnic({kMacPeer, 20, 2, too_far}).ok());
  EXPECT_FALSE(c.add_rule({0, {}, Action::to_ring(8)}).ok());
  EXPECT_FALSE(c.add_rule({0, {}, Action::to_vnic(3)}).ok());
  EXPECT_FALSE(c.add_rule({0, {}, Action::pass().with_mirror(9)}).ok());
  EXPECT_FALSE(c.add_rule({0, M().src_ip(Ipv4Prefix{ip(1, 2, 3, 4), 33}), Action::drop()}).ok());
  EXPECT_FALSE(c.add_rule({0, M().src_port(PortRange{10, 9}), Action::drop()}).ok());
  EXPECT_EQ(c.rules(), 0u);
  // A gap in ring numbering is fine; the next VNIC may own rings past it.
  EXPECT_TRUE(c.add_vnic({kMacPeer, 20, 2, RssIndirectionTable::round_robin(2)}).ok());
  EXPECT_FALSE(c.add_rule({0, {}, Action::to_ring(10)}).ok());  // in the gap
}

TEST(Classifier, WithoutVnicsEveryFrameIsDropped) {
  Classifier c;
  EXPECT_TRUE(c.classify(frame(F())).drop);
}

}  // namespace
}  // namespace hostwire::nic
