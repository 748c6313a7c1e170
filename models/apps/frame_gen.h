// Frame workloads for link-level experiments: a generator that offers frames to a MAC
// (back-to-back at line rate, at a constant rate, or with Poisson arrivals; fixed, uniform or
// IMIX frame sizes), and a sink that counts what arrives per flow and its one-way latency.
//
// Frames are real UDP/IPv4/Ethernet frames with valid checksums (they open cleanly in
// Wireshark); the IPv4 ID counts up per flow.
//
// Frame sizes count the whole Ethernet frame including FCS (64..1518 B for a 1500 B MTU),
// the convention of RFC 2544 testers, so "64B at line rate" means 14,880,952 frames/s at 10G.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/log.h"
#include "core/params.h"
#include "core/sim.h"
#include "net/address.h"
#include "wire/mac.h"

namespace hostwire::apps {

struct FrameGenParams {
  std::string from = "a";
  std::string to = "b";
  std::string pattern = "line_rate";
  Rate rate = Rate::from_gbps(1);
  std::string sizes = "fixed";
  Bytes frame_size{64};
  Bytes frame_size_max{1518};
  Time start{};
  Time stop{};
  int64_t count = 0;

  template <class V>
  void visit(V& v) {
    v.choice(from, "from", "endpoint that sends", {"a", "b"});
    v.choice(to, "to", "endpoint that receives", {"a", "b"});
    v.choice(pattern, "pattern", "line_rate: back to back; constant: evenly spaced at `rate`; poisson: random arrivals at mean `rate`",
             {"line_rate", "constant", "poisson"});
    v(rate, "rate", "offered load in frame bits (with FCS) per second, for constant and poisson", Limits::positive());
    v.choice(sizes, "sizes", "fixed: frame_size; uniform: in [frame_size, frame_size_max]; imix: 64/594/1518 B in 7:4:1",
             {"fixed", "uniform", "imix"});
    v(frame_size, "frame_size", "frame size with FCS (smallest size for uniform)", Limits::range(64, 65535));
    v(frame_size_max, "frame_size_max", "largest frame size with FCS, for uniform", Limits::range(64, 65535));
    v(start, "start", "when the first frame is offered");
    v(stop, "stop", "when offering stops (0s: run to the end)");
    v(count, "count", "frames to send (0: unlimited)");
  }
};

// Per-flow receive statistics, owned by the sink of the receiving endpoint.
struct FlowRx {
  Counter* frames = nullptr;
  Counter* bytes = nullptr;
  Histogram* latency = nullptr;
};

class FrameSink {
 public:
  FrameSink(SimContext& ctx, const std::string& stat_name);
  void add_flow(uint32_t flow, const std::string& stat_prefix);
  void receive(const Packet& p);

 private:
  SimContext& ctx_;
  std::vector<FlowRx> flows_;
  Counter& stray_;
};

// An endpoint's addresses.
struct Station {
  net::MacAddress mac;
  net::Ipv4Address ip;
};

class FrameGenerator : public sc_core::sc_module {
 public:
  FrameGenerator(sc_core::sc_module_name name, SimContext& ctx, const FrameGenParams& params, uint32_t flow,
                 wire::Mac& mac, const Station& src, const Station& dst, const std::string& stat_prefix);

 private:
  void offer_due();  // SC_METHOD: the next frame is due
  void offer();
  void on_mac_idle();
  bool done() const;
  uint32_t next_size();
  Frame* build(uint32_t frame_with_fcs);
  Time gap_after(uint32_t frame_with_fcs);

  SimContext& ctx_;
  FrameGenParams p_;
  uint32_t flow_;
  wire::Mac& mac_;
  Station src_, dst_;
  uint16_t ip_id_ = 0;
  std::map<uint32_t, Packet> templates_;  // headers per frame size: built (and checksummed) once
  Rng rng_;
  Logger log_;
  sc_core::sc_event due_;
  uint64_t sent_ = 0;
  std::shared_ptr<const std::vector<uint8_t>> payload_;
  Counter& offered_;
  Counter& offered_bytes_;
};

}  // namespace hostwire::apps
