#include "platforms/catalog.h"

#include "apps/frame_gen.h"
#include "platforms/capture.h"
#include "platforms/link_pair.h"
#include "platforms/star.h"
#include "platforms/two_hosts.h"

namespace hostwire {

std::vector<std::string> HostwireCatalog::platforms() const { return {LinkPair::kName, TwoHosts::kName, Star::kName}; }

std::string HostwireCatalog::platform_description(const std::string& platform) const {
  if (platform == LinkPair::kName) return "two endpoints (a, b) with Ethernet MACs on one full-duplex link (link0)";
  if (platform == TwoHosts::kName)
    return "two hosts (host_a, host_b), each with cores, memory, a PCIe bus and a multi-ring NIC, on one link (link0)";
  if (platform == Star::kName)
    return "groups of hosts (hosts: [{name, count, cores, rings}]), each on its own link (link_<host>) to one "
           "Ethernet switch (switch0)";
  return {};
}

std::string HostwireCatalog::platform_taps(const std::string& platform) const {
  if (platform == LinkPair::kName) return "(<link> = link0) " + Captures::kinds_text(false, false);
  if (platform == TwoHosts::kName) return "(<link> = link0, <host> = host_a or host_b) " + Captures::kinds_text(true, false);
  if (platform == Star::kName) return "(<link> = link_<host>, <host> = a host's name) " + Captures::kinds_text(true, true);
  return {};
}

void HostwireCatalog::platform_params(const std::string& platform, std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName) LinkPair::params(out);
  if (platform == TwoHosts::kName) TwoHosts::params(out);
  if (platform == Star::kName) Star::params(out);
}

std::vector<std::string> HostwireCatalog::workload_types(const std::string& platform) const {
  if (platform == LinkPair::kName) return {"frame_generator"};
  if (platform == TwoHosts::kName || platform == Star::kName) return {"udp_stream", "tcp_bulk", "tcp_rr", "tcp_messages", "analyzer", "web"};
  return {};
}

void HostwireCatalog::workload_params(const std::string& platform, const std::string& type, const std::string& prefix,
                                      std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName && type == "frame_generator") collect_schema<apps::FrameGenParams>(out, prefix);
  if (platform == TwoHosts::kName && type == "udp_stream") collect_schema<UdpStreamParams<FixedHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "tcp_bulk") collect_schema<TcpBulkParams<FixedHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "tcp_rr") collect_schema<TcpRrParams<FixedHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "tcp_messages") collect_schema<TcpMessagesParams<FixedHostNames>>(out, prefix);
  if (platform == Star::kName && type == "tcp_messages") collect_schema<TcpMessagesParams<GroupHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "analyzer") collect_schema<AnalyzerParams<FixedHostNames>>(out, prefix);
  if (platform == Star::kName && type == "analyzer") collect_schema<AnalyzerParams<GroupHostNames>>(out, prefix);
  if (platform == Star::kName && type == "udp_stream") collect_schema<UdpStreamParams<GroupHostNames>>(out, prefix);
  if (platform == Star::kName && type == "tcp_bulk") collect_schema<TcpBulkParams<GroupHostNames>>(out, prefix);
  if (platform == Star::kName && type == "tcp_rr") collect_schema<TcpRrParams<GroupHostNames>>(out, prefix);
  if (platform == TwoHosts::kName && type == "web") collect_schema<WebParams<FixedHostNames>>(out, prefix);
  if (platform == Star::kName && type == "web") collect_schema<WebParams<GroupHostNames>>(out, prefix);
}

void HostwireCatalog::cross_check(const Scenario& s, std::vector<InputError>& errors) const {
  if (s.platform == LinkPair::kName) LinkPair::cross_check(s, errors);
  if (s.platform == TwoHosts::kName) TwoHosts::cross_check(s, errors);
  if (s.platform == Star::kName) Star::cross_check(s, errors);
}

std::unique_ptr<sc_core::sc_module> HostwireCatalog::build(const Scenario& s, SimContext& ctx) const {
  if (s.platform == LinkPair::kName) return std::make_unique<LinkPair>("top", s, ctx);
  if (s.platform == TwoHosts::kName) return std::make_unique<TwoHosts>("top", s, ctx);
  if (s.platform == Star::kName) return std::make_unique<Star>("top", s, ctx);
  return nullptr;
}

}  // namespace hostwire
