// link_pair: two endpoints, a and b, each an Ethernet MAC, on one full-duplex link (link0).
// Frame workloads run between them. The smallest platform: it measures the wire alone.
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "apps/frame_gen.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "platforms/capture.h"
#include "wire/link.h"
#include "wire/mac.h"

namespace hostwire {

class LinkPair : public sc_core::sc_module {
 public:
  static constexpr const char* kName = "link_pair";
  static void params(std::vector<ParamSpec>& out);
  static std::vector<std::string> endpoints() { return {"a", "b"}; }
  static std::vector<std::string> taps();  // capture points for outputs.pcap
  static void cross_check(const Scenario& s, std::vector<InputError>& errors);

  LinkPair(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx);

 private:
  struct Endpoint {
    std::unique_ptr<wire::Mac> mac;
    std::unique_ptr<apps::FrameSink> sink;
    apps::Station station;
  };
  using Mac = wire::Mac;
  void add_end_to_end_accounting(const Scenario& s, SimContext& ctx);

  Captures captures_;
  wire::Link link_;
  Endpoint a_, b_;
  std::vector<std::unique_ptr<apps::FrameGenerator>> generators_;
};

}  // namespace hostwire
