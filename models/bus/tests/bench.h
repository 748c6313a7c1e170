// Test bench pieces: an initiator that runs scripted steps at given simulated times (from an
// SC_METHOD, as the models that use the bus do) and issues transfers through its socket.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "bus/params.h"
#include "bus/payload.h"
#include "core/sim.h"

namespace hostwire::bus::bench {

// Round figures so expected times are easy to check by hand: the link moves 8 B per ns
// (125 ps per byte), the memory 16 B per ns (62.5 ps per byte).
inline BusParams round_bus() {
  BusParams p;
  p.latency = Time::from_ns(250);
  p.bandwidth = Rate::from_gbps(64);
  p.max_payload = Bytes{256};
  p.max_read_request = Bytes{512};
  p.tlp_overhead = Bytes{24};
  return p;
}
inline MemoryParams round_memory() {
  MemoryParams m;
  m.latency = Time::from_ns(80);
  m.bandwidth = Rate::from_gbps(128);
  return m;
}

struct Done {
  tlm::tlm_response_status status;
  Time at;  // completion: sc_time_stamp() + the returned delay
};

class Initiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> out;

  explicit Initiator(sc_core::sc_module_name name) : sc_module(name), out("out") {
    SC_HAS_PROCESS(Initiator);
    SC_METHOD(run);
    sensitive << wake_;
    dont_initialize();
  }

  // Runs `f` when simulated time reaches `t` (steps at one time run in the order given).
  void at(Time t, std::function<void()> f) {
    steps_.emplace(t.ps, std::move(f));
    wake_.notify(to_sc(Time{steps_.begin()->first} - hostwire::now()));
  }

  // Issues a transfer now (from a step), `delay` after sc_time_stamp().
  Done transfer(tlm::tlm_command cmd, uint64_t address, unsigned int bytes, uint8_t* data = nullptr,
                Time delay = Time{}) {
    bus::prepare(gp_, cmd, address, data, bytes);
    sc_core::sc_time d = to_sc(delay);
    out->b_transport(gp_, d);
    EXPECT_EQ(gp_.get_address(), address) << "the bus must give the initiator its address back";
    return {gp_.get_response_status(), hostwire::now() + Time{static_cast<int64_t>(d.value())}};
  }
  Done write(uint64_t a, unsigned int n, uint8_t* d = nullptr, Time delay = Time{}) {
    return transfer(tlm::TLM_WRITE_COMMAND, a, n, d, delay);
  }
  Done read(uint64_t a, unsigned int n, uint8_t* d = nullptr, Time delay = Time{}) {
    return transfer(tlm::TLM_READ_COMMAND, a, n, d, delay);
  }

 private:
  void run() {
    const int64_t t = hostwire::now().ps;
    while (!steps_.empty() && steps_.begin()->first <= t) {
      auto f = std::move(steps_.begin()->second);
      steps_.erase(steps_.begin());
      f();
    }
    if (!steps_.empty()) wake_.notify(to_sc(Time{steps_.begin()->first - t}));
  }

  std::multimap<int64_t, std::function<void()>> steps_;
  sc_core::sc_event wake_;
  tlm::tlm_generic_payload gp_;  // one payload, reused: no allocation per transfer
};

}  // namespace hostwire::bus::bench
