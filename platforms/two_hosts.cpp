#include "platforms/two_hosts.h"

#include <stdexcept>

#include "net/frame.h"
#include "wire/ethernet_timing.h"
#include "wire/link_faults.h"

namespace hostwire {

namespace {
constexpr const char* kDirections[] = {"link0.a_to_b.", "link0.b_to_a."};
constexpr const char* kHosts[] = {"host_a", "host_b"};

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

// The link's taps and each host's (platforms/capture.h); host_b.mac.rx with link0.b_to_a is
// what a capture on host_b's port holds.
std::vector<std::string> TwoHosts::taps(const Scenario& s) {
  auto t = Captures::link_taps("link0");
  for (const char* h : kHosts)
    for (auto& x : Captures::host_taps(h, bind_params<nic::NicParams>(s.values, std::string(h) + ".nic.").vnics))
      t.push_back(std::move(x));
  return t;
}

void TwoHosts::cross_check(const Scenario& s, std::vector<InputError>& errors) {
  Captures::check(s, taps(s), errors);
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
  auto names = [](const std::string&) { return std::string(); };  // a choice: the loader checked it
  auto cores = [&s](const std::string& host) {
    return std::pair{bind_params<cpu::CpuParams>(s.values, host + ".cpu.").cores, host + ".cpu.cores"};
  };
  auto vnics = [&s](const std::string& host) {
    return std::pair{bind_params<nic::NicParams>(s.values, host + ".nic.").vnics, host + ".nic.vnics"};
  };
  check_host_workloads<FixedHostNames>(s, names, cores, vnics, link.mtu.n, "link0", errors);
  std::vector<net::Ipv4Address> vnic_addresses;
  for (uint16_t i = 0; i < 2; ++i)
    for (int v = 0; v < bind_params<nic::NicParams>(s.values, std::string(kHosts[i]) + ".nic.").vnics; ++v)
      vnic_addresses.push_back(host_vnic_ip(static_cast<uint16_t>(i + 1), v));
  for (const char* h : kHosts) {
    const auto [n, key] = cores(h);
    check_host_params(s, std::string(h) + ".", n, key, errors);
    const std::string rules = std::string(h) + ".nic.rules";
    check_erspan_targets(s.at(rules), rules, bind_params<nic::NicParams>(s.values, std::string(h) + ".nic.").rules,
                         vnic_addresses, errors);
  }
}

TwoHosts::TwoHosts(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx)
    : sc_module(name),
      captures_(ctx),
      link_("link0", ctx, bind_params<wire::LinkParams>(s.values, "link0."), valid_faults(s, kDirections[0]),
            valid_faults(s, kDirections[1])),
      workloads_(ctx, [this](const std::string& name) {
        return std::vector<Host*>{name == "host_a" ? a_.get() : b_.get()};
      }) {
  const auto link = bind_params<wire::LinkParams>(s.values, "link0.");
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes;
  a_ = std::make_unique<Host>("host_a", ctx, bind_host_params(s.values, "host_a"), 1, max_frame);
  b_ = std::make_unique<Host>("host_b", ctx, bind_host_params(s.values, "host_b"), 2, max_frame);
  auto neighbours = [this](net::Ipv4Address ip) {
    for (const Host* h : {a_.get(), b_.get()})
      if (auto mac = h->mac_of(ip)) return *mac;
    return net::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  };
  a_->set_neighbour(neighbours);
  b_->set_neighbour(neighbours);
  a_->nic().mac.tx.bind(link_.a_to_b.in);
  link_.a_to_b.out.bind(b_->nic().mac.rx);
  b_->nic().mac.tx.bind(link_.b_to_a.in);
  link_.b_to_a.out.bind(a_->nic().mac.rx);
  for (const auto& tap : Captures::requested(s)) {
    auto hook = captures_.open(tap);
    Captures::attach_link(tap, "link0", link_, hook) || Captures::attach_host(tap, *a_, hook) ||
        Captures::attach_host(tap, *b_, hook);
  }
  workloads_.build<FixedHostNames>(s);
  add_accounting(ctx);
  workloads_.add_host_metrics(*a_);
  workloads_.add_host_metrics(*b_);
}

void TwoHosts::add_accounting(SimContext& ctx) {
  add_frame_accounting(ctx, kName, {a_.get(), b_.get()}, {"link0.a_to_b", "link0.b_to_a"}, {}, workloads_);
}

}  // namespace hostwire
