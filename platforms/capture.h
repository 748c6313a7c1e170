// pcap captures at a platform's tap points (a link direction as frames leave the sender, a
// MAC's receive side as good frames arrive). Each tap writes DIR/<tap>.pcap with simulated
// timestamps; its frame and byte counts are reported as capture.<tap>.frames / .bytes so a
// reader (tshark) can be checked against them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/scenario.h"
#include "core/sim.h"
#include "net/pcap.h"

namespace hostwire {

class Captures {
 public:
  using Hook = std::function<void(Time, const Packet&)>;

  // Tap names a scenario may list in outputs.pcap.
  static std::vector<std::string> requested(const Scenario& s);
  // Appends an error for each requested tap that is not in `available`.
  static void check(const Scenario& s, const std::vector<std::string>& available, std::vector<InputError>& errors);

  explicit Captures(SimContext& ctx) : ctx_(ctx) {}
  // Opens DIR/<tap>.pcap; the returned hook writes one frame. Throws on I/O failure.
  Hook open(const std::string& tap);

 private:
  SimContext& ctx_;
  std::vector<std::unique_ptr<net::PcapWriter>> writers_;
};

}  // namespace hostwire
