// What every SystemC model of one simulation shares: the statistics registry, the scenario
// seed (each component derives its own random stream from it), a count of process
// activations (the simulator's own cost, reported per packet), and conservation checks
// that must hold when the run ends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/frame.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/units.h"
#include "core/trace_event.h"
#include "core/vcd.h"

namespace hostwire {

inline sc_core::sc_time to_sc(Time t) { return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(t.ps)); }
inline Time now() { return Time{static_cast<int64_t>(sc_core::sc_time_stamp().value())}; }

class SimContext {
 public:
  explicit SimContext(uint64_t seed) : seed_(seed) {}
  StatsRegistry& stats() { return stats_; }
  FramePool& frames() { return frames_; }
  Rng rng(const std::string& stream) const { return Rng(seed_, stream); }
  uint64_t seed() const { return seed_; }
  // Waveforms: models declare their signals on this writer as they are built; the run opens
  // the file (or not) afterwards, so a disabled trace costs one compare per change.
  VcdWriter& vcd() { return *vcd_; }
  // Selects signals by pattern; call before the models are built.
  void set_vcd_patterns(std::vector<std::string> patterns) { vcd_ = std::make_unique<VcdWriter>(std::move(patterns)); }

  // Per-packet timeline (Perfetto / Chrome trace events); models ask recording() first.
  TraceEventWriter& trace() { return trace_; }

  // Folder for files a model writes itself (captures); the run's --out.
  const std::string& output_dir() const { return output_dir_; }
  void set_output_dir(std::string dir) { output_dir_ = std::move(dir); }

  // Called at the top of every SC_METHOD body: the report gives activations per frame.
  void activation() { ++activations_; }
  uint64_t activations() const { return activations_; }
  // Packet ids in creation order, unique within a run, to follow a frame across stages.
  uint64_t next_packet_id() { return ++packet_ids_; }

  // A conservation law checked at the end: returns an empty string when it holds, else a
  // sentence naming the component and the numbers.
  void add_invariant(std::function<std::string()> check) { invariants_.push_back(std::move(check)); }
  std::vector<std::string> check_invariants() const;

  // Called once when simulation has ended (flush captures, fold in-flight counts).
  void on_end(std::function<void()> f) { end_hooks_.push_back(std::move(f)); }
  void run_end_hooks();

 private:
  uint64_t seed_;
  std::string output_dir_ = ".";
  std::unique_ptr<VcdWriter> vcd_ = std::make_unique<VcdWriter>();
  TraceEventWriter trace_;
  FramePool frames_;  // declared before stats so frames outlive nothing that points at them
  StatsRegistry stats_;
  uint64_t activations_ = 0;
  uint64_t packet_ids_ = 0;
  std::vector<std::function<std::string()>> invariants_;
  std::vector<std::function<void()>> end_hooks_;
};

// Samples every registered time series at a fixed simulated interval.
class Sampler : public sc_core::sc_module {
 public:
  Sampler(sc_core::sc_module_name name, SimContext& ctx, Time interval);

 private:
  void tick();
  SimContext& ctx_;
  sc_core::sc_time interval_;
  sc_core::sc_event tick_;
};

}  // namespace hostwire
