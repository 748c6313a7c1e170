// two_hosts: host_a and host_b, each with cores, memory, a PCIe bus and a multi-ring NIC, on one
// full-duplex link (link0). UDP stream workloads run between them through the whole path:
// send call on a core -> TX ring -> doorbell -> DMA -> MAC -> wire -> MAC -> classifier and
// RSS -> RX ring -> DMA -> moderated interrupt -> NAPI poll -> socket -> receive call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/params.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "platforms/capture.h"
#include "apps/tcp_bulk.h"
#include "apps/tcp_rr.h"
#include "apps/udp_stream.h"
#include "platforms/host.h"
#include "wire/link.h"

namespace hostwire {

struct UdpStreamParams {
  std::string from = "host_a";
  std::string to = "host_b";
  int64_t flows = 1;
  Bytes payload{1472};  // a 1518 B frame on a 1500 B MTU
  std::string pattern = "line_rate";
  Rate rate = Rate::from_gbps(1);
  int64_t threads = 1;
  int64_t batch = 1;
  Time start{};
  Time stop{};
  int64_t count = 0;

  template <class V>
  void visit(V& v) {
    v.choice(from, "from", "host that sends", {"host_a", "host_b"});
    v.choice(to, "to", "host that receives", {"host_a", "host_b"});
    v(flows, "flows", "UDP flows (distinct source ports), spread by RSS on the receiver, flows", Limits::range(1, 65536));
    v(payload, "payload", "UDP payload per datagram", Limits::range(1, 65507));
    v.choice(pattern, "pattern",
             "line_rate: each thread sends as fast as its core and the TX ring allow; constant: evenly spaced "
             "send calls at `rate`; poisson: random send calls at mean `rate`",
             {"line_rate", "constant", "poisson"});
    v(rate, "rate", "offered load in frame bits (with FCS) per second over all threads, for constant and poisson",
      Limits::positive());
    v(threads, "threads", "sender threads, pinned to cores 0, 1, ... of the sending host, threads", Limits::range(1, 1024));
    v(batch, "batch", "datagrams per send call (sendmmsg), datagrams", Limits::range(1, 1024));
    v(start, "start", "when the threads start sending");
    v(stop, "stop", "when sending stops (0s: run to the end)");
    v(count, "count", "datagrams to send over all threads (0: unlimited), datagrams");
  }
};

struct TcpBulkParams {
  std::string from = "host_a";
  std::string to = "host_b";
  Bytes bytes{0};
  Bytes write_size{65536};
  Bytes read_size{65536};
  int64_t core = 0;
  Time start{};

  template <class V>
  void visit(V& v) {
    v.choice(from, "from", "host that sends", {"host_a", "host_b"});
    v.choice(to, "to", "host that receives", {"host_a", "host_b"});
    v(bytes, "bytes", "bytes to send, then close (0B: send until the end of the run)");
    v(write_size, "write_size", "bytes per send call", Limits::range(1, 1 << 20));
    v(read_size, "read_size", "bytes per receive call", Limits::range(1, 1 << 20));
    v(core, "core", "core of the sending thread (and of its conn), core index", Limits::range(0, 1023));
    v(start, "start", "when the sender connects");
  }
};

struct TcpRrParams {
  std::string from = "host_a";  // the client
  std::string to = "host_b";    // the server
  double rate = 0;              // requests/s
  int64_t concurrency = 1;
  Bytes request_size{64};
  std::string responses = "fixed";
  Bytes response_size{1024};
  Bytes response_size_max{65536};
  bool echo = false;
  int64_t core = 0;
  Time start{};
  Time stop{};

  template <class V>
  void visit(V& v) {
    v.choice(from, "from", "host of the client", {"host_a", "host_b"});
    v.choice(to, "to", "host of the server", {"host_a", "host_b"});
    v(rate, "rate", "requests per second with Poisson arrivals (0: closed loop, `concurrency` outstanding)",
      Limits::non_negative());
    v(concurrency, "concurrency", "requests kept outstanding in the closed loop, requests", Limits::range(1, 1 << 20));
    v(request_size, "request_size", "request size, 4-byte length header included", Limits::range(4, 1 << 24));
    v.choice(responses, "responses", "response sizes: fixed, exponential (mean response_size), uniform in "
             "[response_size, response_size_max]", {"fixed", "exponential", "uniform"});
    v(response_size, "response_size", "response size (fixed), mean (exponential) or minimum (uniform), header included",
      Limits::range(4, 1 << 24));
    v(response_size_max, "response_size_max", "largest response for uniform", Limits::range(4, 1 << 24));
    v(echo, "echo", "the server echoes each request (responses the size of the request)");
    v(core, "core", "core of the client thread and its conn, core index", Limits::range(0, 1023));
    v(start, "start", "when the client connects");
    v(stop, "stop", "when the client stops issuing requests (0s: never)");
  }
};

class TwoHosts : public sc_core::sc_module {
 public:
  static constexpr const char* kName = "two_hosts";
  static void params(std::vector<ParamSpec>& out);
  static std::vector<std::string> taps();
  static void cross_check(const Scenario& s, std::vector<InputError>& errors);

  TwoHosts(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx);

 private:
  void add_workloads(const Scenario& s, SimContext& ctx);
  void add_accounting(SimContext& ctx);
  void add_tcp_bulk(const Scenario& s, SimContext& ctx, uint32_t workload);
  void add_tcp_rr(const Scenario& s, SimContext& ctx, uint32_t workload);
  void add_host_metrics(SimContext& ctx, Host& h);

  Captures captures_;
  wire::Link link_;
  std::unique_ptr<Host> a_, b_;
  std::vector<Counter*> sent_;
  std::vector<Counter*> received_;
  std::shared_ptr<const std::vector<uint8_t>> payload_;
  std::vector<std::unique_ptr<apps::UdpStreamSender>> udp_senders_;
  std::vector<std::unique_ptr<apps::UdpReceiver>> udp_receivers_;
  std::vector<std::unique_ptr<apps::TcpBulkSender>> bulk_senders_;
  std::vector<std::unique_ptr<apps::TcpSink>> sinks_;
  std::vector<std::unique_ptr<apps::TcpRrClient>> rr_clients_;
  std::vector<std::unique_ptr<apps::TcpRrServer>> rr_servers_;
};

}  // namespace hostwire
