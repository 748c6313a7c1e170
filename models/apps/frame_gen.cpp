#include "apps/frame_gen.h"

#include <cstring>

#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/frame.h"
#include "wire/ethernet_timing.h"

namespace hostwire::apps {

namespace {
constexpr uint16_t kFirstSourcePort = 49152;  // the dynamic port range (RFC 6335)
constexpr uint16_t kDiscardPort = 9;          // RFC 863: what a sink does with the frames
}  // namespace

FrameSink::FrameSink(SimContext& ctx, const std::string& stat_name)
    : ctx_(ctx), stray_(ctx.stats().counter(stat_name + ".stray_frames", "frames", "frames of no known flow")) {}

void FrameSink::add_flow(uint32_t flow, const std::string& prefix) {
  if (flows_.size() <= flow) flows_.resize(flow + 1);
  auto& st = ctx_.stats();
  FlowRx& f = flows_[flow];
  f.frames = &st.counter(prefix + "rx_frames", "frames", "frames of this flow received");
  f.bytes = &st.counter(prefix + "rx_bytes", "B", "frame bytes (with FCS) of this flow received");
  f.latency = &st.histogram(prefix + "latency", "ps", "one-way latency: offered to the MAC until the last bit arrived");
  const Counter* bytes = f.bytes;
  const Counter* frames = f.frames;
  st.formula(prefix + "rx_throughput", "bit/s", "frame bits (with FCS) received per second",
             [bytes] { return static_cast<double>(bytes->value()) * 8 / hostwire::now().seconds(); });
  st.formula(prefix + "rx_frame_rate", "frames/s", "frames received per second",
             [frames] { return static_cast<double>(frames->value()) / hostwire::now().seconds(); });
  st.series(prefix + "rx_throughput", "bit/s", [bytes, last = uint64_t{0}, last_t = int64_t{0}]() mutable {
    int64_t t = hostwire::now().ps;
    double r = t > last_t ? static_cast<double>(bytes->value() - last) * 8e12 / static_cast<double>(t - last_t) : 0;
    last = bytes->value(), last_t = t;
    return r;
  });
}

void FrameSink::receive(const Packet& p) {
  if (p.flow >= flows_.size() || !flows_[p.flow].frames) {
    stray_.add();
    return;
  }
  FlowRx& f = flows_[p.flow];
  f.frames->add();
  f.bytes->add(static_cast<uint64_t>(wire::frame_with_fcs(p.frame_bytes())));
  f.latency->record((hostwire::now() - p.created).ps);
}

FrameGenerator::FrameGenerator(sc_core::sc_module_name name, SimContext& ctx, const FrameGenParams& params,
                               uint32_t flow, wire::Mac& mac, const Station& src, const Station& dst,
                               const std::string& stat_prefix)
    : sc_module(name),
      ctx_(ctx),
      p_(params),
      flow_(flow),
      mac_(mac),
      src_(src),
      dst_(dst),
      rng_(ctx.rng(stat_prefix)),
      log_(stat_prefix.substr(0, stat_prefix.size() - 1)),
      offered_(ctx.stats().counter(stat_prefix + "tx_frames", "frames", "frames offered to the MAC")),
      offered_bytes_(ctx.stats().counter(stat_prefix + "tx_bytes", "B", "frame bytes (with FCS) offered to the MAC")) {
  // One shared payload buffer: every frame is a slice of it, no per-frame payload copies.
  auto buf = std::make_shared<std::vector<uint8_t>>(65536);
  for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<uint8_t>(i * 131 + 7);
  payload_ = std::move(buf);

  SC_HAS_PROCESS(FrameGenerator);
  SC_METHOD(offer_due);
  sensitive << due_;
  dont_initialize();
  due_.notify(to_sc(p_.start));
  if (p_.pattern == "line_rate") mac_.on_tx_idle.push_back([this] { on_mac_idle(); });
}

bool FrameGenerator::done() const {
  if (p_.count > 0 && sent_ >= static_cast<uint64_t>(p_.count)) return true;
  return p_.stop.ps > 0 && hostwire::now() >= p_.stop;
}

uint32_t FrameGenerator::next_size() {
  if (p_.sizes == "uniform")
    return static_cast<uint32_t>(rng_.uniform_int(static_cast<uint64_t>(p_.frame_size.n), static_cast<uint64_t>(p_.frame_size_max.n)));
  if (p_.sizes == "imix") {
    // Simple IMIX (7:4:1 of 64, 594, 1518 B), as used by network test equipment.
    uint64_t k = rng_.uniform_int(0, 11);
    return k < 7 ? 64 : k < 11 ? 594 : 1518;
  }
  return static_cast<uint32_t>(p_.frame_size.n);
}

Frame* FrameGenerator::build(uint32_t with_fcs) {
  const uint32_t payload = with_fcs - wire::kFcsBytes - wire::kEthernetHeaderBytes - net::kIpv4MinHeaderBytes -
                           net::kUdpHeaderBytes;
  auto it = templates_.find(with_fcs);
  if (it == templates_.end()) {
    Packet t;
    net::EthernetHeader eth{};
    eth.dst = dst_.mac;
    eth.src = src_.mac;
    net::Ipv4Header ip{};
    ip.df = true;
    ip.src = src_.ip;
    ip.dst = dst_.ip;
    net::UdpHeader udp{static_cast<uint16_t>(kFirstSourcePort + flow_), kDiscardPort, 0, 0};
    auto layout = net::build_udp_frame(t, eth, ip, udp, PayloadSlice{payload_, 0, payload});
    if (!layout) SC_REPORT_FATAL(name(), ("cannot build a UDP frame: " + layout.error()).c_str());
    it = templates_.emplace(with_fcs, t).first;
  }
  Frame* f = ctx_.frames().get();
  Packet& p = f->packet;
  p = it->second;
  // A new IPv4 ID per datagram; only the IPv4 header checksum depends on it (UDP's does not).
  auto ip = p.header_bytes_mut().subspan(wire::kEthernetHeaderBytes, net::kIpv4MinHeaderBytes);
  net::store_be16(ip.data() + 4, ip_id_++);
  net::store_be16(ip.data() + 10, net::ipv4_header_checksum(ip));
  p.id = ctx_.next_packet_id();
  p.flow = flow_;
  p.created = hostwire::now();
  ctx_.trace().admit(p.id, p.flow);
  return f;
}

Time FrameGenerator::gap_after(uint32_t with_fcs) {
  Time mean = p_.rate.time_for_bits(static_cast<int64_t>(with_fcs) * 8);
  if (p_.pattern == "poisson") return Time{static_cast<int64_t>(rng_.exponential(static_cast<double>(mean.ps)))};
  return mean;
}

void FrameGenerator::offer_due() {
  ctx_.activation();
  offer();
}

void FrameGenerator::offer() {
  if (done()) return;
  uint32_t size = next_size();
  offered_.add();
  offered_bytes_.add(size);
  ++sent_;
  mac_.send(build(size));
  // line_rate waits for the MAC to go idle; the other patterns schedule their next arrival.
  if (p_.pattern != "line_rate") due_.notify(to_sc(gap_after(size)));
}

void FrameGenerator::on_mac_idle() {
  if (hostwire::now() < p_.start || done()) return;
  offer();
}

}  // namespace hostwire::apps
