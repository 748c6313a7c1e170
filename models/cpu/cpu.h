// The host's cores: `cores` identical Cores at one clock, sharing one cost table. Which core runs
// what is the caller's choice (RSS picks the RX ring and so the interrupt's core; the kernel
// picks the core of a connection or a send partition).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/sim.h"
#include "cpu/core.h"
#include "cpu/params.h"

namespace hostwire::cpu {

class Cpu : public sc_core::sc_module {
 public:
  // `stat_name`, e.g. "host_b.cpu": core i reports as "<stat_name>.core<i>".
  Cpu(sc_core::sc_module_name name, SimContext& ctx, const CpuParams& params, const std::string& stat_name);

  Core& core(int i) { return *cores_.at(static_cast<size_t>(i)); }
  const Core& core(int i) const { return *cores_.at(static_cast<size_t>(i)); }
  int cores() const { return static_cast<int>(cores_.size()); }
  const CostTable& costs() const { return params_.costs; }
  const CpuParams& params() const { return params_; }
  Time busy_time() const;  // summed over the cores
  uint64_t cycles() const;  // charged, summed over the cores
  uint64_t context_switches() const;

 private:
  CpuParams params_;
  std::vector<std::unique_ptr<Core>> cores_;
};

}  // namespace hostwire::cpu
