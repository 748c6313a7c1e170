// two_hosts: host_a and host_b, each with cores, memory, a PCIe bus and a multi-ring NIC, on one
// full-duplex link (link0). UDP stream workloads run between them through the whole path:
// send call on a core -> TX ring -> doorbell -> DMA -> MAC -> wire -> MAC -> classifier and
// RSS -> RX ring -> DMA -> moderated interrupt -> NAPI poll -> socket -> receive call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/params.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "platforms/capture.h"
#include "platforms/host.h"
#include "platforms/workloads.h"
#include "wire/link.h"

namespace hostwire {

class TwoHosts : public sc_core::sc_module {
 public:
  static constexpr const char* kName = "two_hosts";
  static void params(std::vector<ParamSpec>& out);
  static std::vector<std::string> taps(const Scenario& s);  // capture points for outputs.pcap
  static void cross_check(const Scenario& s, std::vector<InputError>& errors);

  TwoHosts(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx);

 private:
  void add_accounting(SimContext& ctx);

  Captures captures_;
  wire::Link link_;
  std::unique_ptr<Host> a_, b_;
  HostWorkloads workloads_;
};

}  // namespace hostwire
