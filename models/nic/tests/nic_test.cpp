// The NIC's timed shell on a small bench: a PCIe bus with host memory, an interrupt controller
// (an MMIO target at the MSI-X address that records each message's arrival) and the NIC's
// register BAR; a peer MAC on a 10 Gbps link drives frames into the NIC's port and receives
// what it sends. The test plays the driver: it writes registers over the bus and writes and
// reads descriptors in the ring memory the NIC shares. Each TEST elaborates its own bench, so ctest runs each in its own process.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "bus/cost.h"
#include "bus/memory.h"
#include "bus/mmio.h"
#include "bus/tests/bench.h"
#include "net/byte_order.h"
#include "net/frame.h"
#include "nic/nic.h"
#include "wire/ethernet_timing.h"
#include "wire/link.h"
#include "wire/mac.h"

using namespace hostwire;

namespace {

constexpr uint64_t kMemoryBytes = 0xc000'0000;
constexpr uint64_t kBar = 0xf000'0000;
constexpr uint64_t kApic = 0xfee0'0000;  // NicMemoryMap's default msix address
constexpr int64_t kMaxFrame = 1514;      // 1500 B MTU + 14 B Ethernet header
constexpr uint16_t kFirstPort = 49152;
const net::MacAddress kPeerMac{0x02, 0, 0, 0, 9, 0};
const net::MacAddress kUnknownMac{0x02, 0, 0, 0, 7, 7};

net::MacAddress vnic_mac(int v) { return {0x02, 0, 0, 0, 1, static_cast<uint8_t>(v)}; }
std::vector<net::MacAddress> vnic_macs(int64_t n) {
  std::vector<net::MacAddress> m;
  for (int v = 0; v < n; ++v) m.push_back(vnic_mac(v));
  return m;
}

wire::LinkParams link_params() {
  wire::LinkParams l;
  l.rate = Rate::from_gbps(10);
  l.propagation = Time::from_us(1);
  return l;
}

struct Bench {
  SimContext ctx{1};
  bus::BusParams bus_params;
  bus::MemoryParams memory_params;
  bus::Bus bus;
  bus::Memory memory;
  bus::MmioTarget apic;
  nic::DescriptorRings rings;  // in host memory: the test writes and reads them as the driver does
  nic::Nic nic;
  wire::Mac peer;
  wire::Link link;
  bus::bench::Initiator driver{"driver"};  // the host's cores: register writes, scripted steps
  std::vector<std::vector<Time>> irqs;     // per vector: when each MSI-X message arrived
  std::function<void(int vector, Time arrival)> on_irq;
  std::vector<Packet> sent;  // frames the NIC put on the wire, as the peer received them
  std::vector<Time> tx_starts;  // first bit of each frame the NIC sent
  std::shared_ptr<std::vector<uint8_t>> payload = std::make_shared<std::vector<uint8_t>>(65536);
  uint64_t register_value = 0;

  explicit Bench(const nic::NicParams& p)
      : bus("bus", ctx, bus_params, "host.bus"),
        memory("memory", ctx, memory_params, "host.memory", kMemoryBytes),
        apic("apic", ctx, Time{}, "host.apic"),
        rings(p),
        nic("nic", ctx, p, "nic", kMaxFrame, vnic_macs(p.vnics), rings),
        peer("peer", ctx, wire::MacParams{}, "peer.mac", kMaxFrame),
        link("link0", ctx, link_params()) {
    for (size_t i = 0; i < payload->size(); ++i) (*payload)[i] = static_cast<uint8_t>(i * 131 + 7);
    nic.dma.bind(bus.in);
    driver.out.bind(bus.in);
    bus.out.bind(memory.in);
    bus.out.bind(nic.registers.in);
    bus.out.bind(apic.in);
    bus.map(0, kMemoryBytes, 0, "memory", bus::Side::host);
    bus.map(kBar, 0x1'0000, 1, "nic registers", bus::Side::device);
    bus.map(kApic, 0x1000, 2, "interrupt controller", bus::Side::host);
    peer.tx.bind(link.a_to_b.in);
    link.a_to_b.out.bind(nic.mac.rx);
    nic.mac.tx.bind(link.b_to_a.in);
    link.b_to_a.out.bind(peer.rx);
    irqs.resize(static_cast<size_t>(nic.rings()));
    for (int v = 0; v < nic.rings(); ++v)
      apic.on_write(4 * static_cast<uint64_t>(v), [this, v](uint64_t data, Time at) {
        EXPECT_EQ(data, static_cast<uint64_t>(v)) << "MSI-X message data is the vector";
        irqs[static_cast<size_t>(v)].push_back(at);
        if (on_irq) on_irq(v, at);
      });
    peer.on_receive = [this](Packet& p) { sent.push_back(p); };
    link.b_to_a.on_transmit = [this](const Packet&, Time start) { tx_starts.push_back(start); };
  }

  double stat(const std::string& name) { return ctx.stats().value(name); }
  double ring_stat(int r, const std::string& what) {
    return stat("nic.ring" + std::to_string(r) + "." + what);
  }

  Frame* udp_frame(uint16_t src_port, const net::MacAddress& dst, uint32_t payload_bytes) {
    Frame* f = ctx.frames().get();
    net::EthernetHeader eth{};
    eth.dst = dst;
    eth.src = kPeerMac;
    net::Ipv4Header ip{};
    ip.src = net::Ipv4Address::from_octets(10, 0, 0, 9);
    ip.dst = net::Ipv4Address::from_octets(10, 0, 0, 1);
    net::UdpHeader udp{src_port, 5001, 0, 0};
    auto r = net::build_udp_frame(f->packet, eth, ip, udp, PayloadSlice{payload, 0, payload_bytes});
    EXPECT_TRUE(r) << r.error();
    f->packet.id = ctx.next_packet_id();
    return f;
  }

  Frame* tcp_frame(uint32_t payload_bytes) {
    Frame* f = ctx.frames().get();
    net::EthernetHeader eth{};
    eth.dst = kPeerMac;
    eth.src = vnic_mac(0);
    net::Ipv4Header ip{};
    ip.df = true;
    ip.id = 100;
    ip.src = net::Ipv4Address::from_octets(10, 0, 0, 1);
    ip.dst = net::Ipv4Address::from_octets(10, 0, 0, 9);
    net::TcpHeader tcp{};
    tcp.src_port = 40000;
    tcp.dst_port = 5001;
    tcp.seq = 1000;
    tcp.ack = 1;
    tcp.flags = net::tcp_flag::ack | net::tcp_flag::psh;
    tcp.window = 65535;
    auto r = net::build_tcp_frame(f->packet, eth, ip, tcp, PayloadSlice{payload, 0, payload_bytes});
    EXPECT_TRUE(r) << r.error();
    f->packet.id = ctx.next_packet_id();
    return f;
  }

  // The driver's register write through the bus, issued now; returns when it takes effect.
  Time write_register(uint64_t offset, uint64_t value) {
    register_value = value;
    auto d = driver.write(kBar + offset, 8, reinterpret_cast<uint8_t*>(&register_value));
    EXPECT_EQ(d.status, tlm::TLM_OK_RESPONSE);
    return d.at;
  }

  std::vector<std::string> broken() { return ctx.check_invariants(); }
};

// Which ring the NIC's classifier picks for a frame (the shell must deliver it there).
int ring_of(Bench& b, const Frame* f) { return b.nic.classifier().classify(f->packet.header_bytes()).primary.ring; }

uint16_t src_port_of(const Packet& p) { return net::load_be16(p.header + 14 + 20); }

}  // namespace

// ---------------------------------------------------------------- receive: rings and drops

TEST(NicRx, FullRingKeepsSizeMinusOneAndCountsEveryDropOnThatRing) {
  nic::NicParams p;
  p.rings_per_vnic = 2;
  p.rx_ring_size = 8;
  Bench b(p);
  constexpr int kFrames = 20;
  int ring = -1;
  b.driver.at(Time{}, [&] {
    for (int i = 0; i < kFrames; ++i) {
      Frame* f = b.udp_frame(kFirstPort, vnic_mac(0), 1000);
      ring = ring_of(b, f);
      ASSERT_TRUE(b.peer.send(f));
    }
  });
  sc_core::sc_start();
  ASSERT_GE(ring, 0);
  const int other = 1 - ring;
  // No driver takes descriptors: 8 slots, one always open, so 7 frames land and 13 are dropped.
  EXPECT_EQ(b.stat("nic.rx_frames"), kFrames);
  EXPECT_EQ(b.ring_stat(ring, "rx_frames"), 7);
  EXPECT_EQ(b.ring_stat(ring, "rx_dropped_full"), 13);
  EXPECT_EQ(b.stat("nic.rx_dropped_ring_full"), 13);
  EXPECT_EQ(b.ring_stat(other, "rx_frames"), 0);
  EXPECT_EQ(b.ring_stat(other, "rx_dropped_full"), 0);
  EXPECT_EQ(b.rings.rx(ring).occupancy(), 7u);
  EXPECT_EQ(b.rings.rx(ring).visible(hostwire::now(), 100), 7u);
  EXPECT_EQ(b.rings.frames_held(), 7u);  // in ring memory, none inside the NIC
  EXPECT_EQ(b.nic.frames_held(), 0u);
  EXPECT_EQ(b.stat("host.memory.writes"), 2 * 7);  // each delivery: the frame, then its completion
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
}

TEST(NicRx, RingTakesFramesAgainOnceTheDriverFreesSlots) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  p.rx_ring_size = 4;
  Bench b(p);
  // 5 frames: 3 fit, 2 dropped; the driver takes 2 descriptors; 5 more: 2 fit, 3 dropped.
  auto burst = [&b] {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.peer.send(b.udp_frame(kFirstPort, vnic_mac(0), 200)));
  };
  b.driver.at(Time{}, burst);
  b.driver.at(Time::from_us(100), [&b] {
    for (int i = 0; i < 2; ++i) b.rings.rx(0).take().frame->gp.release();
  });
  b.driver.at(Time::from_us(200), burst);
  sc_core::sc_start();
  EXPECT_EQ(b.ring_stat(0, "rx_frames"), 5);
  EXPECT_EQ(b.ring_stat(0, "rx_dropped_full"), 5);
  EXPECT_EQ(b.stat("nic.rx_dropped_ring_full"), 5);
  EXPECT_EQ(b.rings.rx(0).occupancy(), 3u);
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
}

TEST(NicRx, RssSpreadsFlowsOverTheVnicsRingsAndKeepsEachFlowOnOneRing) {
  nic::NicParams p;
  p.rings_per_vnic = 4;
  p.rx_ring_size = 512;
  Bench b(p);
  constexpr int kFlows = 64, kRepeats = 3;
  b.driver.at(Time{}, [&b] {
    for (int rep = 0; rep < kRepeats; ++rep)
      for (int f = 0; f < kFlows; ++f)
        ASSERT_TRUE(b.peer.send(b.udp_frame(static_cast<uint16_t>(kFirstPort + f), vnic_mac(0), 100)));
  });
  sc_core::sc_start();
  std::map<uint16_t, std::set<int>> rings_of_flow;
  std::map<uint16_t, int> frames_of_flow;
  double total = 0;
  for (int r = 0; r < 4; ++r) {
    const double n = b.ring_stat(r, "rx_frames");
    total += n;
    // 64 flows over 4 rings: each ring gets a real share (Toeplitz with the Microsoft key).
    EXPECT_GE(n, 8 * kRepeats) << "ring " << r;
    EXPECT_EQ(b.rings.rx(r).visible(hostwire::now() + Time::from_us(10), 1000), static_cast<uint32_t>(n));
    while (b.rings.rx(r).occupancy() > 0) {
      nic::RxDescriptor d = b.rings.rx(r).take();
      const uint16_t port = src_port_of(d.frame->packet);
      rings_of_flow[port].insert(r);
      ++frames_of_flow[port];
      d.frame->gp.release();
    }
  }
  EXPECT_EQ(total, kFlows * kRepeats);
  ASSERT_EQ(rings_of_flow.size(), static_cast<size_t>(kFlows));
  for (const auto& [port, rings] : rings_of_flow) {
    EXPECT_EQ(rings.size(), 1u) << "flow " << port << " was spread over rings";
    EXPECT_EQ(frames_of_flow[port], kRepeats) << "flow " << port;
  }
  EXPECT_EQ(b.stat("nic.rx_dropped_ring_full"), 0);
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
}

TEST(NicRx, DestinationMacPicksTheVnicAndAnUnknownMacGoesToTheDefaultVnic) {
  nic::NicParams p;
  p.vnics = 2;
  p.rings_per_vnic = 2;  // VNIC 0: rings 0-1, VNIC 1: rings 2-3
  Bench b(p);
  constexpr int kFlows = 16;
  b.driver.at(Time{}, [&b] {
    for (int f = 0; f < kFlows; ++f) {
      ASSERT_TRUE(b.peer.send(b.udp_frame(static_cast<uint16_t>(kFirstPort + f), vnic_mac(1), 100)));
      ASSERT_TRUE(b.peer.send(b.udp_frame(static_cast<uint16_t>(kFirstPort + f), kUnknownMac, 100)));
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(b.nic.rings(), 4);
  EXPECT_EQ(b.ring_stat(0, "rx_frames") + b.ring_stat(1, "rx_frames"), kFlows);  // the default VNIC is 0
  EXPECT_EQ(b.ring_stat(2, "rx_frames") + b.ring_stat(3, "rx_frames"), kFlows);
  for (int r = 0; r < 4; ++r) EXPECT_GT(b.ring_stat(r, "rx_frames"), 0) << "ring " << r;
  for (int r = 0; r < 2; ++r)
    while (b.rings.rx(r).occupancy() > 0) {
      nic::RxDescriptor d = b.rings.rx(r).take();
      net::MacAddress dst;
      std::copy(d.frame->packet.header, d.frame->packet.header + 6, dst.begin());
      EXPECT_EQ(dst, kUnknownMac) << "ring " << r;
      d.frame->gp.release();
    }
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
}

TEST(NicRx, AReplacedClassifyStepSeesEveryFrameBeforeTheRingsAndDecidesWhereItGoes) {
  // The seam a mirror tap or the TOE's ACK steering uses: the step sees each frame first and
  // may start from the classifier's own decision.
  nic::NicParams p;
  p.rings_per_vnic = 4;
  Bench b(p);
  int seen = 0;
  b.nic.rx().set_classify_step([&](const Packet& pkt) {
    ++seen;
    nic::Decision d = b.nic.rx().classify(pkt);
    d.primary.ring = 3;  // steer everything to the last ring
    return d;
  });
  constexpr int kFlows = 16;
  b.driver.at(Time{}, [&b] {
    for (int f = 0; f < kFlows; ++f)
      ASSERT_TRUE(b.peer.send(b.udp_frame(static_cast<uint16_t>(kFirstPort + f), vnic_mac(0), 100)));
  });
  sc_core::sc_start();
  EXPECT_EQ(seen, kFlows);
  EXPECT_EQ(b.ring_stat(3, "rx_frames"), kFlows);
  EXPECT_EQ(b.rings.rx(3).occupancy(), static_cast<uint32_t>(kFlows));
  for (int r = 0; r < 3; ++r) EXPECT_EQ(b.ring_stat(r, "rx_frames"), 0) << "ring " << r;
  while (b.rings.rx(3).occupancy() > 0) b.rings.rx(3).take().frame->gp.release();
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
}

// ---------------------------------------------------------------- receive DMA timing

TEST(NicRx, DescriptorBecomesVisibleAfterTheFrameWriteAndTheCompletionWriteExactly) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  p.moderation_packets = 1;  // an interrupt per completion: its arrival is checked too
  Bench b(p);
  Time arrived{-1};
  b.nic.mac.rx_tap = [&arrived](const Packet&) { arrived = hostwire::now(); };
  const Time sent_at = Time::from_us(3);
  Frame* f = nullptr;
  b.driver.at(sent_at, [&] {
    f = b.udp_frame(kFirstPort, vnic_mac(0), 1472);  // a 1514 B frame
    ASSERT_TRUE(b.peer.send(f));
  });
  sc_core::sc_start();
  ASSERT_EQ(f->packet.frame_bytes(), 1514u);
  // Last bit at the NIC: preamble + frame + FCS at 10 Gbps (1220.8 ns), then 1 us of fibre.
  EXPECT_EQ(arrived.ps, (sent_at + Time{(8 + 1518) * 800} + Time::from_us(1)).ps);
  // Two posted writes issued together (docs/models/bus.md): the frame's 1514 B in 6 TLPs, then
  // the 16 B completion booked right behind it on the upstream link; after the link latency the
  // memory takes the frame's bytes, then the completion's, and the completion is written after
  // the memory latency:
  //   visible = arrival + occ(frame) + L + max(occ(completion), mem(frame)) + mem(completion) + mem latency
  const auto& bp = b.bus_params;
  const auto& mp = b.memory_params;
  const Time frame_link = bus::write_cost(bp, 1514).occupancy;
  const Time completion_link = bus::write_cost(bp, 16).occupancy;
  const Time frame_memory = mp.bandwidth.time_for_bytes(1514);
  const Time completion_memory = mp.bandwidth.time_for_bytes(16);
  // By hand, defaults (63.015 Gbps link, 250 ns, 204.8 Gbps memory, 80 ns): (1514 + 6 x 24) B
  // on the link = 210,490 ps; (16 + 24) B = 5,079 ps; memory 59,141 ps and 625 ps.
  EXPECT_EQ(frame_link.ps, 210'490);
  EXPECT_EQ(completion_link.ps, 5'079);
  EXPECT_EQ(frame_memory.ps, 59'141);
  EXPECT_EQ(completion_memory.ps, 625);
  const Time visible = arrived + frame_link + bp.latency + std::max(completion_link, frame_memory) +
                       completion_memory + mp.latency;
  EXPECT_EQ((visible - arrived).ps, 210'490 + 250'000 + 59'141 + 625 + 80'000);  // 600,256 ps
  // The frame itself is in memory exactly one memory access earlier (dma_write_time of an idle bus).
  EXPECT_EQ((visible - completion_memory - mp.latency).ps,
            (arrived + bus::dma_write_time(bp, mp, 1514) - mp.latency).ps);
  EXPECT_EQ(b.rings.rx(0).visible(visible - Time{1}, 8), 0u);
  EXPECT_EQ(b.rings.rx(0).visible(visible, 8), 1u);
  // The MSI-X message leaves at the completion and crosses the link as a 4 B posted write.
  ASSERT_EQ(b.irqs[0].size(), 1u);
  EXPECT_EQ(b.irqs[0][0].ps, (visible + bus::write_cost(b.bus_params, 4).occupancy + b.bus_params.latency).ps);
  nic::RxDescriptor d = b.rings.rx(0).take();
  EXPECT_EQ(d.visible_at.ps, visible.ps);
  EXPECT_EQ(d.frame->packet.id, f->packet.id);
  d.frame->gp.release();
  EXPECT_EQ(b.stat("host.bus.upstream.transfers"), 3);  // frame, completion, MSI-X
  EXPECT_EQ(b.stat("host.memory.bytes_written"), 1514 + 16);
}

TEST(NicRx, DmaKeepsUpWithMinimumSizeFramesAtLineRate) {
  // 64 B frames back to back at 10 Gbps (one every 67.2 ns) into one ring: each needs
  // (60 + 24) + (16 + 24) B = 124 B of upstream link time (about 16 ns), so the bus never
  // queues and every descriptor is visible the same time after its frame's last bit: the
  // frame's TLPs, the completion's right behind them (posted writes stay in order), the link
  // latency, then the memory moving both, the completion's last, and its latency.
  nic::NicParams p;
  p.rings_per_vnic = 1;
  p.rx_ring_size = 1024;
  p.moderation_packets = 1024;
  p.moderation_time = Time::from_ms(1);
  Bench b(p);
  std::vector<Time> arrivals;
  b.nic.mac.rx_tap = [&arrivals](const Packet&) { arrivals.push_back(hostwire::now()); };
  constexpr int kFrames = 200;
  b.driver.at(Time{}, [&b] {
    for (int i = 0; i < kFrames; ++i) ASSERT_TRUE(b.peer.send(b.udp_frame(kFirstPort, vnic_mac(0), 18)));
  });
  sc_core::sc_start();
  ASSERT_EQ(arrivals.size(), static_cast<size_t>(kFrames));
  EXPECT_EQ((arrivals[1] - arrivals[0]).ps, 84 * 800);  // line rate: 8 + 64 + 12 B
  const auto& bp = b.bus_params;
  const auto& mp = b.memory_params;
  const Time delay = bus::write_cost(bp, 60).occupancy + bp.latency +
                     std::max(bus::write_cost(bp, 16).occupancy, mp.bandwidth.time_for_bytes(60)) +
                     mp.bandwidth.time_for_bytes(16) + mp.latency;
  // The completion's 40 B on the link (5,079 ps) outlast the memory taking the frame's 60 B (2,344 ps).
  EXPECT_EQ(delay.ps, 10'665 + 250'000 + 5'079 + 625 + 80'000);
  ASSERT_EQ(b.rings.rx(0).occupancy(), static_cast<uint32_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    nic::RxDescriptor d = b.rings.rx(0).take();
    EXPECT_EQ((d.visible_at - arrivals[static_cast<size_t>(i)]).ps, delay.ps) << "frame " << i;
    d.frame->gp.release();
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_EQ(b.stat("nic.rx_dropped_ring_full"), 0);
}

// ---------------------------------------------------------------- interrupt moderation

namespace {

struct Regime {
  Time interval, time_threshold;
  int64_t packets;
  Time min_interval;
};

// Frames of one flow every `interval` into one ring; the driver takes every visible descriptor
// when an interrupt arrives and unmasks at once over the bus (a NAPI poll that costs nothing).
// Returns {interrupts raised within `duration` of the first completion, analytic count}.
std::pair<uint64_t, uint64_t> moderated(const Regime& g, Time duration) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  p.rx_ring_size = 4096;
  p.moderation_time = g.time_threshold;
  p.moderation_packets = g.packets;
  p.moderation_min_interval = g.min_interval;
  Bench b(p);
  const nic::ModerationParams m = p.moderation();
  const Time period = nic::analytic_interrupt_period(m, g.interval);
  const Time end = duration + Time{period.ps * 3};
  std::optional<Time> first_completion;
  uint64_t taken = 0;
  b.on_irq = [&](int v, Time arrival) {
    b.driver.at(arrival, [&b, &first_completion, &taken, v] {
      const uint32_t n = b.rings.rx(v).visible(hostwire::now(), std::numeric_limits<uint32_t>::max());
      for (uint32_t i = 0; i < n; ++i) {
        nic::RxDescriptor d = b.rings.rx(v).take();
        if (!first_completion) first_completion = d.visible_at;
        d.frame->gp.release();
        ++taken;
      }
      b.write_register(nic::kIrqUnmask + 8 * static_cast<uint64_t>(v), 1);
    });
  };
  for (int64_t k = 0; g.interval.ps * k < end.ps; ++k)
    b.driver.at(Time{g.interval.ps * k}, [&b] { EXPECT_TRUE(b.peer.send(b.udp_frame(kFirstPort, vnic_mac(0), 64))); });
  sc_core::sc_start(to_sc(end + Time::from_us(50)));
  EXPECT_TRUE(first_completion.has_value());
  EXPECT_GT(taken, 0u);
  EXPECT_EQ(b.stat("nic.rx_dropped_ring_full"), 0);
  EXPECT_EQ(b.stat("nic.interrupts"), static_cast<double>(b.irqs[0].size()));
  // An interrupt raised at r arrives at r + the 4 B posted write's link time + latency.
  const Time msi = bus::write_cost(b.bus_params, 4).occupancy + b.bus_params.latency;
  uint64_t within = 0;
  for (Time a : b.irqs[0])
    if (a - msi - first_completion.value_or(Time{}) < duration) ++within;
  auto broken = b.broken();
  EXPECT_TRUE(broken.empty()) << broken.front();
  return {within, nic::analytic_interrupts(m, g.interval, duration)};
}

}  // namespace

TEST(NicModeration, TimeThresholdBoundInterruptsMatchTheAnalyticCount) {
  // 3 us apart, rx-usecs 16, rx-frames 32: 6 completions per interrupt, one every 18 us.
  auto [sim, analytic] = moderated({Time::from_us(3), Time::from_us(16), 32, Time{}}, Time::from_ms(1));
  EXPECT_EQ(analytic, 55u);
  EXPECT_EQ(sim, analytic);
}

TEST(NicModeration, PacketThresholdBoundInterruptsMatchTheAnalyticCount) {
  // rx-frames 4 long before rx-usecs 100: an interrupt every 4th completion, every 12 us.
  auto [sim, analytic] = moderated({Time::from_us(3), Time::from_us(100), 4, Time{}}, Time::from_ms(1));
  EXPECT_EQ(analytic, 83u);
  EXPECT_EQ(sim, analytic);
}

TEST(NicModeration, MinimumIntervalBoundInterruptsMatchTheAnalyticCount) {
  // An interrupt per completion wanted, but ITR spaces them 10 us apart.
  auto [sim, analytic] = moderated({Time::from_us(3), Time::from_us(50), 1, Time::from_us(10)}, Time::from_ms(1));
  EXPECT_EQ(analytic, 100u);
  EXPECT_EQ(sim, analytic);
}

TEST(NicModeration, TimeThresholdStretchedByMinimumIntervalMatchesTheAnalyticCount) {
  // 2 us apart, rx-usecs 5 (3 completions), ITR 7 us: one interrupt every 7 us.
  auto [sim, analytic] = moderated({Time::from_us(2), Time::from_us(5), 8, Time::from_us(7)}, Time::from_ms(1));
  EXPECT_EQ(analytic, 143u);
  EXPECT_EQ(sim, analytic);
}

// ---------------------------------------------------------------- transmit

TEST(NicTx, PostedFramesLeaveOnlyAfterTheDoorbell) {
  nic::NicParams p;
  p.rings_per_vnic = 2;
  Bench b(p);
  std::vector<uint64_t> ids;
  Time doorbell_at{};
  b.driver.at(Time::from_us(1), [&] {
    for (uint32_t size : {64u, 500u, 1472u, 18u, 1000u}) {
      Frame* f = b.udp_frame(kFirstPort, kPeerMac, size);
      ids.push_back(f->packet.id);
      ASSERT_TRUE(b.rings.tx(1).post(nic::TxDescriptor{f, 0}));
    }
  });
  // Nothing leaves before the driver rings ring 1's doorbell at 50 us.
  b.driver.at(Time::from_us(50), [&] {
    EXPECT_TRUE(b.sent.empty());
    EXPECT_EQ(b.stat("nic.tx_descriptors"), 0);
    doorbell_at = b.write_register(nic::kTxDoorbell + 8, 5);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.sent.size(), 5u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(b.sent[i].id, ids[i]);
  EXPECT_EQ(b.sent[2].frame_bytes(), 1514u);
  EXPECT_EQ(b.stat("nic.tx_frames"), 5);
  EXPECT_EQ(b.stat("nic.ring1.tx_frames"), 5);
  EXPECT_EQ(b.stat("nic.ring0.tx_frames"), 0);
  EXPECT_EQ(b.stat("nic.tx_descriptors"), 5);
  EXPECT_EQ(b.stat("nic.tx_batches"), 1);  // fetch batch 8 covers all 5
  EXPECT_EQ(b.stat("nic.register_writes"), 1);
  EXPECT_EQ(b.rings.tx(1).completed(hostwire::now()), 5u);
  EXPECT_EQ(b.rings.tx(1).free_slots(), 511u - 5u);
  b.rings.tx(1).clean(5);
  EXPECT_EQ(b.rings.tx(1).free_slots(), 511u);
  // The doorbell crosses the link downstream as one 8 B write.
  EXPECT_EQ(doorbell_at.ps, (Time::from_us(50) + bus::write_cost(b.bus_params, 8).occupancy + b.bus_params.latency).ps);
  // The first frame starts when the descriptor read and then the frames' reads are done:
  // the batch goes to the MAC when its last read completes.
  ASSERT_EQ(b.tx_starts.size(), 5u);
  EXPECT_GT(b.tx_starts[0].ps, (doorbell_at + bus::dma_read_time(b.bus_params, b.memory_params, 5 * 16)).ps);
  EXPECT_EQ(b.ctx.frames().live(), 0u) << "every frame's reference is returned";
}

TEST(NicTx, SingleFrameLeavesAfterTheDescriptorReadAndTheFrameReadExactly) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  Bench b(p);
  Time doorbell_at{};
  b.driver.at(Time::from_us(1), [&] {
    ASSERT_TRUE(b.rings.tx(0).post(nic::TxDescriptor{b.udp_frame(kFirstPort, kPeerMac, 1472), 0}));
    doorbell_at = b.write_register(nic::kTxDoorbell, 1);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.tx_starts.size(), 1u);
  // Idle bus: one 16 B descriptor read, then one 1514 B read, then onto the idle wire.
  const Time expected = doorbell_at + bus::dma_read_time(b.bus_params, b.memory_params, 16) +
                        bus::dma_read_time(b.bus_params, b.memory_params, 1514);
  EXPECT_EQ(b.tx_starts[0].ps, expected.ps);
  // The completion write-back is a 16 B posted write issued when the batch went to the MAC.
  EXPECT_EQ(b.rings.tx(0).completed(expected + bus::dma_write_time(b.bus_params, b.memory_params, 16) - Time{1}), 0u);
  EXPECT_EQ(b.rings.tx(0).completed(expected + bus::dma_write_time(b.bus_params, b.memory_params, 16)), 1u);
}

TEST(NicTx, TsoCutsA64000ByteSuperFrameIntoMssFramesThatConcatenateToTheOriginal) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  Bench b(p);
  constexpr uint32_t kPayload = 64000;
  constexpr uint16_t kMss = 1448;
  b.driver.at(Time::from_us(1), [&] {
    Frame* f = b.tcp_frame(kPayload);
    ASSERT_EQ(f->packet.frame_bytes(), 54u + kPayload);
    ASSERT_TRUE(b.rings.tx(0).post(nic::TxDescriptor{f, kMss}));
    b.write_register(nic::kTxDoorbell, 1);
  });
  sc_core::sc_start();
  constexpr size_t kSegments = (kPayload + kMss - 1) / kMss;  // 45: 44 x 1448 + 288
  static_assert(kSegments == 45);
  ASSERT_EQ(b.sent.size(), kSegments);
  std::vector<uint8_t> joined;
  uint32_t expected_seq = 1000;
  std::set<uint64_t> ids;
  for (size_t i = 0; i < b.sent.size(); ++i) {
    const Packet& s = b.sent[i];
    ASSERT_EQ(s.header_len, 54u);
    EXPECT_EQ(s.payload.length, i + 1 < kSegments ? kMss : kPayload - 44u * kMss) << "segment " << i;
    EXPECT_EQ(net::load_be32(s.header + 14 + 20 + 4), expected_seq) << "segment " << i;
    expected_seq += s.payload.length;
    auto bytes = s.payload.bytes();
    joined.insert(joined.end(), bytes.begin(), bytes.end());
    ids.insert(s.id);
  }
  EXPECT_EQ(ids.size(), kSegments) << "each segment has its own packet id";
  ASSERT_EQ(joined.size(), kPayload);
  EXPECT_TRUE(std::equal(joined.begin(), joined.end(), b.payload->begin()));
  EXPECT_EQ(b.stat("nic.tx_tso_segments"), static_cast<double>(kSegments));
  EXPECT_EQ(b.stat("nic.tx_frames"), static_cast<double>(kSegments));
  EXPECT_EQ(b.stat("nic.tx_descriptors"), 1);
  EXPECT_EQ(b.stat("nic.tx_dropped_oversize"), 0);
  EXPECT_EQ(b.stat("peer.mac.rx_frames"), static_cast<double>(kSegments));
  EXPECT_EQ(b.rings.tx(0).completed(hostwire::now()), 1u);  // one descriptor completes
  EXPECT_EQ(b.ctx.frames().live(), 0u) << "the super-frame and every segment are returned to the pool";
}

TEST(NicTx, OversizeFrameIsDroppedAndCountedWithoutTsoOrWithoutAnMss) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  p.tso = false;
  Bench b(p);
  b.driver.at(Time::from_us(1), [&] {
    ASSERT_TRUE(b.rings.tx(0).post(nic::TxDescriptor{b.tcp_frame(64000), 1448}));  // TSO off
    ASSERT_TRUE(b.rings.tx(0).post(nic::TxDescriptor{b.udp_frame(kFirstPort, kPeerMac, 100), 0}));
    b.write_register(nic::kTxDoorbell, 2);
  });
  sc_core::sc_start();
  EXPECT_EQ(b.stat("nic.tx_dropped_oversize"), 1);
  EXPECT_EQ(b.stat("nic.tx_tso_segments"), 0);
  EXPECT_EQ(b.stat("nic.tx_frames"), 1);
  ASSERT_EQ(b.sent.size(), 1u);  // the small frame behind it still goes
  EXPECT_EQ(b.sent[0].frame_bytes(), 142u);
  EXPECT_EQ(b.rings.tx(0).completed(hostwire::now()), 2u);  // the dropped descriptor completes too
  EXPECT_EQ(b.ctx.frames().live(), 0u);
}

TEST(NicTx, OversizeFrameWithoutAnMssIsDroppedEvenWithTso) {
  nic::NicParams p;
  p.rings_per_vnic = 1;
  Bench b(p);
  b.driver.at(Time::from_us(1), [&] {
    ASSERT_TRUE(b.rings.tx(0).post(nic::TxDescriptor{b.tcp_frame(3000), 0}));
    b.write_register(nic::kTxDoorbell, 1);
  });
  sc_core::sc_start();
  EXPECT_EQ(b.stat("nic.tx_dropped_oversize"), 1);
  EXPECT_EQ(b.stat("nic.tx_frames"), 0);
  EXPECT_TRUE(b.sent.empty());
  EXPECT_EQ(b.ctx.frames().live(), 0u);
}
