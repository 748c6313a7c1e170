#include "platforms/two_hosts.h"

#include <stdexcept>

#include "net/frame.h"
#include "wire/ethernet_timing.h"
#include "wire/link_faults.h"

namespace hostwire {

namespace {
constexpr const char* kDirections[] = {"link0.a_to_b.", "link0.b_to_a."};
constexpr const char* kHosts[] = {"host_a", "host_b"};
constexpr uint16_t kFirstSourcePort = 49152;  // the dynamic port range (RFC 6335)
constexpr uint16_t kSinkPort = 5001;          // iperf's

// UDP payload -> Ethernet frame with FCS: 8 B UDP + 20 B IPv4 + 14 B Ethernet + 4 B FCS.
constexpr int64_t kUdpFrameOverhead = 8 + 20 + wire::kEthernetHeaderBytes + wire::kFcsBytes;

wire::FaultParams valid_faults(const Scenario& s, const std::string& prefix) {
  auto keys = bind_params<wire::ChannelFaultKeys>(s.values, prefix);
  wire::FaultParams f;
  std::string key, problem;
  if (!keys.to_fault_params(f, key, problem)) throw std::invalid_argument(prefix + key + ": " + problem);
  return f;
}
}  // namespace

void TwoHosts::params(std::vector<ParamSpec>& out) {
  collect_schema<wire::LinkParams>(out, "link0.");
  for (const char* d : kDirections) collect_schema<wire::ChannelFaultKeys>(out, d);
  for (const char* h : kHosts) host_params(out, h);
}

std::vector<std::string> TwoHosts::taps() { return {"link0.a_to_b", "link0.b_to_a"}; }

void TwoHosts::cross_check(const Scenario& s, std::vector<InputError>& errors) {
  Captures::check(s, taps(), errors);
  for (const char* d : kDirections) {
    auto keys = bind_params<wire::ChannelFaultKeys>(s.values, d);
    wire::FaultParams f;
    std::string key, problem;
    if (!keys.to_fault_params(f, key, problem)) errors.push_back({s.at(d + key).origin, d + key, problem});
  }
  for (const char* h : kHosts) {
    auto nic = bind_params<nic::NicParams>(s.values, std::string(h) + ".nic.");
    if (auto k = nic.key(); !k) errors.push_back({s.at(std::string(h) + ".nic.rss_key").origin, std::string(h) + ".nic.rss_key", k.error()});
    if (nic.vnics * nic.rings_per_vnic > 1024) {
      const std::string key = std::string(h) + ".nic.rings_per_vnic";
      errors.push_back({s.at(key).origin, key, "vnics x rings_per_vnic exceeds the NIC's 1024 queue pairs"});
    }
  }
  const auto link = bind_params<wire::LinkParams>(s.values, "link0.");
  for (const auto& w : s.workloads) {
    if (w.type == "tcp_rr") {
      auto p = bind_params<TcpRrParams>(s.values, w.prefix());
      if (p.from == p.to)
        errors.push_back({s.at(w.prefix() + "to").origin, w.prefix() + "to", "client and server need two different hosts"});
      const auto cpu = bind_params<cpu::CpuParams>(s.values, p.from + ".cpu.");
      if (p.core >= cpu.cores)
        errors.push_back({s.at(w.prefix() + "core").origin, w.prefix() + "core",
                          "core " + std::to_string(p.core) + " but " + p.from + " has " + std::to_string(cpu.cores) +
                              " cores (" + p.from + ".cpu.cores)"});
      if (p.responses == "uniform" && p.response_size_max < p.response_size)
        errors.push_back({s.at(w.prefix() + "response_size_max").origin, w.prefix() + "response_size_max",
                          "is smaller than response_size"});
      continue;
    }
    if (w.type == "tcp_bulk") {
      auto p = bind_params<TcpBulkParams>(s.values, w.prefix());
      if (p.from == p.to)
        errors.push_back({s.at(w.prefix() + "to").origin, w.prefix() + "to", "a TCP flow needs two different hosts"});
      const auto cpu = bind_params<cpu::CpuParams>(s.values, p.from + ".cpu.");
      if (p.core >= cpu.cores)
        errors.push_back({s.at(w.prefix() + "core").origin, w.prefix() + "core",
                          "core " + std::to_string(p.core) + " but " + p.from + " has " + std::to_string(cpu.cores) +
                              " cores (" + p.from + ".cpu.cores)"});
      continue;
    }
    auto p = bind_params<UdpStreamParams>(s.values, w.prefix());
    auto fail = [&](const std::string& key, const std::string& problem) {
      errors.push_back({s.at(w.prefix() + key).origin, w.prefix() + key, problem});
    };
    if (p.from == p.to) fail("to", "a UDP stream needs two different hosts (from is '" + p.from + "')");
    if (p.payload.n + 28 > link.mtu.n)
      fail("payload", to_string(p.payload) + " + 28 B of UDP/IPv4 headers exceeds the " + to_string(link.mtu) +
                          " MTU of link0 (the path has no IP fragmentation)");
    const auto cpu = bind_params<cpu::CpuParams>(s.values, p.from + ".cpu.");
    if (p.threads > cpu.cores)
      fail("threads", std::to_string(p.threads) + " sender threads but " + p.from + " has " + std::to_string(cpu.cores) +
                          " cores (" + p.from + ".cpu.cores)");
    if (p.stop.ps > 0 && p.stop <= p.start) fail("stop", "is not after start");
  }
}

TwoHosts::TwoHosts(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx)
    : sc_module(name),
      captures_(ctx),
      link_("link0", ctx, bind_params<wire::LinkParams>(s.values, "link0."), valid_faults(s, kDirections[0]),
            valid_faults(s, kDirections[1])) {
  const auto link = bind_params<wire::LinkParams>(s.values, "link0.");
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes;
  a_ = std::make_unique<Host>("host_a", ctx, bind_host_params(s.values, "host_a"), 1, max_frame);
  b_ = std::make_unique<Host>("host_b", ctx, bind_host_params(s.values, "host_b"), 2, max_frame);
  auto neighbours = [this](net::Ipv4Address ip) { return ip == a_->ip() ? a_->mac() : b_->mac(); };
  a_->set_neighbour(neighbours);
  b_->set_neighbour(neighbours);
  a_->nic().mac.tx.bind(link_.a_to_b.in);
  link_.a_to_b.out.bind(b_->nic().mac.rx);
  b_->nic().mac.tx.bind(link_.b_to_a.in);
  link_.b_to_a.out.bind(a_->nic().mac.rx);
  for (const auto& tap : Captures::requested(s)) {
    auto hook = captures_.open(tap);
    wire::LinkChannel& ch = tap == "link0.a_to_b" ? link_.a_to_b : link_.b_to_a;
    ch.on_transmit = [hook](const Packet& p, Time start) { hook(start, p); };
  }
  add_workloads(s, ctx);
  add_accounting(ctx);
  add_host_metrics(ctx, *a_);
  add_host_metrics(ctx, *b_);
}

void TwoHosts::add_workloads(const Scenario& s, SimContext& ctx) {
  // One payload buffer every datagram slices: no per-datagram payload bytes are copied.
  auto buf = std::make_shared<std::vector<uint8_t>>(65536);
  for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<uint8_t>(i * 131 + 7);
  payload_ = buf;
  std::vector<apps::UdpFlowStats> rx(s.workloads.size());
  bool receives_udp[2] = {false, false};
  auto& st = ctx.stats();
  for (uint32_t wi = 0; wi < s.workloads.size(); ++wi) {
    const auto& w = s.workloads[wi];
    const std::string pre = w.prefix();
    if (w.type == "tcp_bulk") {
      add_tcp_bulk(s, ctx, wi);
      continue;
    }
    if (w.type == "tcp_rr") {
      add_tcp_rr(s, ctx, wi);
      continue;
    }
    auto p = bind_params<UdpStreamParams>(s.values, pre);
    Host& from = p.from == "host_a" ? *a_ : *b_;
    Host& to = p.to == "host_a" ? *a_ : *b_;
    Counter& sent = st.counter(pre + "tx_datagrams", "datagrams", "datagrams handed to the sender's NIC");
    sent_.push_back(&sent);
    apps::UdpFlowStats& r = rx[wi];
    r.datagrams = &st.counter(pre + "rx_datagrams", "datagrams", "datagrams the receiving threads read");
    r.bytes = &st.counter(pre + "rx_bytes", "B", "UDP payload bytes the receiving threads read");
    r.latency = &st.histogram(pre + "latency", "ps", "one-way latency: send call done until the receive call returned it");
    received_.push_back(r.datagrams);
    const Counter* bytes = r.bytes;
    const Counter* dgrams = r.datagrams;
    const int64_t overhead = kUdpFrameOverhead;
    st.formula(pre + "rx_goodput", "bit/s", "UDP payload bits read per second",
               [bytes] { return static_cast<double>(bytes->value()) * 8 / hostwire::now().seconds(); });
    st.formula(pre + "rx_throughput", "bit/s", "frame bits (with FCS) of the datagrams read, per second",
               [bytes, dgrams, overhead] {
                 return static_cast<double>(bytes->value() + dgrams->value() * static_cast<uint64_t>(overhead)) * 8 /
                        hostwire::now().seconds();
               });
    st.formula(pre + "rx_datagram_rate", "datagrams/s", "datagrams read per second",
               [dgrams] { return static_cast<double>(dgrams->value()) / hostwire::now().seconds(); });
    st.series(pre + "rx_goodput", "bit/s", [bytes, last = uint64_t{0}, last_t = int64_t{0}]() mutable {
      const int64_t t = hostwire::now().ps;
      const double v = t > last_t ? static_cast<double>(bytes->value() - last) * 8e12 / static_cast<double>(t - last_t) : 0;
      last = bytes->value(), last_t = t;
      return v;
    });

    // Flows: distinct source ports, spread by RSS on the receiver.
    std::vector<kernel::UdpFlow> flows;
    const auto slice = PayloadSlice{payload_, 0, static_cast<uint32_t>(p.payload.n)};
    for (int64_t f = 0; f < p.flows; ++f)
      flows.push_back({static_cast<uint16_t>(kFirstSourcePort + f % 16384), to.ip(), kSinkPort, wi});
    receives_udp[p.to == "host_a" ? 0 : 1] = true;
    const int64_t frame_bits = (p.payload.n + kUdpFrameOverhead) * 8;
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
      us.seed_stream = static_cast<uint64_t>(th);
      if (p.count > 0 && us.count == 0) continue;
      udp_senders_.push_back(std::make_unique<apps::UdpStreamSender>(ctx, from.sockets(), us, sent));
    }
  }
  Host* hosts[] = {a_.get(), b_.get()};
  for (int h = 0; h < 2; ++h)
    if (receives_udp[h])
      udp_receivers_.push_back(std::make_unique<apps::UdpReceiver>(
          hosts[h]->sockets(), kSinkPort, static_cast<uint32_t>(hosts[h]->params().udp.recv_batch), rx));
}

void TwoHosts::add_tcp_bulk(const Scenario& s, SimContext& ctx, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<TcpBulkParams>(s.values, pre);
  Host& from = p.from == "host_a" ? *a_ : *b_;
  Host& to = p.to == "host_a" ? *a_ : *b_;
  const auto port = static_cast<uint16_t>(5201 + wi);  // iperf3's, one per workload
  sinks_.push_back(std::make_unique<apps::TcpSink>(ctx, to.sockets(), port, static_cast<uint32_t>(p.read_size.n), pre));
  apps::TcpSink* sink = sinks_.back().get();
  apps::TcpBulkSender::Config bc;
  bc.peer = to.ip();
  bc.port = port;
  bc.core = static_cast<int>(p.core);
  bc.bytes = static_cast<uint64_t>(p.bytes.n);
  bc.write_size = static_cast<uint32_t>(p.write_size.n);
  bc.start = p.start;
  bulk_senders_.push_back(std::make_unique<apps::TcpBulkSender>(ctx, from.sockets(), bc, pre));
  apps::TcpBulkSender* sp = bulk_senders_.back().get();
  auto& st = ctx.stats();
  const Counter* rx = ctx.stats().find_counter(pre + "rx_bytes");
  st.formula(pre + "rx_goodput", "bit/s", "application bytes read per second, in bits",
             [rx] { return static_cast<double>(rx->value()) * 8 / hostwire::now().seconds(); });
  st.formula(pre + "rx_throughput", "bit/s", "application bytes read per second, in bits (as rx_goodput)",
             [rx] { return static_cast<double>(rx->value()) * 8 / hostwire::now().seconds(); });
  st.series(pre + "rx_goodput", "bit/s", [rx, last = uint64_t{0}, last_t = int64_t{0}]() mutable {
    const int64_t t = hostwire::now().ps;
    const double v = t > last_t ? static_cast<double>(rx->value() - last) * 8e12 / static_cast<double>(t - last_t) : 0;
    last = rx->value(), last_t = t;
    return v;
  });
  const tcp::Connection* c = sp->socket().conn().tcp.get();
  st.series(pre + "cwnd", "B", [c] { return static_cast<double>(c->cwnd()); });
  st.series(pre + "srtt", "s", [c] { return c->srtt().seconds(); });
  st.formula(pre + "cwnd", "B", "sender's congestion window at the end", [c] { return static_cast<double>(c->cwnd()); });
  st.formula(pre + "srtt", "s", "sender's smoothed RTT at the end", [c] { return c->srtt().seconds(); });
  st.formula(pre + "retransmitted_segments", "segments", "segments the sender retransmitted",
             [c] { return static_cast<double>(c->retransmitted_segments()); });
  st.series(pre + "retransmitted_segments", "segments", [c] { return static_cast<double>(c->retransmitted_segments()); });
  st.formula(pre + "fast_retransmits", "episodes", "loss recoveries entered on duplicate ACKs or SACK",
             [c] { return static_cast<double>(c->fast_retransmits()); });
  st.formula(pre + "timeouts", "timeouts", "retransmission timeouts", [c] { return static_cast<double>(c->timeouts()); });
  // The receiver's digest equals the sender's over the same bytes: checked when the run ends.
  ctx.add_invariant([sp, sink, pre] {
    if (sink->read() != sp->written() || sp->written() == 0 || !sink->digest()) return std::string();
    if (sink->digest()->value() == sp->digest().value()) return std::string();
    return fmt::format("{}: the receiver read the {} bytes the sender wrote, but their digests differ", pre, sink->read());
  });
  st.formula(pre + "stream_intact", "", "1 when the receiver has read every byte written and the digests match, else 0",
             [sp, sink] {
               return sink->digest() && sink->read() == sp->written() && sink->digest()->value() == sp->digest().value()
                          ? 1.0
                          : 0.0;
             });
}

void TwoHosts::add_tcp_rr(const Scenario& s, SimContext& ctx, uint32_t wi) {
  const std::string pre = s.workloads[wi].prefix();
  auto p = bind_params<TcpRrParams>(s.values, pre);
  Host& client = p.from == "host_a" ? *a_ : *b_;
  Host& server = p.to == "host_a" ? *a_ : *b_;
  const auto port = static_cast<uint16_t>(5201 + wi);
  apps::SizeDistribution d;
  d.kind = p.responses == "exponential" ? apps::SizeDistribution::Kind::exponential
           : p.responses == "uniform"   ? apps::SizeDistribution::Kind::uniform
                                        : apps::SizeDistribution::Kind::fixed;
  d.size = static_cast<uint32_t>(p.response_size.n);
  d.size_max = static_cast<uint32_t>(p.response_size_max.n);
  rr_servers_.push_back(std::make_unique<apps::TcpRrServer>(ctx, server.sockets(), port, d, p.echo, pre));
  apps::TcpRrClient::Config cc;
  cc.server = server.ip();
  cc.port = port;
  cc.core = static_cast<int>(p.core);
  cc.request_size = static_cast<uint32_t>(p.request_size.n);
  cc.rate = p.rate;
  cc.concurrency = p.concurrency;
  cc.start = p.start;
  cc.stop = p.stop;
  rr_clients_.push_back(std::make_unique<apps::TcpRrClient>(ctx, client.sockets(), cc, pre));
  const apps::TcpRrClient& c = *rr_clients_.back();
  const Counter* answered = &c.answered();
  const Counter* rx = &c.bytes();
  auto& st = ctx.stats();
  st.formula(pre + "response_rate", "responses/s", "responses completed per second",
             [answered] { return static_cast<double>(answered->value()) / hostwire::now().seconds(); });
  st.formula(pre + "rx_throughput", "bit/s", "response bytes the client read per second, in bits",
             [rx] { return static_cast<double>(rx->value()) * 8 / hostwire::now().seconds(); });
  const tcp::Connection* conn = &c.tcp();
  st.series(pre + "cwnd", "B", [conn] { return static_cast<double>(conn->cwnd()); });
  st.series(pre + "srtt", "s", [conn] { return conn->srtt().seconds(); });
  st.formula(pre + "retransmitted_segments", "segments", "segments the client retransmitted",
             [conn] { return static_cast<double>(conn->retransmitted_segments()); });
}

void TwoHosts::add_host_metrics(SimContext& ctx, Host& h) {
  // Cost per byte: every busy cycle of the host's cores over the bytes its applications moved.
  const std::string n = h.host_name();
  const cpu::Cpu* cpu = &h.cpu();
  const kernel::TcpStack* tcp = &h.tcp();
  const double hz = static_cast<double>(cpu->params().clock.hz);
  auto& st = ctx.stats();
  st.formula(n + ".cycles_per_byte_sent", "cycles/B", "busy cycles of all cores per byte the applications wrote (TCP)",
             [cpu, tcp, hz] {
               const double b = static_cast<double>(tcp->app_bytes_written());
               return b > 0 ? cpu->busy_time().seconds() * hz / b : 0.0;
             });
  st.formula(n + ".cycles_per_byte_received", "cycles/B", "busy cycles of all cores per byte the applications read (TCP)",
             [cpu, tcp, hz] {
               const double b = static_cast<double>(tcp->app_bytes_read());
               return b > 0 ? cpu->busy_time().seconds() * hz / b : 0.0;
             });
}

void TwoHosts::add_accounting(SimContext& ctx) {
  // Every datagram sent was read, dropped for a named reason, or is still inside (a ring, the
  // NIC, the wire, a socket); mirrors and wire duplicates are extra copies.
  ctx.add_invariant([this, &ctx] {
    const StatsRegistry& st = ctx.stats();
    auto v = [&](const std::string& k) { return static_cast<int64_t>(st.value(k)); };
    int64_t sent = 0, received = 0;
    for (const Counter* c : sent_) sent += static_cast<int64_t>(c->value());
    for (const Counter* c : received_) received += static_cast<int64_t>(c->value());
    int64_t copies = 0, lost = 0, nic_drops = 0, host_drops = 0, mac_drops = 0;
    for (const char* d : {"link0.a_to_b", "link0.b_to_a"}) {
      const std::string p = d;
      copies += v(p + ".duplicated");
      lost += v(p + ".dropped_loss") + v(p + ".dropped_burst") + v(p + ".dropped_link_down");
    }
    for (const char* h : kHosts) {
      const std::string n = std::string(h) + ".nic";
      copies += v(n + ".rx_mirrored");
      nic_drops += v(n + ".rx_dropped_rule") + v(n + ".rx_dropped_ring_full") + v(n + ".tx_dropped_oversize");
      mac_drops += v(n + ".mac.rx_fcs_errors") + v(n + ".mac.rx_oversize") + v(n + ".mac.tx_queue_drops");
      host_drops += v(std::string(h) + ".udp.socket_drops") + v(std::string(h) + ".udp.stray") +
                    v(std::string(h) + ".ip.dropped_not_ours") + v(std::string(h) + ".ip.dropped_malformed") +
                    v(std::string(h) + ".ip.dropped_protocol");
    }
    for (const char* h : kHosts) {
      const std::string n = std::string(h) + ".nic";
      copies += v(n + ".tx_tso_segments") - v(n + ".tx_tso_frames");  // one super-frame became several
      const std::string t = std::string(h) + ".tcp";
      sent += v(t + ".segments_out");
      received += v(t + ".segments_in") + v(t + ".dropped_malformed");  // consumed by the stack
    }
    received -= static_cast<int64_t>(a_->tcp().frames_queued() + b_->tcp().frames_queued());  // still queued: inside
    const auto inside = static_cast<int64_t>(ctx.frames().live());
    if (sent + copies == received + lost + nic_drops + mac_drops + host_drops + inside) return std::string();
    return fmt::format(
        "two_hosts: sent {} + copies {} != read {} + lost on the wire {} + NIC drops {} + MAC drops {} + socket/stray "
        "drops {} + still inside {}",
        sent, copies, received, lost, nic_drops, mac_drops, host_drops, inside);
  });
}

}  // namespace hostwire
