#include "cpu/cpu.h"

#include <fmt/format.h>

namespace hostwire::cpu {

Cpu::Cpu(sc_core::sc_module_name name, SimContext& ctx, const CpuParams& params, const std::string& stat_name)
    : sc_module(name), params_(params) {
  std::string base = stat_name;
  if (!base.empty() && base.back() == '.') base.pop_back();
  cores_.reserve(static_cast<size_t>(params.cores));
  for (int i = 0; i < params.cores; ++i) {
    const std::string core_name = fmt::format("core{}", i);
    cores_.push_back(std::make_unique<Core>(core_name.c_str(), ctx, params, i, base + "." + core_name));
  }
  auto& st = ctx.stats();
  const double n = static_cast<double>(cores_.size());
  st.formula(base + ".utilisation", "1", "busy time of all cores over cores x simulated time", [this, n] {
    const int64_t t = hostwire::now().ps;
    return t > 0 ? static_cast<double>(busy_time().ps) / (n * static_cast<double>(t)) : 0.0;
  });
  // Mean over the cores of the fraction of the last sampling interval each was busy.
  st.series(base + ".utilisation", "1", [this, n, last_busy = int64_t{0}, last_t = int64_t{0}]() mutable {
    const int64_t t = hostwire::now().ps, busy = busy_time().ps;
    const double u = t > last_t ? static_cast<double>(busy - last_busy) / (n * static_cast<double>(t - last_t)) : 0.0;
    last_busy = busy, last_t = t;
    return u;
  });
}

Time Cpu::busy_time() const {
  Time sum{};
  for (const auto& c : cores_) sum = sum + c->busy_time();
  return sum;
}

uint64_t Cpu::cycles() const {
  uint64_t n = 0;
  for (const auto& c : cores_) n += c->cycles();
  return n;
}

uint64_t Cpu::context_switches() const {
  uint64_t n = 0;
  for (const auto& c : cores_) n += c->context_switches();
  return n;
}

}  // namespace hostwire::cpu
