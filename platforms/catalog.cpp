#include "platforms/catalog.h"

#include "apps/frame_gen.h"
#include "platforms/link_pair.h"
#include "platforms/two_hosts.h"

namespace hostwire {

std::vector<std::string> HostwireCatalog::platforms() const { return {LinkPair::kName, TwoHosts::kName}; }

std::string HostwireCatalog::platform_description(const std::string& platform) const {
  if (platform == LinkPair::kName) return "two endpoints (a, b) with Ethernet MACs on one full-duplex link (link0)";
  if (platform == TwoHosts::kName)
    return "two hosts (host_a, host_b), each with cores, memory, a PCIe bus and a multi-ring NIC, on one link (link0)";
  return {};
}

void HostwireCatalog::platform_params(const std::string& platform, std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName) LinkPair::params(out);
  if (platform == TwoHosts::kName) TwoHosts::params(out);
}

std::vector<std::string> HostwireCatalog::workload_types(const std::string& platform) const {
  if (platform == LinkPair::kName) return {"frame_generator"};
  if (platform == TwoHosts::kName) return {"udp_stream", "tcp_bulk", "tcp_rr"};
  return {};
}

void HostwireCatalog::workload_params(const std::string& platform, const std::string& type, const std::string& prefix,
                                      std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName && type == "frame_generator") collect_schema<apps::FrameGenParams>(out, prefix);
  if (platform == TwoHosts::kName && type == "udp_stream") collect_schema<UdpStreamParams<FixedHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "tcp_bulk") collect_schema<TcpBulkParams<FixedHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "tcp_rr") collect_schema<TcpRrParams<FixedHostNames>>(out, prefix);
}

void HostwireCatalog::cross_check(const Scenario& s, std::vector<InputError>& errors) const {
  if (s.platform == LinkPair::kName) LinkPair::cross_check(s, errors);
  if (s.platform == TwoHosts::kName) TwoHosts::cross_check(s, errors);
}

std::unique_ptr<sc_core::sc_module> HostwireCatalog::build(const Scenario& s, SimContext& ctx) const {
  if (s.platform == LinkPair::kName) return std::make_unique<LinkPair>("top", s, ctx);
  if (s.platform == TwoHosts::kName) return std::make_unique<TwoHosts>("top", s, ctx);
  return nullptr;
}

}  // namespace hostwire
