// Simulator speed: simulated frames per wall-second, wall-seconds per simulated second and
// process activations per frame.
//  - link_pair (two MACs on a 10 Gbps link), back-to-back 64 B frames (the most events per
//    simulated second a link can produce) and 1518 B frames;
//  - two_hosts at 10 Gbps with 1518 B frames through the full path (send call on a core, TX
//    ring, doorbell, DMA, MAC, wire, classifier and RSS, RX ring, DMA, moderated interrupt,
//    NAPI poll, socket, receive call), with plain send/recv and with sendmmsg/recvmmsg.
//
//   build/bench/quickstart_bench [--benchmark_repetitions=3] [--benchmark_filter=TwoHosts]
//
// Each benchmark case elaborates its own platform; SystemC allows one elaboration per
// process, so each case runs in a fresh child process (fork) and reports back over a pipe.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/scenario.h"
#include "platforms/catalog.h"

#include <fmt/format.h>

using namespace hostwire;

namespace {

struct Measured {
  double wall_s;
  double frames;
  double activations;
};

Measured run_in_child(const std::string& yaml, const std::string& frames_metric,
                      const std::vector<std::string>& overrides = {}) {
  int fds[2];
  if (pipe(fds) != 0) return {0, 0, 0};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    HostwireCatalog catalog;
    LoadOptions options;
    options.overrides = overrides;
    auto r = load_scenario_text(yaml, "bench.yaml", catalog, options);
    Measured m{0, 0, 0};
    if (r.scenario) {
      SimContext ctx(r.scenario->seed());
      auto top = catalog.build(*r.scenario, ctx);
      auto t0 = std::chrono::steady_clock::now();
      sc_core::sc_start(to_sc(r.scenario->duration()));
      m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      m.frames = ctx.stats().value(frames_metric);
      if (!ctx.check_invariants().empty()) m.frames = 0;
      m.activations = static_cast<double>(ctx.activations());
    }
    if (write(fds[1], &m, sizeof m) != sizeof m) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Measured m{0, 0, 0};
  if (read(fds[0], &m, sizeof m) != sizeof m) m = {0, 0, 0};
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return m;
}

// Runs `yaml` (simulating `simulated_s`) once per iteration and reports `unit`s (the metric
// `metric` counts) per wall-second, wall-seconds per simulated second and activations per unit.
void measure(benchmark::State& state, const std::string& yaml, const char* metric, double simulated_s,
             const char* unit, const std::vector<std::string>& overrides = {}) {
  Measured total{0, 0, 0};
  for (auto _ : state) {
    Measured m = run_in_child(yaml, metric, overrides);
    if (m.frames == 0) state.SkipWithError("simulation failed");
    state.SetIterationTime(m.wall_s);
    total.wall_s += m.wall_s, total.frames += m.frames, total.activations += m.activations;
  }
  state.counters[std::string(unit) + "s_per_wall_s"] = total.frames / total.wall_s;
  state.counters["wall_s_per_sim_s"] = total.wall_s / (simulated_s * static_cast<double>(state.iterations()));
  state.counters[std::string("activations_per_") + unit] = total.activations / total.frames;
}

void BM_LineRate(benchmark::State& state, const char* frame_size) {
  const std::string yaml = std::string("platform: link_pair\nduration: 100ms\n") +
                           "workloads:\n  - {name: w, type: frame_generator, pattern: line_rate, frame_size: " +
                           frame_size + "}\n";
  measure(state, yaml, "link0.a_to_b.frames_delivered", 0.1, "frame");
}

// Datagrams read by host_b's receiver threads, 1472 B payloads (1518 B frames) at line rate.
void BM_TwoHosts(benchmark::State& state, int send_batch, int recv_batch) {
  const std::string yaml = fmt::format(
      "platform: two_hosts\nduration: 200ms\n"
      "parameters: {{link0: {{rate: 10Gbps}}, host_b: {{udp: {{recv_batch: {}}}}}}}\n"
      "workloads:\n  - {{name: w, type: udp_stream, from: host_a, to: host_b, flows: 64, threads: 2, "
      "payload: 1472B, batch: {}}}\n",
      recv_batch, send_batch);
  measure(state, yaml, "workloads.w.rx_datagrams", 0.2, "packet");
}

// One bulk TCP flow at 10 Gbps (1448 B segments) through the kernel model: software
// segmentation (nic.tso false) or TSO (64 KiB super-frames). Packets are data segments on the wire.
void BM_BulkTcp(benchmark::State& state, const char* tso) {
  const std::string yaml = fmt::format(
      "platform: two_hosts\nduration: 200ms\n"
      "parameters: {{link0: {{rate: 10Gbps, propagation: 1us}}, host_a: {{nic: {{tso: {}}}}}}}\n"
      "workloads:\n  - {{name: w, type: tcp_bulk, from: host_a, to: host_b}}\n",
      tso);
  measure(state, yaml, "host_b.tcp.segments_in", 0.2, "packet");
}

// The parallel-send experiment as scenarios/parallel_send.yaml has it (one conn at 40 Gbps, its
// chunks prepared by 4 PEs, 20 ms) in `order`; packets are data segments host_b received.
void BM_ParallelSend(benchmark::State& state, const char* order) {
  std::ifstream file(HOSTWIRE_SOURCE_DIR "/scenarios/parallel_send.yaml");
  const std::string yaml((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  measure(state, yaml, "host_b.tcp.segments_in", 0.02, "packet", {std::string("host_a.tcp.parallel.order=") + order});
}

}  // namespace

BENCHMARK_CAPTURE(BM_ParallelSend, free, "free")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_ParallelSend, doorbell, "doorbell")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_BulkTcp, software_segmentation, "false")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_BulkTcp, tso, "true")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_TwoHosts, send_recv, 1, 1)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_TwoHosts, sendmmsg_recvmmsg, 16, 64)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_LineRate, 64B, "64B")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_LineRate, 1518B, "1518B")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::printf("rerun with: build/bench/quickstart_bench\n");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
