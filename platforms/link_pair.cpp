#include "platforms/link_pair.h"

#include "wire/ethernet_timing.h"

namespace hostwire {

namespace {
wire::LinkParams link_params(const Scenario& s) { return bind_params<wire::LinkParams>(s.values, "link0."); }
}  // namespace

void LinkPair::params(std::vector<ParamSpec>& out) {
  collect_schema<wire::LinkParams>(out, "link0.");
  for (const auto& e : endpoints()) collect_schema<wire::MacParams>(out, e + ".mac.");
}

void LinkPair::cross_check(const Scenario& s, std::vector<InputError>& errors) {
  const auto link = link_params(s);
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
    : sc_module(name), link_("link0", ctx, link_params(s)) {
  const auto link = link_params(s);
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes;
  auto make_endpoint = [&](Endpoint& e, const char* id, uint8_t index) {
    auto mp = bind_params<wire::MacParams>(s.values, std::string(id) + ".mac.");
    e.mac = std::make_unique<wire::Mac>((std::string(id) + "_mac").c_str(), ctx, mp, std::string(id) + ".mac", max_frame);
    e.sink = std::make_unique<apps::FrameSink>(ctx, std::string(id));
    e.address = {0x02, 0, 0, 0, 0, index};  // locally administered unicast
    apps::FrameSink* sink = e.sink.get();
    e.mac->on_receive = [sink](Packet& p) { sink->receive(p); };
  };
  make_endpoint(a_, "a", 1);
  make_endpoint(b_, "b", 2);
  a_.mac->tx.bind(link_.a_to_b.in);
  link_.a_to_b.out.bind(b_.mac->rx);
  b_.mac->tx.bind(link_.b_to_a.in);
  link_.b_to_a.out.bind(a_.mac->rx);

  uint32_t flow = 0;
  for (const auto& w : s.workloads) {
    auto p = bind_params<apps::FrameGenParams>(s.values, w.prefix());
    Endpoint& from = p.from == "a" ? a_ : b_;
    Endpoint& to = p.to == "a" ? a_ : b_;
    to.sink->add_flow(flow, w.prefix());
    generators_.push_back(std::make_unique<apps::FrameGenerator>(("gen_" + w.name).c_str(), ctx, p, flow, *from.mac,
                                                                 from.address, to.address, w.prefix()));
    ++flow;
  }
}

}  // namespace hostwire
