#include "platforms/link_pair.h"

#include <stdexcept>
#include <tuple>

#include "wire/ethernet_timing.h"
#include "wire/link_faults.h"

namespace hostwire {

namespace {
constexpr const char* kDirections[] = {"link0.a_to_b.", "link0.b_to_a."};

wire::LinkParams link_params(const Scenario& s) { return bind_params<wire::LinkParams>(s.values, "link0."); }

// The fault parameters of one direction; false (with the offending key) when they are invalid.
bool channel_faults(const Scenario& s, const std::string& prefix, wire::FaultParams& out, std::string& key,
                    std::string& problem) {
  auto keys = bind_params<wire::ChannelFaultKeys>(s.values, prefix);
  if (keys.to_fault_params(out, key, problem)) return true;
  key = prefix + key;
  return false;
}

wire::FaultParams valid_faults(const Scenario& s, const std::string& prefix) {
  wire::FaultParams f;
  std::string key, problem;
  if (!channel_faults(s, prefix, f, key, problem)) throw std::invalid_argument(key + ": " + problem);
  return f;
}
}  // namespace

void LinkPair::params(std::vector<ParamSpec>& out) {
  collect_schema<wire::LinkParams>(out, "link0.");
  for (const char* d : kDirections) collect_schema<wire::ChannelFaultKeys>(out, d);
  for (const auto& e : endpoints()) collect_schema<wire::MacParams>(out, e + ".mac.");
}

std::vector<std::string> LinkPair::taps() {
  auto t = Captures::link_taps("link0");
  for (const auto& e : endpoints()) t.push_back(e + ".mac.rx");
  return t;
}

void LinkPair::cross_check(const Scenario& s, std::vector<InputError>& errors) {
  const auto link = link_params(s);
  Captures::check(s, taps(), errors);
  for (const char* d : kDirections) {
    wire::FaultParams f;
    std::string key, problem;
    if (!channel_faults(s, d, f, key, problem)) errors.push_back({s.at(key).origin, key, problem});
  }
  // Largest frame with FCS an untagged Ethernet link carries: header + MTU + FCS.
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes + wire::kFcsBytes;
  for (const auto& w : s.workloads) {
    auto p = bind_params<apps::FrameGenParams>(s.values, w.prefix());
    auto fail = [&](const std::string& key, const std::string& problem) {
      errors.push_back({s.at(w.prefix() + key).origin, w.prefix() + key, problem});
    };
    if (p.from == p.to) fail("to", "a frame workload needs two different endpoints (from is '" + p.from + "')");
    auto too_big = [&](const char* key, int64_t size) {
      if (size > max_frame)
        fail(key, to_string(Bytes{size}) + " exceeds the largest frame link0 carries (" + to_string(Bytes{max_frame}) +
                      " = 14B header + " + to_string(link.mtu) + " MTU + 4B FCS)");
    };
    too_big("frame_size", p.frame_size.n);
    if (p.sizes == "uniform") {
      too_big("frame_size_max", p.frame_size_max.n);
      if (p.frame_size_max.n < p.frame_size.n) fail("frame_size_max", "is smaller than frame_size");
    }
    if (p.sizes == "imix") too_big("sizes", 1518);
    if (p.stop.ps > 0 && p.stop <= p.start) fail("stop", "is not after start");
  }
}

LinkPair::LinkPair(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx)
    : sc_module(name),
      captures_(ctx),
      link_("link0", ctx, link_params(s), valid_faults(s, kDirections[0]), valid_faults(s, kDirections[1])) {
  const auto link = link_params(s);
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes;
  auto make_endpoint = [&](Endpoint& e, const char* id, uint8_t index) {
    auto mp = bind_params<wire::MacParams>(s.values, std::string(id) + ".mac.");
    e.mac = std::make_unique<wire::Mac>((std::string(id) + "_mac").c_str(), ctx, mp, std::string(id) + ".mac", max_frame);
    e.sink = std::make_unique<apps::FrameSink>(ctx, std::string(id));
    e.station.mac = {0x02, 0, 0, 0, 0, index};  // locally administered unicast
    e.station.ip = net::Ipv4Address::from_octets(10, 0, 0, index);
    apps::FrameSink* sink = e.sink.get();
    e.mac->on_receive = [sink](Packet& p) { sink->receive(p); };
  };
  make_endpoint(a_, "a", 1);
  make_endpoint(b_, "b", 2);
  a_.mac->tx.bind(link_.a_to_b.in);
  link_.a_to_b.out.bind(b_.mac->rx);
  b_.mac->tx.bind(link_.b_to_a.in);
  link_.b_to_a.out.bind(a_.mac->rx);

  add_end_to_end_accounting(s, ctx);
  for (const auto& tap : Captures::requested(s)) {
    auto hook = captures_.open(tap);
    Captures::attach_link(tap, "link0", link_, hook) || Captures::attach_mac_rx(tap, "a", *a_.mac, hook) ||
        Captures::attach_mac_rx(tap, "b", *b_.mac, hook);
  }

  uint32_t flow = 0;
  for (const auto& w : s.workloads) {
    auto p = bind_params<apps::FrameGenParams>(s.values, w.prefix());
    Endpoint& from = p.from == "a" ? a_ : b_;
    Endpoint& to = p.to == "a" ? a_ : b_;
    to.sink->add_flow(flow, w.prefix());
    generators_.push_back(std::make_unique<apps::FrameGenerator>(("gen_" + w.name).c_str(), ctx, p, flow, *from.mac,
                                                                 from.station, to.station, w.prefix()));
    ++flow;
  }
}

void LinkPair::add_end_to_end_accounting(const Scenario& s, SimContext& ctx) {
  // Per direction, every frame a workload offered is received, dropped for a named reason,
  // or still inside (queue, wire); duplicates are the wire's extra copies.
  for (auto [from, to, dir] : {std::tuple{"a", "b", "link0.a_to_b"}, std::tuple{"b", "a", "link0.b_to_a"}}) {
    std::vector<std::string> sent_keys, received_keys;
    for (const auto& w : s.workloads) {
      if (s.at(w.prefix() + "from").text != from) continue;
      sent_keys.push_back(w.prefix() + "tx_frames");
      received_keys.push_back(w.prefix() + "rx_frames");
    }
    Mac* tx = from == std::string("a") ? a_.mac.get() : b_.mac.get();
    const wire::LinkChannel& ch = from == std::string("a") ? link_.a_to_b : link_.b_to_a;
    std::string tx_name = std::string(from) + ".mac", rx_name = std::string(to) + ".mac", d = dir;
    ctx.add_invariant([&ctx, tx, &ch, sent_keys, received_keys, tx_name, rx_name, d] {
      const StatsRegistry& st = ctx.stats();
      auto sum = [&](const std::vector<std::string>& keys) {
        double v = 0;
        for (const auto& k : keys) v += st.value(k);
        return static_cast<int64_t>(v);
      };
      auto v = [&](const std::string& k) { return static_cast<int64_t>(st.value(k)); };
      const int64_t sent = sum(sent_keys), received = sum(received_keys);
      const int64_t queued = static_cast<int64_t>(tx->tx_queued_frames()), in_flight = static_cast<int64_t>(ch.in_flight());
      const int64_t dropped_queue = v(tx_name + ".tx_queue_drops"), lost = v(d + ".dropped_loss") + v(d + ".dropped_burst") +
                                                                          v(d + ".dropped_link_down");
      const int64_t bad = v(rx_name + ".rx_fcs_errors") + v(rx_name + ".rx_oversize"), dup = v(d + ".duplicated");
      if (sent + dup == received + queued + in_flight + dropped_queue + lost + bad) return std::string();
      return fmt::format(
          "{}: sent {} + duplicated {} != received {} + queued {} + on the wire {} + dropped (tx queue {}, lost {}, "
          "fcs/oversize {})",
          d, sent, dup, received, queued, in_flight, dropped_queue, lost, bad);
    });
  }
}

}  // namespace hostwire
