// Workloads on hosts, for every platform with hosts: the parameters of each workload type and
// the code that starts its applications (models/apps) and registers its metrics. A platform
// names its hosts and resolves a workload's `from`/`to` to them: two_hosts offers host_a and
// host_b; star takes a group ("client": every host of the group) or one host ("client[3]").
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/analyzer.h"
#include "apps/http_client.h"
#include "http/daemon.h"
#include "apps/tcp_bulk.h"
#include "apps/tcp_messages.h"
#include "apps/tcp_rr.h"
#include "apps/udp_stream.h"
#include "core/params.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "net/framers/framer.h"
#include "platforms/host.h"

namespace hostwire {

// How `from` and `to` are declared: a fixed choice, or a name the platform checks.
struct FixedHostNames {
  template <class V>
  static void key(V& v, std::string& f, const char* name, const char* meaning) {
    v.choice(f, name, meaning, {"host_a", "host_b"});
  }
};
struct GroupHostNames {
  template <class V>
  static void key(V& v, std::string& f, const char* name, const char* meaning) {
    v(f, name, meaning);
  }
};

template <class H>
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
    H::key(v, from, "from", "host that sends (a group: every host of it)");
    H::key(v, to, "to", "host that receives");
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

template <class H>
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
    H::key(v, from, "from", "host that sends (a group: every host of it)");
    H::key(v, to, "to", "host that receives");
    v(bytes, "bytes", "bytes to send, then close (0B: send until the end of the run)");
    v(write_size, "write_size", "bytes per send call", Limits::range(1, 1 << 20));
    v(read_size, "read_size", "bytes per receive call", Limits::range(1, 1 << 20));
    v(core, "core", "core of the sending thread (and of its conn), core index", Limits::range(0, 1023));
    v(start, "start", "when the sender connects");
  }
};

template <class H>
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
    H::key(v, from, "from", "host of the client (a group: a client on every host of it)");
    H::key(v, to, "to", "host of the server");
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

// A web service (mechanism G): an HTTP daemon on `to`, served through the host's in-kernel
// HTTP module (path kernel) or on plain sockets (daemon_only), and an HTTP client on every host
// of `from` fetching objects of a Zipf(alpha) popularity.
template <class H>
struct WebParams {
  std::string from = "host_a";
  std::string to = "host_b";
  std::string path = "kernel";
  int64_t port = 80;
  int64_t objects = 1000;
  std::string sizes = "fixed";
  Bytes object_size{4096};
  double size_sigma = 1.0;
  Bytes max_object{1 << 20};
  double alpha = 0.8;
  bool keep_alive = true;
  int64_t concurrency = 1;
  int64_t pipeline = 1;
  double rate = 0;
  int64_t core = 0;
  Time start{};
  Time stop{};
  int64_t bad_every = 0;
  std::string bad = "malformed";
  int64_t daemon_cores = 1;
  Cycles daemon_request{9000};
  Cycles daemon_file_open{4500};
  double advise_fraction = 0;
  std::string advisory_reply = "none";
  double nocache_fraction = 0;

  template <class V>
  void visit(V& v) {
    H::key(v, from, "from", "host of the HTTP client (a group: a client on every host of it)");
    H::key(v, to, "to", "host of the HTTP daemon");
    v.choice(path, "path", "kernel: the host's in-kernel HTTP module serves the conns, cache hits without the "
             "daemon, misses passed up over the kernel-daemon channel; daemon_only: the same daemon on plain sockets",
             {"kernel", "daemon_only"});
    v(port, "port", "the server's TCP port", Limits::range(1, 65535));
    v(objects, "objects", "objects the server holds (URIs /obj/0 ..), objects", Limits::range(1, 10'000'000));
    v.choice(sizes, "sizes", "object sizes: fixed (object_size), lognormal (mean object_size, size_sigma)",
             {"fixed", "lognormal"});
    v(object_size, "object_size", "object body size (fixed) or mean (lognormal)", Limits::range(1, 1 << 30));
    v(size_sigma, "size_sigma", "lognormal: standard deviation of the sizes' natural log", Limits::range(0.01, 4));
    v(max_object, "max_object", "largest object (lognormal sizes are clamped to it)", Limits::range(1, 1 << 30));
    v(alpha, "alpha", "Zipf exponent of the objects' popularity (0: uniform; object 0 the most popular)",
      Limits::range(0, 4));
    v(keep_alive, "keep_alive", "requests share keep-alive conns; false: one conn per request (Connection: close)");
    v(concurrency, "concurrency", "closed loop: requests outstanding per client; open loop: keep-alive conns per "
      "client, requests", Limits::range(1, 1 << 16));
    v(pipeline, "pipeline", "keep-alive: requests outstanding on one conn (pipelining), requests", Limits::range(1, 1024));
    v(rate, "rate", "requests per second per client with Poisson arrivals (0: closed loop)", Limits::non_negative());
    v(core, "core", "core of the client's thread, core index", Limits::range(0, 1023));
    v(start, "start", "when the clients start");
    v(stop, "stop", "when the clients stop issuing requests (0s: never)");
    v(bad_every, "bad_every", "every Nth request is a bad one sent alone on a conn (0: none), requests",
      Limits::range(0, 1 << 30));
    v.choice(bad, "bad", "the bad request: malformed (a request-line of four tokens: 400) or long_header (a "
             "header section past the server's limit: 431)", {"malformed", "long_header"});
    v(daemon_cores, "daemon_cores", "daemon worker threads, one on each of the server's cores 0 .., threads",
      Limits::range(1, 1024));
    v(daemon_request, "daemon_request", "the daemon's user-space work per request (routing, access log, the "
      "response head), cycles");
    v(daemon_file_open, "daemon_file_open", "the daemon's open, fstat and close of a page-cached file, cycles "
      "(its read is a copy per byte on top)");
    v(advise_fraction, "advise_fraction", "path kernel: responses of the most popular objects (this fraction) carry "
      "ADVISE: each later hit asks the daemon first", Limits::probability());
    v.choice(advisory_reply, "advisory_reply", "path kernel: the daemon's answer to an advisory upcall: none (use "
             "the cached response), replace, flush or temp (each with fresh data)", {"none", "replace", "flush", "temp"});
    v(nocache_fraction, "nocache_fraction", "path kernel: responses of the least popular objects (this fraction) "
      "are marked nocache", Limits::probability());
  }
};

// A packet analyzer (apps/analyzer.h) reading one VNIC of `to` through a packet socket: the
// second destination a debug VNIC delivers to (mechanism B).
template <class H>
struct AnalyzerParams {
  std::string to = "host_b";
  int64_t vnic = 1;
  int64_t core = 0;
  Cycles cost{2000};
  bool pcap = true;

  template <class V>
  void visit(V& v) {
    H::key(v, to, "to", "host whose VNIC the analyzer reads");
    v(vnic, "vnic", "the VNIC (netdev) it reads, index", Limits::range(0, 63));
    v(core, "core", "core of the analyzer's thread, core index", Limits::range(0, 1023));
    v(cost, "cost", "the analyzer's own work per frame (dissect, filter, write), cycles");
    v(pcap, "pcap", "write every frame it reads to <output dir>/<workload>.pcap, with the NIC's timestamps");
  }
};

template <class H>
struct TcpMessagesParams {
  std::string from = "host_a";
  std::string to = "host_b";
  // The producer.
  std::string framing = "length_prefix";
  std::string delimiter = "\n";
  bool http_chunked = false;
  Bytes http_chunk_size{4096};
  std::string size_dist = "fixed";
  Bytes message_size{1024};
  double size_sigma = 1.0;
  Bytes size_small{64};
  Bytes size_large{65536};
  double large_fraction = 0.1;
  Bytes max_size{static_cast<int64_t>(net::framers::FramerSpec{}.max_message)};
  double rate = 0;
  bool nodelay = false;
  int64_t core = 0;
  Time start{};
  Time stop{};
  std::string hostile = "none";
  int64_t hostile_after = 10;
  // The consumer.
  std::string mode = "stream";
  Bytes read_size{65536};
  int64_t batch = 1;
  std::string on_bad = "error";
  Time assembly_timeout{};
  std::string on_timeout = "error";
  Bytes cond_min_bytes{0};
  int64_t cond_messages = 0;
  std::string cond_delimiter;
  Time cond_timeout{};

  template <class V>
  void visit(V& v) {
    H::key(v, from, "from", "host of the sender (a group: a sender on every host of it)");
    H::key(v, to, "to", "host of the receiver");
    v.choice(framing, "framing",
             "how messages are framed: length_prefix (4-byte big-endian length of the whole message, 8-byte arose "
             "time, 8-byte index, pattern), delimiter (text lines '<index> <arose> <body>' ending in `delimiter`), "
             "http (HTTP/1.1 POST requests, the whole request the size), tls (TLS 1.2 application_data records)",
             {"length_prefix", "delimiter", "http", "tls"});
    v(delimiter, "delimiter", "framing delimiter: the bytes that end a line, 1-16, no digit or space");
    v(http_chunked, "http_chunked", "framing http: a chunked body (Transfer-Encoding) instead of Content-Length");
    v(http_chunk_size, "http_chunk_size", "framing http with http_chunked: body bytes per chunk, at most",
      Limits::range(1, 1 << 24));
    v.choice(size_dist, "size_dist",
             "message sizes: fixed (message_size), exponential or lognormal (mean message_size), bimodal (size_small "
             "or size_large); each clamped to [the framing's header, max_size]",
             {"fixed", "exponential", "lognormal", "bimodal"});
    v(message_size, "message_size", "message size, framing header included (fixed), or the mean (exponential, lognormal)",
      Limits::range(12, 1 << 24));
    v(size_sigma, "size_sigma", "size_dist lognormal: standard deviation of the sizes' natural log", Limits::range(0.01, 4));
    v(size_small, "size_small", "size_dist bimodal: the small size", Limits::range(12, 1 << 24));
    v(size_large, "size_large", "size_dist bimodal: the large size", Limits::range(12, 1 << 24));
    v(large_fraction, "large_fraction", "size_dist bimodal: fraction of messages of size_large", Limits::probability());
    v(max_size, "max_size",
      "the largest message: sizes are clamped to it, and it is the receiver's framer maximum (tls: at most 16389B)",
      Limits::range(12, 1 << 24));
    v(rate, "rate", "messages per second with Poisson arrivals, per sender (0: back to back)", Limits::non_negative());
    v(nodelay, "nodelay",
      "the sender sets TCP_NODELAY: each message leaves as it is written instead of waiting for the ACK of a "
      "runt (Nagle)");
    v(core, "core", "core of the sending thread and its conn, core index", Limits::range(0, 1023));
    v(start, "start", "when the sender connects");
    v(stop, "stop", "when messages stop arising (0s: never)");
    v.choice(hostile, "hostile",
             "after hostile_after good messages the producer writes a stream no framer ends well, until the "
             "consumer resets the conn or `stop`: none, huge_length (a header announcing 2 GiB, or a TLS record of "
             "0xffff; framing length_prefix or tls), endless (a line or an HTTP header line that never ends; framing "
             "delimiter or http), garbage (random bytes)",
             {"none", "huge_length", "endless", "garbage"});
    v(hostile_after, "hostile_after", "hostile: good messages written before the hostile stream, messages",
      Limits::range(0, 1 << 30));
    v.choice(mode, "mode",
             "how the receiver reads: stream (read_size per call, framing in user space), message (the kernel "
             "frames: one message per call, or `batch`), condition (a delivery condition, cond_*, decides when it "
             "wakes; reads and framing as stream)",
             {"stream", "message", "condition"});
    v(read_size, "read_size", "bytes per receive call (mode message: the buffer, at least max_size)",
      Limits::range(1, 1 << 20));
    v(batch, "batch", "mode message: messages per receive call (recvmmsg-like; 1: one recv per message), messages",
      Limits::range(1, 1024));
    v.choice(on_bad, "on_bad",
             "mode message: a message over the maximum or malformed input fails the next call (error: EMSGSIZE or "
             "EPROTO, the conn reset) or turns the conn into a plain stream (stream)",
             {"error", "stream"});
    v(assembly_timeout, "assembly_timeout", "mode message: the longest a message may take to assemble (0s: no limit)");
    v.choice(on_timeout, "on_timeout",
             "mode message: a message not assembled in assembly_timeout fails the next call (error: ETIMEDOUT) or is "
             "handed up in part (deliver)",
             {"error", "deliver"});
    v(cond_min_bytes, "cond_min_bytes", "mode condition: wake the reader at this many bytes buffered (0B: not a part)",
      Limits::range(0, 1 << 30));
    v(cond_messages, "cond_messages",
      "mode condition: wake the reader at this many complete messages buffered (0: not a part), messages",
      Limits::range(0, 1 << 20));
    v(cond_delimiter, "cond_delimiter", "mode condition: wake the reader when these 1-16 bytes arrive (empty: not a part)");
    v(cond_timeout, "cond_timeout", "mode condition: wake the reader this long after the first byte buffered (0s: not a part)");
  }
};

// The hosts a name stands for: one for a host, every host of a group; empty when unknown.
using HostResolver = std::function<std::vector<Host*>(const std::string& name)>;
// Checks a name: empty when it names hosts; else why not (with a suggestion).
using HostNameCheck = std::function<std::string(const std::string& name)>;

// The cores of the named host (or of each host of the group), and the key that sets them.
using HostCores = std::function<std::pair<int64_t, std::string>(const std::string& name)>;

// Checks that span keys, for every host workload of the scenario. `vnics`: the VNICs of the
// named host and the key that sets them (the same shape as `cores`).
template <class H>
void check_host_workloads(const Scenario& s, const HostNameCheck& names,
                          const HostCores& cores, const HostCores& vnics, int64_t mtu, const std::string& link,
                          std::vector<InputError>& errors);

class HostWorkloads {
 public:
  HostWorkloads(SimContext& ctx, HostResolver resolve) : ctx_(ctx), resolve_(std::move(resolve)) {}
  template <class H>
  void build(const Scenario& s);

  // Datagrams the UDP senders handed to their drivers, and the receivers read (conservation).
  int64_t udp_sent() const;
  int64_t udp_read() const;
  // Per host: busy cycles per application byte written and read.
  void add_host_metrics(Host& h);

 private:
  template <class H>
  void add_udp_stream(const Scenario& s, uint32_t wi);
  template <class H>
  void add_tcp_bulk(const Scenario& s, uint32_t wi);
  template <class H>
  void add_tcp_rr(const Scenario& s, uint32_t wi);
  template <class H>
  void add_tcp_messages(const Scenario& s, uint32_t wi);
  template <class H>
  void add_analyzer(const Scenario& s, uint32_t wi);
  template <class H>
  void add_web(const Scenario& s, uint32_t wi);
  Host& one(const std::string& name);

  SimContext& ctx_;
  HostResolver resolve_;
  std::shared_ptr<const std::vector<uint8_t>> payload_;
  std::vector<apps::UdpFlowStats> udp_rx_;
  std::vector<Host*> udp_receivers_hosts_;
  std::vector<Counter*> udp_sent_;
  std::vector<std::unique_ptr<apps::UdpStreamSender>> udp_senders_;
  std::vector<std::unique_ptr<apps::UdpReceiver>> udp_receivers_;
  std::vector<std::unique_ptr<apps::TcpBulkSender>> bulk_senders_;
  std::vector<std::unique_ptr<apps::TcpSink>> sinks_;
  std::vector<std::unique_ptr<apps::TcpRrClient>> rr_clients_;
  std::vector<std::unique_ptr<apps::TcpRrServer>> rr_servers_;
  std::vector<std::unique_ptr<apps::TcpMessageSender>> message_senders_;
  std::vector<std::unique_ptr<apps::TcpMessageReceiver>> message_receivers_;
  std::vector<std::unique_ptr<apps::Analyzer>> analyzers_;
  std::vector<std::unique_ptr<http::HttpDaemon>> daemons_;
  std::vector<std::unique_ptr<apps::HttpClient>> http_clients_;
};

// The frame conservation check of a platform with hosts: every frame sent was read, dropped
// for a named reason (on a link, in a NIC or MAC, a switch, a host's stack), or is still
// inside; wire duplicates, mirrors, floods and TSO segments are extra copies.
void add_frame_accounting(SimContext& ctx, const std::string& platform, std::vector<Host*> hosts,
                          std::vector<std::string> channels, std::vector<std::string> switches,
                          const HostWorkloads& workloads);

}  // namespace hostwire
