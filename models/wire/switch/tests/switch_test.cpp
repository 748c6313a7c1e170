// The switch's SystemC module in a star: each port has a host (a MAC with a frame generator
// and a sink) on its own full-duplex link. Timing is checked to the picosecond against the
// link's arithmetic; the incast checks drops and that every frame is accounted for. Each
// TEST elaborates its own star, so ctest runs each in its own process.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/frame_gen.h"
#include "wire/ethernet_timing.h"
#include "wire/link.h"
#include "wire/mac.h"
#include "wire/switch/switch.h"

using namespace hostwire;

namespace {

constexpr int64_t kMaxFrame = 1514;  // 1500 B MTU + 14 B Ethernet header

struct Host {
  std::unique_ptr<wire::Link> link;  // a_to_b: host to switch; b_to_a: switch to host
  std::unique_ptr<wire::Mac> mac;
  std::unique_ptr<apps::FrameSink> sink;
  apps::Station station;
};

struct Star {
  SimContext ctx{1};
  wire::Switch sw;
  std::vector<Host> hosts;
  std::vector<std::unique_ptr<apps::FrameGenerator>> generators;

  Star(const wire::SwitchParams& p, const wire::LinkParams& l, const wire::FaultParams& host0_uplink = {})
      : Star(p, std::vector(static_cast<size_t>(p.ports), l), host0_uplink) {}
  // Host i on a link with links[i]; `host0_uplink` are the faults from host 0 to the switch.
  Star(const wire::SwitchParams& p, const std::vector<wire::LinkParams>& links, const wire::FaultParams& host0_uplink = {})
      : sw("switch0", ctx, p, "switch0") {
    for (int i = 0; i < p.ports; ++i) {
      const wire::LinkParams& l = links[static_cast<size_t>(i)];
      const std::string h = "h" + std::to_string(i);
      Host& host = hosts.emplace_back();
      host.link = std::make_unique<wire::Link>(("link" + std::to_string(i)).c_str(), ctx, l,
                                               i == 0 ? host0_uplink : wire::FaultParams{});
      host.mac = std::make_unique<wire::Mac>((h + "_mac").c_str(), ctx, wire::MacParams{}, h + ".mac", kMaxFrame);
      host.sink = std::make_unique<apps::FrameSink>(ctx, h);
      host.station.mac = {0x02, 0, 0, 0, 0, static_cast<uint8_t>(i + 1)};
      host.station.ip = net::Ipv4Address::from_octets(10, 0, 0, static_cast<uint8_t>(i + 1));
      host.mac->tx.bind(host.link->a_to_b.in);
      sw.connect(i, host.link->a_to_b, host.link->b_to_a);
      host.link->b_to_a.out.bind(host.mac->rx);
      apps::FrameSink* sink = host.sink.get();
      host.mac->on_receive = [sink](Packet& pk) { sink->receive(pk); };
      EXPECT_TRUE(sw.add_static_entry(host.station.mac, i));
    }
  }

  // Flow `from` (stats "w<from>.") from host `from` to host `to`.
  void send(int from, int to, const apps::FrameGenParams& g) {
    const std::string prefix = "w" + std::to_string(from) + ".";
    hosts[static_cast<size_t>(to)].sink->add_flow(static_cast<uint32_t>(from), prefix);
    generators.push_back(std::make_unique<apps::FrameGenerator>(
        ("gen" + std::to_string(from)).c_str(), ctx, g, static_cast<uint32_t>(from), *hosts[static_cast<size_t>(from)].mac,
        hosts[static_cast<size_t>(from)].station, hosts[static_cast<size_t>(to)].station, prefix));
  }

  double value(const std::string& k) const { return const_cast<SimContext&>(ctx).stats().value(k); }
  uint64_t count(const std::string& k) const { return static_cast<uint64_t>(value(k)); }
  void expect_invariants() {
    auto broken = ctx.check_invariants();
    EXPECT_TRUE(broken.empty()) << broken.front();
  }
};

wire::LinkParams link_10g(Time propagation) {
  wire::LinkParams l;
  l.rate = Rate::from_gbps(10);
  l.propagation = propagation;
  return l;
}

apps::FrameGenParams one_frame(int64_t size_with_fcs) {
  apps::FrameGenParams g;
  g.pattern = "line_rate";
  g.frame_size = Bytes{size_with_fcs};
  g.count = 1;
  return g;
}

// Host 0 sends one frame of `size` bytes (with FCS) to host 1; returns its one-way latency.
int64_t one_frame_latency(const std::string& mode, int64_t size, const wire::LinkParams& in, const wire::LinkParams& out) {
  wire::SwitchParams p;
  p.ports = 2;
  p.mode = mode;
  Star star(p, std::vector{in, out});
  star.send(0, 1, one_frame(size));
  sc_core::sc_start();
  star.expect_invariants();
  const Histogram* h = star.ctx.stats().find_histogram("w0.latency");
  EXPECT_EQ(h->count(), 1u);
  EXPECT_EQ(star.count("switch0.port0.frames_in"), 1u);
  EXPECT_EQ(star.count("switch0.port1.frames_out"), 1u);
  EXPECT_EQ(star.sw.frames_held(), 0u);
  ::testing::Test::RecordProperty("latency_ps", std::to_string(h->min()));
  return h->min();
}
int64_t one_frame_latency(const std::string& mode, int64_t size, Time propagation) {
  return one_frame_latency(mode, size, link_10g(propagation), link_10g(propagation));
}

constexpr int64_t kPropagation = 1'234'567;  // ps: odd, so no term hides another
constexpr int64_t kLatency = 500'000;        // SwitchParams' default forwarding latency, ps
// Time of `bytes` at 10 Gbps: 800 ps a byte, exactly.
constexpr int64_t at_10g(int64_t bytes) { return bytes * 800; }
// What the link counts from first bit out to last bit in: preamble+SFD and the frame with FCS.
constexpr int64_t serialisation(int64_t size) { return at_10g(wire::kPreambleSfdBytes + size); }

}  // namespace

TEST(SwitchTiming, StoreAndForwardLatencyIsTwoHopsPlusTheForwardingLatencyToThePicosecond) {
  const int64_t latency = one_frame_latency("store_and_forward", 200, Time{kPropagation});
  EXPECT_EQ(latency, 2 * serialisation(200) + 2 * kPropagation + kLatency);
  EXPECT_EQ(latency, 2 * 166'400 + 2 * 1'234'567 + 500'000);
}

TEST(SwitchTiming, CutThroughSavesTheFramesRestAfterTheFirst64BytesExactly) {
  const int64_t latency = one_frame_latency("cut_through", 200, Time{kPropagation});
  EXPECT_EQ(latency, 2 * serialisation(200) + 2 * kPropagation + kLatency - at_10g(200 - 64));
  EXPECT_EQ(latency, 2 * 166'400 + 2 * 1'234'567 + 500'000 - 108'800);
}

TEST(SwitchTiming, CutThroughSavesTheWholeRestOfALongFrameToo) {
  // The rest of a 1518 B frame (1454 B, 1163.2 ns) outlasts the 500 ns pipeline: the egress
  // starts while the ingress is still receiving.
  const int64_t latency = one_frame_latency("cut_through", 1518, Time{kPropagation});
  EXPECT_EQ(latency, 2 * serialisation(1518) + 2 * kPropagation + kLatency - at_10g(1518 - 64));
  EXPECT_EQ(latency, 2 * 1'220'800 + 2 * 1'234'567 + 500'000 - 1'163'200);
}

TEST(SwitchTiming, CutThroughIntoAFasterEgressWaitsSoTheFrameEndsAsItsLastBitIsIn) {
  // 1 Gbps in, 10 Gbps out: the egress would run out of frame, so its last bit leaves as the
  // ingress's last bit arrives, and the switch adds nothing to the 1 Gbps hop.
  wire::LinkParams slow = link_10g(Time{kPropagation});
  slow.rate = Rate::from_gbps(1);
  const int64_t latency = one_frame_latency("cut_through", 1518, slow, link_10g(Time{kPropagation}));
  EXPECT_EQ(latency, 10 * serialisation(1518) + 2 * kPropagation);
}

TEST(SwitchTiming, StoreAndForwardFromASlowerIngressPaysBothHops) {
  wire::LinkParams slow = link_10g(Time{kPropagation});
  slow.rate = Rate::from_gbps(1);
  const int64_t latency = one_frame_latency("store_and_forward", 1518, slow, link_10g(Time{kPropagation}));
  EXPECT_EQ(latency, 10 * serialisation(1518) + serialisation(1518) + 2 * kPropagation + kLatency);
}

TEST(SwitchForwarding, UnknownDestinationFloodsToEveryPortButTheIngress) {
  wire::SwitchParams p;
  p.ports = 4;
  Star star(p, link_10g(Time::from_ns(100)));
  // Host 0 talks to a station the switch has no entry for.
  star.hosts.push_back({});
  star.hosts.back().station = {{0x02, 0, 0, 0, 0, 0x77}, net::Ipv4Address::from_octets(10, 0, 0, 0x77)};
  star.generators.push_back(std::make_unique<apps::FrameGenerator>("gen0", star.ctx, one_frame(64), 0, *star.hosts[0].mac,
                                                                   star.hosts[0].station, star.hosts.back().station, "w0."));
  std::vector<Time> tapped;
  star.sw.port(1).on_transmit = [&tapped](const Packet&, Time start) { tapped.push_back(start); };
  sc_core::sc_start();
  star.expect_invariants();
  // The tap sees the copy leave port 1 after the first hop and the pipeline.
  ASSERT_EQ(tapped.size(), 1u);
  EXPECT_EQ(tapped[0].ps, serialisation(64) + 100'000 + kLatency);
  EXPECT_EQ(star.count("switch0.floods"), 1u);
  EXPECT_EQ(star.count("switch0.flood_copies"), 2u);
  EXPECT_EQ(star.count("switch0.port0.frames_out"), 0u);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(star.count("switch0.port" + std::to_string(i) + ".frames_out"), 1u) << i;
    EXPECT_EQ(star.count("h" + std::to_string(i) + ".mac.rx_frames"), 1u) << i;  // not theirs: a stray frame
    EXPECT_EQ(star.count("h" + std::to_string(i) + ".stray_frames"), 1u) << i;
  }
}

TEST(SwitchIncast, SixteenToOneDropsAtTheReceiversPortAndAccountsForEveryFrame) {
  constexpr int kSenders = 16;
  constexpr int64_t kBuffer = 16 * 1024;
  constexpr int64_t kSize = 1518;  // with FCS; 1514 B in the egress buffer
  const Time propagation = Time::from_ns(500);
  const Time end = Time::from_us(200);
  wire::SwitchParams p;
  p.ports = kSenders + 1;
  p.egress_buffer = Bytes{kBuffer};
  Star star(p, link_10g(propagation));
  apps::FrameGenParams g;
  g.pattern = "line_rate";
  g.frame_size = Bytes{kSize};
  for (int s = 0; s < kSenders; ++s) star.send(s, kSenders, g);
  sc_core::sc_start(to_sc(end));
  star.expect_invariants();

  // Sent = received + dropped + inside (MAC queues, links, the switch), exactly.
  uint64_t sent = 0, received = 0, inside = star.sw.frames_held(), dropped = 0;
  for (int s = 0; s < kSenders; ++s) {
    const std::string w = "w" + std::to_string(s) + ".", h = "h" + std::to_string(s) + ".mac.";
    sent += star.count(w + "tx_frames");
    received += star.count(w + "rx_frames");
    dropped += star.count(h + "tx_queue_drops");
    inside += star.hosts[static_cast<size_t>(s)].mac->tx_queued_frames() + star.hosts[static_cast<size_t>(s)].link->a_to_b.in_flight();
  }
  inside += star.hosts[kSenders].link->b_to_a.in_flight();
  const std::string port = "switch0.port" + std::to_string(kSenders);
  const uint64_t switch_drops = star.count(port + ".dropped_buffer_full");
  EXPECT_EQ(dropped, 0u);  // a line-rate source waits for its MAC: no transmit queue drops
  dropped += switch_drops;
  EXPECT_EQ(sent, received + dropped + inside);
  ::testing::Test::RecordProperty("sent", std::to_string(sent));
  ::testing::Test::RecordProperty("received", std::to_string(received));
  ::testing::Test::RecordProperty("dropped", std::to_string(dropped));
  ::testing::Test::RecordProperty("inside", std::to_string(inside));
  EXPECT_EQ(switch_drops, star.count("switch0.dropped_buffer_full"));
  EXPECT_EQ(star.count(port + ".dropped_buffer_full_bytes"), switch_drops * (kSize - wire::kFcsBytes));
  EXPECT_GT(switch_drops, sent / 2);  // 16 line-rate senders into one line: most frames cannot fit

  // The receiver's port sends back to back from the first arrival on: the first frame's last
  // bit reaches the receiver after two hops and the pipeline, then one frame per wire time.
  const int64_t first = 2 * serialisation(kSize) + 2 * propagation.ps + kLatency;
  const int64_t per_frame = at_10g(wire::wire_bytes(kSize - wire::kFcsBytes));
  EXPECT_EQ(received, static_cast<uint64_t>((end.ps - first) / per_frame + 1));
  EXPECT_EQ(star.count("h16.mac.rx_frames"), received);

  // The buffer fills up to the last whole frame that fits, never beyond.
  const double peak = star.value(port + ".peak_queue_bytes");
  ::testing::Test::RecordProperty("peak_queue_bytes", std::to_string(static_cast<int64_t>(peak)));
  EXPECT_LE(peak, kBuffer);
  EXPECT_GT(peak, kBuffer - (kSize - wire::kFcsBytes));
  EXPECT_EQ(star.count("switch0.port0.dropped_buffer_full"), 0u);
}

namespace {

// Where a corrupt frame ends: dropped by the switch, or forwarded and dropped by the MAC.
struct FcsOutcome {
  uint64_t switch_drops, forwarded, receiver_fcs_errors;
  friend bool operator==(const FcsOutcome&, const FcsOutcome&) = default;
};

// Host 0 sends one frame to host 1 over an uplink that flips a bit in every frame.
FcsOutcome corrupt_one_frame(const std::string& mode) {
  wire::SwitchParams p;
  p.ports = 2;
  p.mode = mode;
  wire::FaultParams corrupt;
  corrupt.corrupt = 1;
  Star star(p, link_10g(Time::from_ns(100)), corrupt);
  star.send(0, 1, one_frame(512));
  sc_core::sc_start();
  star.expect_invariants();
  EXPECT_EQ(star.count("link0.a_to_b.corrupted"), 1u);
  return {star.count("switch0.dropped_fcs"), star.count("switch0.port1.frames_out"), star.count("h1.mac.rx_fcs_errors")};
}

}  // namespace

TEST(SwitchFcs, StoreAndForwardDropsACorruptFrameAtIngress) {
  EXPECT_EQ(corrupt_one_frame("store_and_forward"), (FcsOutcome{1, 0, 0}));
}

TEST(SwitchFcs, CutThroughForwardsACorruptFrameAndTheReceivingMacDropsIt) {
  EXPECT_EQ(corrupt_one_frame("cut_through"), (FcsOutcome{0, 1, 1}));
}
