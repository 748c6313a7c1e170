// A registry and report.json shaped like a real `hostwire run` (two flows over a link pair,
// plus per-core utilisation, ring occupancy and cwnd series), shared by the report tests.
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/stats.h"

namespace hostwire::testing {

struct SampleRun {
  StatsRegistry stats;
  nlohmann::ordered_json report;
};

inline std::unique_ptr<SampleRun> make_sample_run(const std::string& description) {
  auto run = std::make_unique<SampleRun>();
  StatsRegistry& s = run->stats;
  // Deterministic pseudo-random numbers (xorshift), so the page is the same on every run.
  auto state = std::make_shared<uint64_t>(0x9e3779b97f4a7c15ull);
  auto rnd = [state] {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return static_cast<double>(*state >> 11) / 9007199254740992.0;  // [0, 1)
  };
  auto t = std::make_shared<int>(0);

  s.counter("workloads.blast.rx_frames", "frames", "frames of this flow received").add(148802);
  s.counter("workloads.reply.rx_frames", "frames", "frames of this flow received").add(6843);
  s.formula("workloads.blast.rx_throughput", "bit/s", "frame bits (with FCS) received per second",
            [] { return 7618662400.0; });
  s.formula("workloads.reply.rx_throughput", "bit/s", "frame bits (with FCS) received per second",
            [] { return 1948470400.0; });
  s.formula("workloads.blast.rx_frame_rate", "frames/s", "frames received per second", [] { return 14880200.0; });
  s.formula("workloads.reply.rx_frame_rate", "frames/s", "frames received per second", [] { return 684300.0; });
  s.gauge("link0.a_to_b.utilisation", "1", "fraction of simulated time the line was busy").set(1.0);
  auto& blast = s.histogram("workloads.blast.latency", "ps", "one-way latency <offered → last bit>");
  auto& reply = s.histogram("workloads.reply.latency", "ps", "one-way latency <offered → last bit>");
  for (int i = 0; i < 20000; ++i) blast.record(557600 + static_cast<int64_t>(rnd() * rnd() * 60000));
  for (int i = 0; i < 6843; ++i) reply.record(557600 + static_cast<int64_t>(-std::log(1 - rnd()) * 300000));

  s.series("link0.a_to_b.throughput", "bit/s", [t] { return 7.1424e9 - (*t < 3 ? 2e8 * (3 - *t) : 0); });
  s.series("link0.b_to_a.throughput", "bit/s", [rnd] { return 1.9e9 + 4e8 * (rnd() - 0.5); });
  s.series("workloads.blast.rx_throughput", "bit/s", [t] { return 7.61856e9 - (*t < 3 ? 2e8 * (3 - *t) : 0); });
  s.series("workloads.reply.rx_throughput", "bit/s", [rnd] { return 1.95e9 + 4e8 * (rnd() - 0.5); });
  s.series("host.cpu0.utilisation", "1", [t] { return 0.55 + 0.3 * std::sin(*t / 9.0); });
  s.series("host.cpu1.utilisation", "1", [t] { return 0.35 + 0.2 * std::cos(*t / 13.0); });
  s.series("nic.rx_ring0.occupancy", "descriptors", [t] { return static_cast<double>((*t * 37) % 512); });
  s.series("tcp.flow0.cwnd", "B", [t] { return 14480.0 * (1 + (*t % 40)); });
  for (int i = 1; i <= 100; ++i) {
    *t = i;
    s.sample(Time::from_us(100 * i));
  }

  auto& r = run->report;
  r["hostwire"] = {{"version", "0.1.0"}};
  r["scenario"] = {{"file", "scenarios/<quickstart>.yaml"},
                   {"description", description},
                   {"platform", "link_pair"},
                   {"seed", 1},
                   {"duration", "10ms"},
                   {"workloads", {{{"name", "blast"}, {"type", "frame_generator"}},
                                  {{"name", "reply"}, {"type", "frame_generator"}}}},
                   {"parameters", {{"link0.rate", "10Gbps"},
                                   {"workloads.blast.pattern", "line_rate"},
                                   {"evil\"><img src=x onerror=alert(2)>", "</table><script>alert(3)</script>"}}},
                   {"sweep", nlohmann::ordered_json::object()}};
  r["seed"] = 1;
  r["simulated_time"] = {{"value", 10000000000}, {"unit", "ps"}, {"text", "10ms"}};
  r["kernel"] = {{"delta_cycles", 318235}, {"process_activations", 318141}, {"packets_created", 155653}};
  r["invariants"] = {{"violations", nlohmann::ordered_json::array()}};
  r["metrics"] = s.metrics_json();
  r["wall"] = {{"started_utc", "2026-01-01T00:00:00Z"}, {"seconds", 0.04}};
  return run;
}

}  // namespace hostwire::testing
