#include "platforms/catalog.h"

#include "apps/frame_gen.h"
#include "platforms/link_pair.h"

namespace hostwire {

std::vector<std::string> HostwireCatalog::platforms() const { return {LinkPair::kName}; }

std::string HostwireCatalog::platform_description(const std::string& platform) const {
  if (platform == LinkPair::kName) return "two endpoints (a, b) with Ethernet MACs on one full-duplex link (link0)";
  return {};
}

void HostwireCatalog::platform_params(const std::string& platform, std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName) LinkPair::params(out);
}

std::vector<std::string> HostwireCatalog::workload_types(const std::string& platform) const {
  if (platform == LinkPair::kName) return {"frame_generator"};
  return {};
}

void HostwireCatalog::workload_params(const std::string& platform, const std::string& type, const std::string& prefix,
                                      std::vector<ParamSpec>& out) const {
  if (platform == LinkPair::kName && type == "frame_generator") collect_schema<apps::FrameGenParams>(out, prefix);
}

void HostwireCatalog::cross_check(const Scenario& s, std::vector<InputError>& errors) const {
  if (s.platform == LinkPair::kName) LinkPair::cross_check(s, errors);
}

std::unique_ptr<sc_core::sc_module> HostwireCatalog::build(const Scenario& s, SimContext& ctx) const {
  if (s.platform == LinkPair::kName) return std::make_unique<LinkPair>("top", s, ctx);
  return nullptr;
}

}  // namespace hostwire
