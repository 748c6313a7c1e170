#include "platforms/workloads.h"

#include <filesystem>
#include <type_traits>

#include <stdexcept>

#include <fmt/format.h>

#include "wire/ethernet_timing.h"

namespace hostwire {

namespace {
constexpr uint16_t kFirstSourcePort = 49152;  // the dynamic port range (RFC 6335)
constexpr uint16_t kSinkPort = 5001;          // iperf's
constexpr uint16_t kFirstTcpPort = 5201;      // iperf3's, one per workload

// UDP payload -> Ethernet frame with FCS: 8 B UDP + 20 B IPv4 + 14 B Ethernet + 4 B FCS.
constexpr int64_t kUdpFrameOverhead = 8 + 20 + wire::kEthernetHeaderBytes + wire::kFcsBytes;

// A per-interval rate of a counter, in bits per second.
void goodput_series(StatsRegistry& st, const std::string& name, const Counter* bytes) {
  st.series(name, "bit/s", [bytes, last = uint64_t{0}, last_t = int64_t{0}]() mutable {
    const int64_t t = hostwire::now().ps;
    const double v = t > last_t ? static_cast<double>(bytes->value() - last) * 8e12 / static_cast<double>(t - last_t) : 0;
    last = bytes->value(), last_t = t;
    return v;
  });
}

double per_second(const Counter* c, double scale = 1) {
  return static_cast<double>(c->value()) * scale / hostwire::now().seconds();
}

double ratio(double num, const Counter* den) { return den->value() ? num / static_cast<double>(den->value()) : 0.0; }

// What a tcp_messages workload's producer writes and its consumer expects.
template <class H>
apps::MessageFormat::Settings message_format(const TcpMessagesParams<H>& p) {
  apps::MessageFormat::Settings f;
  f.framing = *net::framers::parse_kind(p.framing);
  f.delimiter = p.delimiter;
  f.http_chunked = p.http_chunked;
  f.http_chunk_size = static_cast<uint64_t>(p.http_chunk_size.n);
  f.max_size = static_cast<uint64_t>(p.max_size.n);
  return f;
}

template <class H>
apps::SizeDistribution message_sizes(const TcpMessagesParams<H>& p) {
  apps::SizeDistribution d;
  d.kind = *apps::parse_size_kind(p.size_dist);
  d.size = static_cast<uint64_t>(p.message_size.n);
  d.sigma = p.size_sigma;
  d.small = static_cast<uint64_t>(p.size_small.n);
  d.large = static_cast<uint64_t>(p.size_large.n);
  d.large_fraction = p.large_fraction;
  return d;
}

// The cross-key checks of a tcp_messages workload (its keys one by one are the schema's). A key
// the chosen framing, distribution or mode does not read is ignored, not refused, so that one
// scenario can sweep `mode` or `framing` with every mode's keys set.
template <class H>
void check_tcp_messages(const TcpMessagesParams<H>& p, const std::function<void(const std::string&, const std::string&)>& fail) {
  const bool bimodal = p.size_dist == "bimodal";
  if (p.framing == "delimiter")
    if (const std::string why = apps::MessageFormat::delimiter_problem(p.delimiter); !why.empty()) fail("delimiter", why);
  const apps::MessageFormat f(message_format(p));
  const std::string size_key = bimodal ? "size_large" : "message_size";
  const Bytes size = bimodal ? p.size_large : p.message_size;
  if (p.framing == "tls" && static_cast<uint64_t>(size.n) > apps::MessageFormat::kTlsMaxRecord)
    fail(size_key, to_string(size) + " is over " + to_string(Bytes{static_cast<int64_t>(apps::MessageFormat::kTlsMaxRecord)}) +
                       ", the largest TLS record (a 5-byte header and 16384 B of application data)");
  else if (size > p.max_size)
    fail(size_key, to_string(size) + " is over max_size " + to_string(p.max_size));
  if (bimodal && p.size_small > p.size_large) fail("size_small", "is larger than size_large");
  if (static_cast<uint64_t>(p.max_size.n) < f.worst_min_size())
    fail("max_size", to_string(p.max_size) + " cannot hold every " + p.framing + " message's header: at least " +
                         std::to_string(f.worst_min_size()) + " B");
  if (p.mode == "condition" && p.cond_min_bytes.n == 0 && p.cond_messages == 0 && p.cond_delimiter.empty() &&
      p.cond_timeout.ps == 0)
    fail("mode", "condition needs a delivery condition: set cond_min_bytes, cond_messages, cond_delimiter or cond_timeout");
  if (!p.cond_delimiter.empty() && p.cond_delimiter.size() > 16)
    fail("cond_delimiter", "a delimiter is 1 to 16 bytes; this one is " + std::to_string(p.cond_delimiter.size()));
  if (const std::string why = apps::hostile_problem(*apps::parse_hostile(p.hostile), f.settings().framing); !why.empty())
    fail("hostile", why);
}
}  // namespace

// ---------------------------------------------------------------- checks

template <class H>
void check_host_workloads(const Scenario& s, const HostNameCheck& names,
                          const HostCores& cores, const HostCores& host_vnics, int64_t mtu, const std::string& link,
                          std::vector<InputError>& errors) {
  for (const auto& w : s.workloads) {
    auto fail = [&](const std::string& key, const std::string& problem) {
      errors.push_back({s.at(w.prefix() + key).origin, w.prefix() + key, problem});
    };
    // Names first: the other checks read the named host's parameters.
    auto named = [&](const std::string& from, const std::string& to) {
      const std::string a = names(from), b = names(to);
      if (!a.empty()) fail("from", a);
      if (!b.empty()) fail("to", b);
      return a.empty() && b.empty();
    };
    auto core_check = [&](const std::string& host, int64_t core) {
      const auto [n, key] = cores(host);
      if (core >= n)
        fail("core", "core " + std::to_string(core) + " but " + host + " has " + std::to_string(n) + " cores (" + key + ")");
    };
    if (w.type == "tcp_rr") {
      auto p = bind_params<TcpRrParams<H>>(s.values, w.prefix());
      if (!named(p.from, p.to)) continue;
      if (p.from == p.to) fail("to", "client and server need two different hosts");
      core_check(p.from, p.core);
      if (p.responses == "uniform" && p.response_size_max < p.response_size)
        fail("response_size_max", "is smaller than response_size");
    } else if (w.type == "tcp_bulk") {
      auto p = bind_params<TcpBulkParams<H>>(s.values, w.prefix());
      if (!named(p.from, p.to)) continue;
      if (p.from == p.to) fail("to", "a TCP flow needs two different hosts");
      core_check(p.from, p.core);
    } else if (w.type == "tcp_messages") {
      auto p = bind_params<TcpMessagesParams<H>>(s.values, w.prefix());
      if (!named(p.from, p.to)) continue;
      if (p.from == p.to) fail("to", "a TCP message stream needs two different hosts");
      core_check(p.from, p.core);
      if (p.stop.ps > 0 && p.stop <= p.start) fail("stop", "is not after start");
      check_tcp_messages<H>(p, fail);
    } else if (w.type == "web") {
      auto p = bind_params<WebParams<H>>(s.values, w.prefix());
      if (!named(p.from, p.to)) continue;
      if (p.from == p.to) fail("to", "the HTTP client and the daemon need two different hosts");
      core_check(p.from, p.core);
      const auto [n, key] = cores(p.to);
      if (p.daemon_cores > n)
        fail("daemon_cores", fmt::format("{} daemon threads but {} has {} cores ({})", p.daemon_cores, p.to, n, key));
      if (p.sizes == "fixed" && p.object_size > p.max_object) fail("object_size", "is over max_object");
      if (p.stop.ps > 0 && p.stop <= p.start) fail("stop", "is not after start");
      if (p.advise_fraction + p.nocache_fraction > 1) fail("nocache_fraction", "advise_fraction + nocache_fraction is over 1");
    } else if (w.type == "analyzer") {
      auto p = bind_params<AnalyzerParams<H>>(s.values, w.prefix());
      if (const std::string b = names(p.to); !b.empty()) {
        fail("to", b);
        continue;
      }
      core_check(p.to, p.core);
      const auto [vnics, vnics_key] = host_vnics(p.to);
      if (p.vnic >= vnics)
        fail("vnic", fmt::format("VNIC {} but {} has {} ({})", p.vnic, p.to, vnics, vnics_key));
    } else if (w.type == "udp_stream") {
      auto p = bind_params<UdpStreamParams<H>>(s.values, w.prefix());
      if (!named(p.from, p.to)) continue;
      if (p.from == p.to) fail("to", "a UDP stream needs two different hosts (from is '" + p.from + "')");
      if (p.payload.n + 28 > mtu)
        fail("payload", to_string(p.payload) + " + 28 B of UDP/IPv4 headers exceeds the " + to_string(Bytes{mtu}) +
                            " MTU of " + link + " (the path has no IP fragmentation)");
      const auto [n, key] = cores(p.from);
      if (p.threads > n)
        fail("threads", std::to_string(p.threads) + " sender threads but " + p.from + " has " + std::to_string(n) +
                            " cores (" + key + ")");
      if (p.stop.ps > 0 && p.stop <= p.start) fail("stop", "is not after start");
    }
  }
}

// ---------------------------------------------------------------- building

Host& HostWorkloads::one(const std::string& name) {
  auto hosts = resolve_(name);
  if (hosts.size() != 1) throw std::invalid_argument("'" + name + "' does not name one host");
  return *hosts.front();
}

template <class H>
void HostWorkloads::build(const Scenario& s) {
  // One payload buffer every datagram slices: no per-datagram payload bytes are copied.
  auto buf = std::make_shared<std::vector<uint8_t>>(65536);
  for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<uint8_t>(i * 131 + 7);
  payload_ = buf;
  udp_rx_.assign(s.workloads.size(), {});
  for (uint32_t wi = 0; wi < s.workloads.size(); ++wi) {
    const auto& w = s.workloads[wi];
    if (w.type == "tcp_bulk") add_tcp_bulk<H>(s, wi);
    else if (w.type == "tcp_rr") add_tcp_rr<H>(s, wi);
    else if (w.type == "udp_stream") add_udp_stream<H>(s, wi);
    else if (w.type == "tcp_messages") add_tcp_messages<H>(s, wi);
    else if (w.type == "analyzer") add_analyzer<H>(s, wi);
    else if (w.type == "web") add_web<H>(s, wi);
  }
  for (Host* h : udp_receivers_hosts_)
    udp_receivers_.push_back(std::make_unique<apps::UdpReceiver>(
        h->sockets(), kSinkPort, static_cast<uint32_t>(h->params().udp.recv_batch), udp_rx_));
}

template <class H>
void HostWorkloads::add_udp_stream(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<UdpStreamParams<H>>(s.values, pre);
  Host& to = one(p.to);
  auto& st = ctx_.stats();
  Counter& sent = st.counter(pre + "tx_datagrams", "datagrams", "datagrams handed to the sender's NIC");
  udp_sent_.push_back(&sent);
  apps::UdpFlowStats& r = udp_rx_[wi];
  r.datagrams = &st.counter(pre + "rx_datagrams", "datagrams", "datagrams the receiving threads read");
  r.bytes = &st.counter(pre + "rx_bytes", "B", "UDP payload bytes the receiving threads read");
  r.latency = &st.histogram(pre + "latency", "ps", "one-way latency: send call done until the receive call returned it");
  const Counter* bytes = r.bytes;
  const Counter* dgrams = r.datagrams;
  const int64_t overhead = kUdpFrameOverhead;
  st.formula(pre + "rx_goodput", "bit/s", "UDP payload bits read per second", [bytes] { return per_second(bytes, 8); });
  st.formula(pre + "rx_throughput", "bit/s", "frame bits (with FCS) of the datagrams read, per second",
             [bytes, dgrams, overhead] {
               return static_cast<double>(bytes->value() + dgrams->value() * static_cast<uint64_t>(overhead)) * 8 /
                      hostwire::now().seconds();
             });
  st.formula(pre + "rx_datagram_rate", "datagrams/s", "datagrams read per second", [dgrams] { return per_second(dgrams); });
  goodput_series(st, pre + "rx_goodput", bytes);
  if (std::find(udp_receivers_hosts_.begin(), udp_receivers_hosts_.end(), &to) == udp_receivers_hosts_.end())
    udp_receivers_hosts_.push_back(&to);

  // Flows: distinct source ports, spread by RSS on the receiver.
  std::vector<kernel::UdpFlow> flows;
  const auto slice = PayloadSlice{payload_, 0, static_cast<uint32_t>(p.payload.n)};
  for (int64_t f = 0; f < p.flows; ++f)
    flows.push_back({static_cast<uint16_t>(kFirstSourcePort + f % 16384), to.ip(), kSinkPort, wi});
  const int64_t frame_bits = (p.payload.n + kUdpFrameOverhead) * 8;
  const auto senders = resolve_(p.from);
  for (size_t hi = 0; hi < senders.size(); ++hi) {
    for (int64_t th = 0; th < p.threads; ++th) {
      apps::UdpStreamSender::Config us;
      us.name = pre;
      us.core = static_cast<int>(th);
      for (size_t f = static_cast<size_t>(th); f < flows.size(); f += static_cast<size_t>(p.threads)) us.flows.push_back(flows[f]);
      if (us.flows.empty()) us.flows.push_back(flows[static_cast<size_t>(th) % flows.size()]);
      us.payload = slice;
      us.pattern = p.pattern;
      // Each thread carries rate / threads: a send call of `batch` datagrams every interval.
      us.interval = Time{p.rate.time_for_bits(frame_bits * p.batch * p.threads).ps};
      us.start = p.start;
      us.stop = p.stop;
      us.count = p.count > 0 ? p.count / p.threads + (th < p.count % p.threads ? 1 : 0) : 0;
      us.batch = p.batch;
      // One random stream per thread of each host (the first host's keep their historic names).
      us.seed_stream = static_cast<uint64_t>(th) + hi * 1'000'000;
      if (p.count > 0 && us.count == 0) continue;
      udp_senders_.push_back(std::make_unique<apps::UdpStreamSender>(ctx_, senders[hi]->sockets(), us, sent));
    }
  }
}

template <class H>
void HostWorkloads::add_tcp_bulk(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<TcpBulkParams<H>>(s.values, pre);
  Host& to = one(p.to);
  const auto port = static_cast<uint16_t>(kFirstTcpPort + wi);
  sinks_.push_back(std::make_unique<apps::TcpSink>(ctx_, to.sockets(), port, static_cast<uint32_t>(p.read_size.n), pre));
  apps::TcpSink* sink = sinks_.back().get();
  const auto stats = apps::bulk_sender_stats(ctx_, pre);
  std::vector<const apps::TcpBulkSender*> senders;
  for (Host* from : resolve_(p.from)) {
    apps::TcpBulkSender::Config bc;
    bc.peer = to.ip();
    bc.port = port;
    bc.core = static_cast<int>(p.core);
    bc.bytes = static_cast<uint64_t>(p.bytes.n);
    bc.write_size = static_cast<uint32_t>(p.write_size.n);
    bc.start = p.start;
    bulk_senders_.push_back(std::make_unique<apps::TcpBulkSender>(ctx_, from->sockets(), bc, stats));
    senders.push_back(bulk_senders_.back().get());
  }
  auto& st = ctx_.stats();
  const Counter* rx = st.find_counter(pre + "rx_bytes");
  st.formula(pre + "rx_goodput", "bit/s", "application bytes read per second, in bits", [rx] { return per_second(rx, 8); });
  st.formula(pre + "rx_throughput", "bit/s", "application bytes read per second, in bits (as rx_goodput)",
             [rx] { return per_second(rx, 8); });
  goodput_series(st, pre + "rx_goodput", rx);
  // The first sender's window and RTT; retransmissions summed over every sender.
  const tcp::Connection* c = senders.front()->socket().conn().tcp.get();
  auto sum = [senders](auto f) {
    double v = 0;
    for (const auto* sp : senders) v += static_cast<double>(f(*sp->socket().conn().tcp));
    return v;
  };
  st.series(pre + "cwnd", "B", [c] { return static_cast<double>(c->cwnd()); });
  st.series(pre + "srtt", "s", [c] { return c->srtt().seconds(); });
  st.formula(pre + "cwnd", "B", "sender's congestion window at the end", [c] { return static_cast<double>(c->cwnd()); });
  st.formula(pre + "srtt", "s", "sender's smoothed RTT at the end", [c] { return c->srtt().seconds(); });
  const kernel::Conn* conn = &senders.front()->socket().conn();
  st.formula(pre + "bytes_below_peak", "B",
             "most bytes of the sender's conn below it at once (qdisc, driver, TX ring, NIC): what TCP small queues bound",
             [conn] { return static_cast<double>(conn->bytes_below_peak); });
  st.series(pre + "bytes_below", "B", [conn] { return static_cast<double>(conn->bytes_below); });
  const auto retx = [sum] { return sum([](const tcp::Connection& t) { return t.retransmitted_segments(); }); };
  st.formula(pre + "retransmitted_segments", "segments", "segments the senders retransmitted", retx);
  st.series(pre + "retransmitted_segments", "segments", retx);
  st.formula(pre + "fast_retransmits", "episodes", "loss recoveries entered on duplicate ACKs or SACK",
             [sum] { return sum([](const tcp::Connection& t) { return t.fast_retransmits(); }); });
  st.formula(pre + "timeouts", "timeouts", "retransmission timeouts",
             [sum] { return sum([](const tcp::Connection& t) { return t.timeouts(); }); });
  st.formula(pre + "spurious_retransmits", "segments",
             "retransmissions the receivers turned out not to need (their original had arrived; Eifel, RFC 3522)",
             [sum] { return sum([](const tcp::Connection& t) { return t.spurious_retransmits(); }); });
  // Each receiver's digest equals its sender's over the same bytes: checked when the run ends.
  auto intact = [senders, sink](std::string* why) {
    bool all = true;
    for (const auto* sp : senders) {
      const auto& conn = sp->socket().conn();
      const auto f = sink->flow(sp->address(), conn.local_port);
      if (!f || f->read != sp->written() || sp->written() == 0) {
        all = false;
        continue;
      }
      if (f->digest != sp->digest().value()) {
        if (why) *why = fmt::format("the receiver read the {} bytes the sender wrote, but their digests differ", f->read);
        return false;
      }
    }
    return all;
  };
  ctx_.add_invariant([intact, pre] {
    std::string why;
    intact(&why);
    return why.empty() ? std::string() : pre + ": " + why;
  });
  st.formula(pre + "stream_intact", "", "1 when the receiver has read every byte written and the digests match, else 0",
             [intact] { return intact(nullptr) ? 1.0 : 0.0; });
}

template <class H>
void HostWorkloads::add_tcp_rr(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<TcpRrParams<H>>(s.values, pre);
  Host& server = one(p.to);
  const auto port = static_cast<uint16_t>(kFirstTcpPort + wi);
  apps::SizeDistribution d;
  d.kind = p.responses == "exponential" ? apps::SizeDistribution::Kind::exponential
           : p.responses == "uniform"   ? apps::SizeDistribution::Kind::uniform
                                        : apps::SizeDistribution::Kind::fixed;
  d.size = static_cast<uint64_t>(p.response_size.n);
  d.size_max = static_cast<uint64_t>(p.response_size_max.n);
  rr_servers_.push_back(std::make_unique<apps::TcpRrServer>(ctx_, server.sockets(), port, d, p.echo, pre));
  const auto stats = apps::TcpRrClient::register_stats(ctx_, pre);
  const auto clients = resolve_(p.from);
  const apps::TcpRrClient* first = nullptr;
  for (size_t i = 0; i < clients.size(); ++i) {
    apps::TcpRrClient::Config cc;
    cc.server = server.ip();
    cc.port = port;
    cc.core = static_cast<int>(p.core);
    cc.request_size = static_cast<uint32_t>(p.request_size.n);
    cc.rate = p.rate;
    cc.concurrency = p.concurrency;
    cc.start = p.start;
    cc.stop = p.stop;
    const std::string rng = i == 0 ? pre + "client" : fmt::format("{}client{}", pre, i);
    rr_clients_.push_back(std::make_unique<apps::TcpRrClient>(ctx_, clients[i]->sockets(), cc, stats, rng));
    if (!first) first = rr_clients_.back().get();
  }
  const Counter* answered = stats.answered;
  const Counter* rx = stats.bytes;
  auto& st = ctx_.stats();
  st.formula(pre + "response_rate", "responses/s", "responses completed per second", [answered] { return per_second(answered); });
  st.formula(pre + "rx_throughput", "bit/s", "response bytes the clients read per second, in bits",
             [rx] { return per_second(rx, 8); });
  const tcp::Connection* conn = &first->tcp();
  st.series(pre + "cwnd", "B", [conn] { return static_cast<double>(conn->cwnd()); });
  st.series(pre + "srtt", "s", [conn] { return conn->srtt().seconds(); });
  st.formula(pre + "retransmitted_segments", "segments", "segments the first client retransmitted",
             [conn] { return static_cast<double>(conn->retransmitted_segments()); });
}

template <class H>
void HostWorkloads::add_analyzer(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<AnalyzerParams<H>>(s.values, pre);
  Host& h = one(p.to);
  apps::Analyzer::Config c;
  c.name = pre;
  c.netdev = static_cast<int>(p.vnic);
  c.core = static_cast<int>(p.core);
  c.cost = p.cost;
  if (p.pcap) c.pcap_path = (std::filesystem::path(ctx_.output_dir()) / (s.workloads[wi].name + ".pcap")).string();
  analyzers_.push_back(std::make_unique<apps::Analyzer>(ctx_, h.sockets(), c));
  // What reached the VNIC's netdev and what became of it: read by the analyzer, dropped at its
  // socket, or at the VNIC's rings (full: the NIC had nowhere to put the frame).
  auto& st = ctx_.stats();
  const std::string sock = fmt::format("{}.packet.netdev{}", h.host_name(), p.vnic);
  const Counter* drops = st.find_counter(sock + ".socket_drops");
  st.formula(pre + "socket_drops", "frames", "frames dropped at the analyzer's packet socket (it fell behind)",
             [drops] { return static_cast<double>(drops->value()); });
  std::vector<const Counter*> rings;
  const int64_t per = h.params().nic.rings_per_vnic;
  for (int64_t r = p.vnic * per; r < (p.vnic + 1) * per; ++r)
    rings.push_back(st.find_counter(fmt::format("{}.nic.ring{}.rx_dropped_full", h.host_name(), r)));
  const Counter* frames = st.find_counter(pre + "frames");
  const Counter* bytes = st.find_counter(pre + "bytes");
  st.formula(pre + "rx_frame_rate", "frames/s", "frames the analyzer read per second",
             [frames] { return static_cast<double>(frames->value()) / hostwire::now().seconds(); });
  st.formula(pre + "rx_throughput", "bit/s", "bits of the frames the analyzer read per second",
             [bytes] { return static_cast<double>(bytes->value()) * 8 / hostwire::now().seconds(); });
  st.formula(pre + "ring_drops", "frames", "frames dropped at the VNIC's RX rings (full)", [rings] {
    double n = 0;
    for (const Counter* c : rings) n += static_cast<double>(c->value());
    return n;
  });
  // In flight at the end: completions on the VNIC's rings the driver has not taken, and frames
  // queued on the socket (zero copy: still holding their slots). Copies into the VNIC =
  // frames + socket_drops + ring_drops + pending.
  const Counter* received = st.find_counter(sock + ".received");
  const nic::DescriptorRings* ring_memory = &h.rings();
  const int64_t first = p.vnic * per;
  st.formula(pre + "pending", "frames", "frames on their way to the analyzer at the end (on the VNIC's rings or its socket)",
             [received, frames, drops, ring_memory, first, per] {
               double n = static_cast<double>(received->value() - frames->value() - drops->value());
               for (int64_t r = first; r < first + per; ++r) n += ring_memory->rx(static_cast<int>(r)).occupancy();
               return n;
             });
}

template <class H>
void HostWorkloads::add_web(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<WebParams<H>>(s.values, pre);
  Host& server = one(p.to);
  http::ObjectSetConfig oc;
  oc.count = static_cast<uint64_t>(p.objects);
  oc.sizes = p.sizes == "lognormal" ? http::ObjectSetConfig::Sizes::lognormal : http::ObjectSetConfig::Sizes::fixed;
  oc.size = static_cast<uint64_t>(p.object_size.n);
  oc.sigma = p.size_sigma;
  oc.max_size = static_cast<uint64_t>(p.max_object.n);
  oc.seed = ctx_.seed();
  auto objects = std::make_shared<const http::ObjectSet>(oc);
  auto popularity = std::make_shared<const http::ZipfPopularity>(oc.count, p.alpha);
  const auto port = static_cast<uint16_t>(p.port);

  http::DaemonConfig dc;
  dc.path = p.path == "kernel" ? http::DaemonConfig::Path::kernel : http::DaemonConfig::Path::daemon_only;
  dc.port = port;
  dc.cores.clear();
  for (int64_t i = 0; i < p.daemon_cores; ++i) dc.cores.push_back(static_cast<int>(i));
  dc.objects = objects;
  dc.request = p.daemon_request;
  dc.file_open = p.daemon_file_open;
  dc.advise_fraction = p.advise_fraction;
  dc.advisory_reply = p.advisory_reply == "replace" ? http::advisory::replace
                      : p.advisory_reply == "flush" ? http::advisory::flush
                      : p.advisory_reply == "temp"  ? http::advisory::temp
                                                    : http::advisory::none;
  dc.nocache_fraction = p.nocache_fraction;
  dc.door_chunk = static_cast<uint64_t>(server.params().http.door_chunk.n);
  dc.header_limit = static_cast<uint32_t>(server.params().http.header_limit.n);
  dc.name = pre;
  daemons_.push_back(std::make_unique<http::HttpDaemon>(ctx_, server.sockets(), dc));
  const http::HttpDaemon* daemon = daemons_.back().get();

  const auto stats = apps::HttpClient::register_stats(ctx_, pre);
  std::vector<const apps::HttpClient*> clients;
  const auto hosts = resolve_(p.from);
  for (size_t i = 0; i < hosts.size(); ++i) {
    apps::HttpClient::Config cc;
    cc.server = server.ip();
    cc.port = port;
    cc.core = static_cast<int>(p.core);
    cc.keep_alive = p.keep_alive;
    cc.concurrency = p.concurrency;
    cc.pipeline = p.pipeline;
    cc.rate = p.rate;
    cc.start = p.start;
    cc.stop = p.stop;
    cc.objects = objects;
    cc.popularity = popularity;
    cc.bad_every = p.bad_every;
    cc.bad = p.bad == "long_header" ? apps::HttpClient::Bad::long_header : apps::HttpClient::Bad::malformed;
    cc.long_header_bytes = static_cast<uint32_t>(server.params().http.header_limit.n) + 1024;
    http_clients_.push_back(std::make_unique<apps::HttpClient>(ctx_, hosts[i]->sockets(), cc, stats,
                                                               fmt::format("{}client{}", pre, i)));
    clients.push_back(http_clients_.back().get());
  }

  // What the experiment reads: rates and latency at the clients, cycles, switches and the
  // cache at the server. A request's cycles are every busy cycle of the server's cores; the
  // daemon's share is its own user-space work, the kernel's the rest (system calls, copies,
  // the stack, the module, wake-ups, context switches).
  auto& st = ctx_.stats();
  const Counter* responses = stats.responses;
  st.formula(pre + "response_rate", "responses/s", "responses with the right body per second, all clients",
             [responses] { return per_second(responses); });
  const Counter* rx = stats.rx_bytes;
  st.formula(pre + "rx_throughput", "bit/s", "response bytes the clients read per second, in bits",
             [rx] { return per_second(rx, 8); });
  const cpu::Cpu* cpu = &server.cpu();
  const Counter* user = &daemon->user_cycles();
  st.formula(pre + "server_cycles_per_request", "cycles/request", "busy cycles of the server's cores per response",
             [cpu, responses] { return ratio(static_cast<double>(cpu->cycles()), responses); });
  st.formula(pre + "daemon_cycles_per_request", "cycles/request", "the daemon's user-space cycles per response",
             [user, responses] { return ratio(static_cast<double>(user->value()), responses); });
  st.formula(pre + "kernel_cycles_per_request", "cycles/request",
             "the server's cycles other than the daemon's user-space work, per response", [cpu, user, responses] {
               return ratio(static_cast<double>(cpu->cycles()) - static_cast<double>(user->value()), responses);
             });
  st.formula(pre + "context_switches_per_request", "switches/request", "context switches on the server's cores per response",
             [cpu, responses] { return ratio(static_cast<double>(cpu->context_switches()), responses); });
  const std::string h = server.host_name() + ".http.";
  const Counter* from_cache = st.find_counter(h + "responses_cache");
  const Counter* from_daemon = st.find_counter(h + "responses_daemon");
  const Counter* daemon_served = &daemon->served();
  const bool kernel_path = dc.path == http::DaemonConfig::Path::kernel;
  const Host* sp = &server;
  st.formula(pre + "responses_module", "responses", "responses the kernel module sent from its cache, without the daemon",
             [from_cache] { return from_cache ? static_cast<double>(from_cache->value()) : 0.0; });
  st.formula(pre + "responses_daemon", "responses", "responses with the daemon's data (through the module, or its own)",
             [from_daemon, daemon_served, kernel_path] {
               return kernel_path ? static_cast<double>(from_daemon->value()) : static_cast<double>(daemon_served->value());
             });
  st.formula(pre + "hit_ratio", "", "the module's cache hits over its GET/HEAD lookups (0 on daemon_only)",
             [sp] { return sp->http_module() ? sp->http_module()->hit_ratio() : 0.0; });
  st.formula(pre + "cache_bytes", "B", "kernel memory the module's cached responses hold at the end (0 on daemon_only)",
             [sp] { return sp->http_module() ? static_cast<double>(sp->http_module()->cache().bytes()) : 0.0; });
  // Every request is answered once, with the right body, or is still in flight at the end.
  const Counter* requests = stats.requests;
  const Counter* bad = stats.bad_responses;
  const Counter* expected = stats.errors_expected;
  const Counter* failed = stats.failed;
  ctx_.add_invariant([clients, requests, responses, bad, expected, failed, pre] {
    if (bad->value() > 0) return fmt::format("{}: {} responses with a wrong status, length or body", pre, bad->value());
    uint64_t in_flight = 0;
    for (const auto* c : clients) in_flight += c->outstanding();
    const uint64_t accounted = responses->value() + expected->value() + failed->value() + in_flight;
    if (requests->value() != accounted)
      return fmt::format("{}: {} requests but {} answered, {} bad answered as expected, {} failed, {} in flight", pre,
                         requests->value(), responses->value(), expected->value(), failed->value(), in_flight);
    return std::string();
  });
}

template <class H>
void HostWorkloads::add_tcp_messages(const Scenario& s, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<TcpMessagesParams<H>>(s.values, pre);
  Host& to = one(p.to);
  const auto port = static_cast<uint16_t>(kFirstTcpPort + wi);
  const auto format = std::make_shared<const apps::MessageFormat>(message_format(p));

  apps::TcpMessageReceiver::Config rc;
  rc.port = port;
  rc.read_size = static_cast<uint32_t>(p.read_size.n);
  rc.format = format;
  rc.mode = p.mode == "message"     ? apps::TcpMessageReceiver::Mode::message
            : p.mode == "condition" ? apps::TcpMessageReceiver::Mode::condition
                                    : apps::TcpMessageReceiver::Mode::stream;
  rc.batch = static_cast<uint32_t>(p.batch);
  rc.framing.on_bad = p.on_bad == "stream" ? kernel::BadMessagePolicy::stream : kernel::BadMessagePolicy::error;
  rc.framing.assembly_timeout = p.assembly_timeout;
  rc.framing.on_timeout = p.on_timeout == "deliver" ? kernel::TimeoutPolicy::deliver : kernel::TimeoutPolicy::error;
  rc.condition.min_bytes = static_cast<uint64_t>(p.cond_min_bytes.n);
  rc.condition.messages = static_cast<uint32_t>(p.cond_messages);
  rc.condition.delimiter = p.cond_delimiter;
  rc.condition.timeout = p.cond_timeout;
  message_receivers_.push_back(std::make_unique<apps::TcpMessageReceiver>(ctx_, to.sockets(), rc, pre));
  const apps::TcpMessageReceiver* receiver = message_receivers_.back().get();

  const auto stats = apps::TcpMessageSender::register_stats(ctx_, pre);
  const auto senders = resolve_(p.from);
  for (size_t i = 0; i < senders.size(); ++i) {
    apps::TcpMessageSender::Config mc;
    mc.peer = to.ip();
    mc.port = port;
    mc.core = static_cast<int>(p.core);
    mc.format = format;
    mc.sizes = message_sizes(p);
    mc.rate = p.rate;
    mc.start = p.start;
    mc.stop = p.stop;
    mc.nodelay = p.nodelay;
    mc.hostile = *apps::parse_hostile(p.hostile);
    mc.hostile_after = static_cast<uint64_t>(p.hostile_after);
    message_senders_.push_back(std::make_unique<apps::TcpMessageSender>(ctx_, senders[i]->sockets(), mc, stats,
                                                                        fmt::format("{}sender{}", pre, i)));
  }
  auto& st = ctx_.stats();
  const Counter* received = st.find_counter(pre + "messages_received");
  const Counter* calls = st.find_counter(pre + "rx_calls");
  const Counter* wakeups = st.find_counter(pre + "wakeups");
  const Counter* rx = st.find_counter(pre + "rx_bytes");
  const Counter* user = &receiver->user_cycles();
  st.formula(pre + "message_rate", "messages/s", "messages read in full per second", [received] { return per_second(received); });
  st.formula(pre + "rx_goodput", "bit/s", "bytes read per second, in bits", [rx] { return per_second(rx, 8); });
  st.formula(pre + "rx_throughput", "bit/s", "bytes read per second, in bits (as rx_goodput)",
             [rx] { return per_second(rx, 8); });
  const auto calls_per_message = [calls, received] { return ratio(static_cast<double>(calls->value()), received); };
  st.formula(pre + "rx_calls_per_message", "calls/message", "receive calls per message read in full", calls_per_message);
  st.formula(pre + "syscalls_per_message", "calls/message", "the receiver's system calls per message (as rx_calls_per_message)",
             calls_per_message);
  st.formula(pre + "wakeups_per_message", "wakeups/message", "the receiver's wake-ups per message",
             [wakeups, received] { return ratio(static_cast<double>(wakeups->value()), received); });
  st.formula(pre + "user_cycles_per_message", "cycles/message", "user-space framing cycles per message",
             [user, received] { return ratio(static_cast<double>(user->value()), received); });
  // Everything else the receiving host's cores ran, per message: the kernel's receive path,
  // the system calls and copies, wake-ups and context switches (and any other workload's work
  // on that host).
  const cpu::Cpu* to_cpu = &to.cpu();
  st.formula(pre + "kernel_cycles_per_message", "cycles/message",
             "the receiving host's core cycles other than the receiver's user-space framing, per message",
             [to_cpu, user, received] {
               return ratio(static_cast<double>(to_cpu->cycles()) - static_cast<double>(user->value()), received);
             });
  // The receiver read no byte the senders did not write, and counts every byte it read. Random
  // bytes (hostile garbage) may frame as messages that never arose: those count corrupt.
  const Counter* written = stats.bytes;
  const Counter* sent = stats.messages;
  const Counter* corrupt = p.hostile == "garbage" ? st.find_counter(pre + "corrupt") : nullptr;
  ctx_.add_invariant([receiver, rx, written, received, sent, corrupt, pre] {
    if (rx->value() > written->value())
      return fmt::format("{}: the receiver read {} B but the senders wrote {} B", pre, rx->value(), written->value());
    const uint64_t arisen = received->value() - (corrupt ? corrupt->value() : 0);
    if (arisen > sent->value())
      return fmt::format("{}: {} messages received{} but {} arose", pre, arisen, corrupt ? " intact" : "", sent->value());
    return receiver->accounting();
  });
}

void HostWorkloads::add_host_metrics(Host& h) {
  // Cost per byte: every busy cycle of the host's cores over the bytes its applications moved.
  const std::string n = h.host_name();
  const cpu::Cpu* cpu = &h.cpu();
  const kernel::TcpStack* tcp = &h.tcp();
  const double hz = static_cast<double>(cpu->params().clock.hz);
  auto& st = ctx_.stats();
  st.formula(n + ".cycles_per_byte_sent", "cycles/B", "busy cycles of all cores per byte the applications wrote (TCP)",
             [cpu, tcp, hz] {
               const double b = static_cast<double>(tcp->app_bytes_written());
               return b > 0 ? cpu->busy_time().seconds() * hz / b : 0.0;
             });
  // What offload moves off the host (mechanism D): interrupts (the driver's and the offload
  // engine's completions) and segments the host's TCP processed, per MB the applications wrote.
  const Counter* irqs = &h.driver().interrupts();
  const Counter* toe_completions = st.find_counter(n + ".tcp.toe.completions");
  const Counter* segments_in = st.find_counter(n + ".tcp.segments_in");
  auto per_mb = [tcp](double v) {
    const double mb = static_cast<double>(tcp->app_bytes_written()) / 1e6;
    return mb > 0 ? v / mb : 0.0;
  };
  st.formula(n + ".interrupts_per_mb_sent", "interrupts/MB",
             "interrupts the host took (NIC vectors and offload completions) per MB its TCP applications wrote",
             [irqs, toe_completions, per_mb] {
               return per_mb(static_cast<double>(irqs->value() + (toe_completions ? toe_completions->value() : 0)));
             });
  st.formula(n + ".tcp_segments_in_per_mb_sent", "segments/MB",
             "segments (ACKs for a sender) the host's TCP processed per MB its applications wrote",
             [segments_in, per_mb] { return per_mb(static_cast<double>(segments_in->value())); });
  st.formula(n + ".cycles_per_byte_received", "cycles/B", "busy cycles of all cores per byte the applications read (TCP)",
             [cpu, tcp, hz] {
               const double b = static_cast<double>(tcp->app_bytes_read());
               return b > 0 ? cpu->busy_time().seconds() * hz / b : 0.0;
             });
}

int64_t HostWorkloads::udp_sent() const {
  int64_t n = 0;
  for (const Counter* c : udp_sent_) n += static_cast<int64_t>(c->value());
  return n;
}

int64_t HostWorkloads::udp_read() const {
  int64_t n = 0;
  for (const auto& r : udp_rx_)
    if (r.datagrams) n += static_cast<int64_t>(r.datagrams->value());
  return n;
}

void add_frame_accounting(SimContext& ctx, const std::string& platform, std::vector<Host*> hosts,
                          std::vector<std::string> channels, std::vector<std::string> switches,
                          const HostWorkloads& workloads) {
  ctx.add_invariant([&ctx, platform, hosts, channels, switches, &workloads] {
    const StatsRegistry& st = ctx.stats();
    auto v = [&](const std::string& k) { return static_cast<int64_t>(st.value(k)); };
    auto optional = [&](const std::string& k) {  // a part only some hosts have (an offload engine)
      const Counter* c = st.find_counter(k);
      return c ? static_cast<int64_t>(c->value()) : int64_t{0};
    };
    int64_t sent = workloads.udp_sent(), received = workloads.udp_read();
    int64_t copies = 0, lost = 0, nic_drops = 0, host_drops = 0, mac_drops = 0, switch_drops = 0;
    for (const auto& p : channels) {
      copies += v(p + ".duplicated");
      lost += v(p + ".dropped_loss") + v(p + ".dropped_burst") + v(p + ".dropped_link_down");
    }
    for (const auto& sw : switches) {
      copies += v(sw + ".flood_copies");
      switch_drops += v(sw + ".dropped_buffer_full") + v(sw + ".filtered") + v(sw + ".dropped_fcs");
    }
    for (const Host* host : hosts) {
      const std::string h = host->host_name(), n = h + ".nic", t = h + ".tcp";
      copies += v(n + ".rx_mirrored") + v(n + ".tx_mirrored") + v(n + ".erspan_frames");
      copies += v(n + ".tx_tso_segments") - v(n + ".tx_tso_frames");  // one super-frame became several
      nic_drops += v(n + ".rx_dropped_rule") + v(n + ".rx_dropped_ring_full") + v(n + ".tx_dropped_oversize");
      mac_drops += v(n + ".mac.rx_fcs_errors") + v(n + ".mac.rx_oversize") + v(n + ".mac.tx_queue_drops");
      host_drops += v(h + ".udp.socket_drops") + v(h + ".udp.stray") + v(h + ".ip.dropped_not_ours") +
                    v(h + ".ip.dropped_malformed") + v(h + ".ip.dropped_protocol") + v(h + ".driver.dropped_unbound") +
                    v(h + ".packet.socket_drops");
      received += v(h + ".packet.read");  // copies an analyzer read
      sent += v(t + ".segments_out") + optional(n + ".toe.segments_out");  // the offload engine's too
      received += v(n + ".rx_steered");                                 // ACKs the engine took
      received += v(t + ".segments_in") + v(t + ".dropped_malformed");  // consumed by the stack
      received -= static_cast<int64_t>(host->tcp().frames_queued());    // still queued: inside
    }
    const auto inside = static_cast<int64_t>(ctx.frames().live());
    if (sent + copies == received + lost + nic_drops + mac_drops + switch_drops + host_drops + inside)
      return std::string();
    return fmt::format(
        "{}: sent {} + copies {} != read {} + lost on the wire {} + NIC drops {} + MAC drops {} + switch drops {} + "
        "socket/stray drops {} + still inside {}",
        platform, sent, copies, received, lost, nic_drops, mac_drops, switch_drops, host_drops, inside);
  });
}

template void HostWorkloads::build<FixedHostNames>(const Scenario&);
template void HostWorkloads::build<GroupHostNames>(const Scenario&);
template void check_host_workloads<FixedHostNames>(const Scenario&, const HostNameCheck&,
                                                   const HostCores&, const HostCores&, int64_t, const std::string&,
                                                   std::vector<InputError>&);
template void check_host_workloads<GroupHostNames>(const Scenario&, const HostNameCheck&,
                                                   const HostCores&, const HostCores&, int64_t, const std::string&,
                                                   std::vector<InputError>&);

}  // namespace hostwire
