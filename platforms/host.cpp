#include "platforms/host.h"

#include <algorithm>
#include <set>
#include <type_traits>

#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/tcp.h"
#include "nic/rule_params.h"

namespace hostwire {

namespace {
// The host's bus address map.
constexpr uint64_t kMemoryBytes = 0xc000'0000;  // 3 GiB of DRAM at address 0
constexpr uint64_t kNicBar = 0xf000'0000;
constexpr uint64_t kNicBarBytes = 0x1'0000;
constexpr uint64_t kApic = 0xfee0'0000;  // where MSI-X messages are written (x86 LAPIC window)
constexpr uint64_t kApicBytes = 0x1000;
// Values that follow from others, set once here: TCP's MSS from the MTU, its TSO size from
// the NIC (TSO is one switch, nic.tso).
HostParams derived(HostParams p, int64_t max_frame_bytes) {
  const int64_t mtu = max_frame_bytes - static_cast<int64_t>(net::kEthernetHeaderBytes);
  p.tcp.mss = Bytes{mtu - static_cast<int64_t>(net::kIpv4MinHeaderBytes) - static_cast<int64_t>(net::kTcpMinHeaderBytes)};
  // TSO needs the NIC to checksum each segment it cuts (Linux drops NETIF_F_TSO without checksum offload).
  p.nic.tso = p.nic.tso && p.driver.tx_checksum_offload;
  p.tcp.tso_max = p.nic.tso ? p.nic.tso_max_size : Bytes{0};
  return p;
}
}  // namespace

void host_params(std::vector<ParamSpec>& out, const std::string& h) {
  HostParams p;
  p.parts([&](auto& part, const char* key) { collect_schema<std::decay_t<decltype(part)>>(out, h + "." + key); });
}

void check_nic_rules(const ParamValue& list, const std::string& key, const std::vector<nic::RuleParams>& rules,
                     int64_t vnics, int64_t rings_per_vnic, const std::string& vnics_key, std::vector<InputError>& errors) {
  // Each item's text fields, and its targets against the NIC's VNICs and rings.
  auto item_error = [&](size_t i, const std::string& field, const std::string& problem) {
    errors.push_back(list_item_error(list, key, i, field, problem));
  };
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    std::string field, problem;
    if (!nic::plan_rule(r, field, problem)) {
      item_error(i, field, problem);
      continue;
    }
    const int64_t rings = vnics * rings_per_vnic;
    if (r.action == "to_vnic" && r.target >= vnics)
      item_error(i, "target", fmt::format("VNIC {} but the NIC has {} ({})", r.target, vnics, vnics_key));
    if (r.action == "to_ring" && r.target >= rings)
      item_error(i, "target", fmt::format("RX ring {} but the NIC has {} (vnics x rings_per_vnic)", r.target, rings));
    if (r.mirror >= vnics)
      item_error(i, "mirror", fmt::format("VNIC {} but the NIC has {} ({})", r.mirror, vnics, vnics_key));
  }
}

void check_host_params(const Scenario& s, const std::string& prefix, int64_t cores, const std::string& cores_key,
                       std::vector<InputError>& errors, bool rules, bool check_rules, int64_t vnics) {
  const auto par = bind_params<kernel::ParallelParams>(s.values, prefix + "tcp.parallel.");
  const std::string first = prefix + "tcp.parallel.first_core", pes = prefix + "tcp.parallel.pes";
  if (par.first_core >= cores)
    errors.push_back({s.at(first).origin, first,
                      fmt::format("core {} but the host has {} cores ({})", par.first_core, cores, cores_key)});
  if (par.pes > cores)
    errors.push_back({s.at(pes).origin, pes,
                      fmt::format("{} processing elements but the host has {} cores ({}): each PE is a core of its own",
                                  par.pes, cores, cores_key)});
  if (!rules) return;  // what follows depends on the prefix only: once per prefix
  // The offload engine and parallel send each take a conn's send path: one at a time.
  const auto toe = bind_params<toe::ToeParams>(s.values, prefix + "nic.toe.");
  if (toe.enabled) {
    const std::string enabled = prefix + "nic.toe.enabled";
    if (par.pes > 0)
      errors.push_back({s.at(enabled).origin, enabled,
                        fmt::format("the offload engine and parallel send ({} = {}) both take the conns' send path; "
                                    "use one", pes, par.pes)});
    const auto tcp = bind_params<tcp::TcpParams>(s.values, prefix + "tcp.");
    const std::string block = prefix + "nic.toe.min_block";
    if (toe.min_block.n > tcp.sndbuf.n)
      errors.push_back({s.at(block).origin, block,
                        fmt::format("{} B but a conn holds at most {} B ({}tcp.sndbuf): no conn would be offloaded",
                                    toe.min_block.n, tcp.sndbuf.n, prefix)});
  }
  const auto nic = bind_params<nic::NicParams>(s.values, prefix + "nic.");
  if (check_rules) {
    const std::string rules_key = prefix + "nic.rules";
    check_nic_rules(s.at(rules_key), rules_key, nic.rules, nic.vnics, nic.rings_per_vnic, prefix + "nic.vnics", errors);
  }
  const int64_t most_vnics = vnics > 0 ? vnics : nic.vnics;
  const std::string overrides_key = prefix + "nic.vnic_overrides";
  const ParamValue& overrides = s.at(overrides_key);
  std::set<int64_t> seen;
  for (size_t i = 0; i < nic.vnic_overrides.size(); ++i) {
    const int64_t v = nic.vnic_overrides[i].vnic;
    if (v >= most_vnics)
      errors.push_back(list_item_error(overrides, overrides_key, i, "vnic",
                                       fmt::format("VNIC {} but the NICs have at most {}", v, most_vnics)));
    else if (!seen.insert(v).second)
      errors.push_back(list_item_error(overrides, overrides_key, i, "vnic", fmt::format("VNIC {} is set twice", v)));
  }
}

void check_erspan_targets(const ParamValue& list, const std::string& key, const std::vector<nic::RuleParams>& rules,
                          const std::vector<net::Ipv4Address>& addresses, std::vector<InputError>& errors) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto to = net::parse_ipv4(rules[i].erspan_to);
    if (!to || std::find(addresses.begin(), addresses.end(), *to) != addresses.end()) continue;
    std::string known;
    for (size_t a = 0; a < addresses.size() && a < 4; ++a) known += (a ? ", " : "") + net::to_string(addresses[a]);
    errors.push_back(list_item_error(list, key, i, "erspan_to",
                                     fmt::format("{} is no VNIC's address (VNIC v of the host at port i is 10.v.<i/256>."
                                                 "<i%256>: {}{})",
                                                 rules[i].erspan_to, known, addresses.size() > 4 ? ", ..." : "")));
  }
}

HostParams bind_host_params(const ParamValues& values, const std::string& h) {
  HostParams p;
  p.parts([&](auto& part, const char* key) { part = bind_params<std::decay_t<decltype(part)>>(values, h + "." + key); });
  return p;
}

Host::Host(sc_core::sc_module_name name, SimContext& ctx, const HostParams& params, uint16_t index,
           int64_t max_frame_bytes)
    : sc_module(name),
      ctx_(ctx),
      p_(derived(params, max_frame_bytes)),
      name_(basename()),
      index_(index),
      mac_(vnic_mac(0)),
      ip_(vnic_ip(0)),
      cpu_("cpu", ctx, params.cpu, name_ + ".cpu"),
      bus_("bus", ctx, params.bus, name_ + ".bus"),
      memory_("memory", ctx, params.memory, name_ + ".memory", kMemoryBytes),
      apic_("apic", ctx, Time{}, name_ + ".apic"),
      syscalls_(ctx.stats().counter(name_ + ".syscalls", "calls", "system calls made by the host's threads")) {
  std::vector<net::MacAddress> vnic_macs;
  for (int v = 0; v < p_.nic.vnics; ++v) vnic_macs.push_back(vnic_mac(v));
  nic::NicMemoryMap map;
  map.msix = kApic;
  // The descriptor rings in host memory: the NIC and the driver share them, and otherwise meet
  // only over the bus (doorbells and unmasks, MSI-X).
  rings_ = std::make_unique<nic::DescriptorRings>(p_.nic, map);
  nic_ = std::make_unique<nic::Nic>("nic", ctx, p_.nic, name_ + ".nic", max_frame_bytes, vnic_macs, *rings_);
  driver_ = std::make_unique<kernel::Driver>("driver", ctx, p_.driver, cpu_, *rings_, kNicBar,
                                            static_cast<int>(p_.nic.vnics), name_);

  nic_->dma.bind(bus_.in);
  driver_->mmio.bind(bus_.in);
  bus_.out.bind(memory_.in);
  bus_.out.bind(nic_->registers.in);
  bus_.out.bind(apic_.in);
  bus_.map(0, kMemoryBytes, 0, "memory", bus::Side::host);
  bus_.map(kNicBar, kNicBarBytes, 1, "nic registers", bus::Side::device);
  bus_.map(kApic, kApicBytes, 2, "interrupt controller", bus::Side::host);
  for (int v = 0; v < nic_->rings(); ++v)
    apic_.on_write(4 * static_cast<uint64_t>(v), [this, v](uint64_t, Time at) { driver_->msi(v, at); });

  auto neighbour = [this](net::Ipv4Address a) {
    return neighbour_ ? neighbour_(a) : net::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  };
  ip_layer_ = std::make_unique<kernel::IpLayer>(ctx, ip_, name_);
  udp_ = std::make_unique<kernel::UdpLayer>(ctx, p_.udp, p_.kernel, cpu_, *driver_, ip_, mac_, neighbour, syscalls_,
                                            name_);
  kernel::HostPort port;
  port.cpu = &cpu_;
  port.ip = ip_;
  port.mac = mac_;
  port.neighbour = neighbour;
  port.transmit = [this](Frame* f, int core, uint16_t mss, kernel::Conn* c) { ip_layer_->output(f, core, mss, c); };
  port.flush = [this](int core) { ip_layer_->flush(core); };
  port.checksum_offload = p_.driver.tx_checksum_offload;
  port.tx_descriptor = p_.driver.tx_descriptor;
  port.syscalls = &syscalls_;
  if (p_.toe.enabled) {
    // The offload engine beside the NIC: its DMA port, its transmit buffer, its ACK steering.
    toe_ = std::make_unique<toe::OffloadEngine>("toe", ctx, p_.toe, nic_->dma_port(), nic_->tx(), map.tx_buffers,
                                                name_ + ".nic.toe");
    toe::OffloadEngine* engine = toe_.get();
    nic_->rx().set_steer([engine](const Packet& p) { return engine->steer(p); });
    nic_->on_tx_space([engine] { engine->tx_space(); });
    port.toe = engine;
    port.toe_params = p_.toe;
  }
  stack_ = std::make_unique<kernel::TcpStack>("tcp", ctx, p_.kernel, p_.tcp, p_.parallel, std::move(port), threads_, name_ + ".tcp");
  ip_layer_->attach(stack_.get(), udp_.get(), driver_.get());
  if (toe_) toe_->on_completion = [this](toe::Completion done) { stack_->toe_completion(std::move(done)); };
  driver_->on_tx_freed([this](kernel::Conn& c, int64_t) { stack_->tx_freed(c); });
  // The host's IP layer consumes VNIC 0's netdev; further VNICs stay unbound until a consumer
  // (a capture, a second destination) binds them.
  driver_->set_consumer(0, kernel::NetdevConsumer{
      [this](const Frame& f) { return ip_layer_->poll_cycles(f); },
      [this](Frame* f, int core, int) { ip_layer_->receive(f, core); },
      [this](int core) { ip_layer_->poll_end(core); },
  });
  sockets_ = std::make_unique<kernel::Sockets>(*stack_, *udp_, threads_, ip_);
  packet_ = std::make_unique<kernel::PacketLayer>(ctx, cpu_, *driver_, p_.packet, &syscalls_, name_);
  sockets_->set_packet_layer(packet_.get());
  sockets_->set_http([this](uint16_t port) -> http::Door& {
    if (!http_) http_ = std::make_unique<http::HttpModule>(*stack_, p_.http, name_ + ".http");
    return http_->bind(port);
  });

  auto& st = ctx.stats();
  st.formula(name_ + ".syscall_rate", "calls/s", "system calls per second",
             [this] { return static_cast<double>(syscalls_.value()) / hostwire::now().seconds(); });
  const Counter* irqs = &driver_->interrupts();
  st.formula(name_ + ".interrupt_rate", "interrupts/s", "NIC interrupts handled per second",
             [irqs] { return static_cast<double>(irqs->value()) / hostwire::now().seconds(); });
}

Host::~Host() = default;

void Host::set_neighbour(std::function<net::MacAddress(net::Ipv4Address)> f) {
  neighbour_ = std::move(f);
  nic_->resolve_remote_mirrors(ip_, [this](net::Ipv4Address a) -> std::optional<net::MacAddress> {
    const net::MacAddress mac = neighbour_(a);
    if (mac == net::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) return std::nullopt;
    return mac;
  });
}

net::MacAddress Host::vnic_mac(int vnic) const {
  return {0x02, 0, 0, static_cast<uint8_t>(index_ >> 8), static_cast<uint8_t>(index_), static_cast<uint8_t>(vnic)};
}

net::Ipv4Address host_vnic_ip(uint16_t index, int vnic) {
  return net::Ipv4Address::from_octets(10, static_cast<uint8_t>(vnic), static_cast<uint8_t>(index >> 8),
                                       static_cast<uint8_t>(index));
}

net::Ipv4Address Host::vnic_ip(int vnic) const { return host_vnic_ip(index_, vnic); }

std::optional<net::MacAddress> Host::mac_of(net::Ipv4Address ip) const {
  for (int v = 0; v < p_.nic.vnics; ++v)
    if (vnic_ip(v) == ip) return vnic_mac(v);
  return std::nullopt;
}

}  // namespace hostwire
