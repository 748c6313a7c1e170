// Parameters of the output-queued Ethernet switch (wire/switch/switch.h).
#pragma once

#include <cstdint>
#include <string>

#include "core/params.h"
#include "core/units.h"

namespace hostwire::wire {

struct SwitchParams {
  int64_t ports = 8;
  Bytes egress_buffer{512 * 1024};
  std::string mode = "store_and_forward";
  Time forwarding_latency = Time::from_ns(500);
  bool learning = false;
  Bytes cut_through_bytes{64};

  bool cut_through() const { return mode == "cut_through"; }

  template <class V>
  void visit(V& v) {
    v(ports, "ports", "number of ports", Limits::range(1, 1024));
    v(egress_buffer, "egress_buffer",
      "frame bytes each egress queue holds (its own, not shared); a frame that does not fit is dropped",
      Limits::at_least(64));
    v.choice(mode, "mode",
             "store_and_forward: a frame is looked up once its last bit has arrived; cut_through: once its first "
             "cut_through_bytes have",
             {"store_and_forward", "cut_through"});
    v(forwarding_latency, "forwarding_latency", "fixed lookup pipeline latency from ingress to the egress queue");
    v(learning, "learning", "learn the port of each source MAC (no aging); off: static entries only, the rest floods");
    v(cut_through_bytes, "cut_through_bytes", "frame bytes (from the destination MAC) that must arrive before a "
      "cut-through lookup starts", Limits::range(14, 1518));
  }
};

}  // namespace hostwire::wire
