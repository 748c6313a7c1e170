// The platforms hostwire can assemble, their parameters and the workloads they accept.
// The scenario loader asks this catalog what is valid; the run command asks it to build.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/scenario.h"
#include "core/sim.h"

namespace hostwire {

class HostwireCatalog : public Catalog {
 public:
  std::vector<std::string> platforms() const override;
  void platform_params(const std::string& platform, std::vector<ParamSpec>& out) const override;
  std::vector<std::string> workload_types(const std::string& platform) const override;
  void workload_params(const std::string& platform, const std::string& type, const std::string& prefix,
                       std::vector<ParamSpec>& out) const override;
  void cross_check(const Scenario& s, std::vector<InputError>& errors) const override;

  std::string platform_description(const std::string& platform) const;
  // The platform's capture tap points, by kind (what outputs.pcap may list there).
  std::string platform_taps(const std::string& platform) const;
  // Elaborates the platform's modules for a validated scenario.
  std::unique_ptr<sc_core::sc_module> build(const Scenario& s, SimContext& ctx) const;
};

}  // namespace hostwire
