#include "platforms/star.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "wire/ethernet_timing.h"

namespace hostwire {

namespace {
constexpr const char* kSwitch = "switch0";

// "client[3]" -> ("client", 3); anything else -> (name, -1).
std::pair<std::string, int> split_index(const std::string& name) {
  const auto open = name.find('[');
  if (open == std::string::npos || name.back() != ']' || open + 2 > name.size() - 1) return {name, -1};
  const std::string digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6)
    return {name, -1};
  return {name.substr(0, open), std::stoi(digits)};
}
}  // namespace

std::vector<Star::Member> Star::members(const StarParams& p) {
  std::vector<Member> out;
  for (size_t g = 0; g < p.hosts.size(); ++g) {
    const HostGroup& hg = p.hosts[g];
    for (int i = 0; i < hg.count; ++i)
      out.push_back({hg.count == 1 ? hg.name : hg.name + std::to_string(i), g, i});
  }
  return out;
}

void Star::params(std::vector<ParamSpec>& out) {
  collect_schema<StarParams>(out, "");
  collect_schema<wire::SwitchParams>(out, std::string(kSwitch) + ".");
  collect_schema<wire::LinkParams>(out, "link.");
  host_params(out, "host");
}

void Star::cross_check(const Scenario& s, std::vector<InputError>& errors) {
  const auto p = bind_params<StarParams>(s.values, "");
  const ParamValue& list = s.at("hosts");
  auto item_error = [&](size_t i, const std::string& field, const std::string& problem) {
    errors.push_back(list_item_error(list, "hosts", i, field, problem));
  };
  if (p.hosts.empty()) errors.push_back({list.origin, "hosts", "a star needs at least one host group"});
  std::set<std::string> groups;
  std::set<size_t> repeated;
  for (size_t i = 0; i < p.hosts.size(); ++i) {
    const std::string& n = p.hosts[i].name;
    if (n.empty() || n.find_first_of("[]. ") != std::string::npos)
      item_error(i, "name", "'" + n + "' is not a host name (letters, digits, '_' or '-')");
    else if (!groups.insert(n).second) {
      item_error(i, "name", "a second group named '" + n + "'");
      repeated.insert(i);
    }
  }
  const auto all = members(p);
  std::set<std::string> names;
  for (const auto& m : all)
    if (!names.insert(m.host).second && !repeated.count(m.group))
      item_error(m.group, "name", "host name '" + m.host + "' is taken by another group's host");
  if (all.size() > 1024) errors.push_back({list.origin, "hosts", fmt::format("{} hosts; the switch has at most 1024 ports", all.size())});
  const ParamValue& ports = s.at(std::string(kSwitch) + ".ports");
  if (ports.origin != "default" && ports.integer != static_cast<int64_t>(all.size()))
    errors.push_back({ports.origin, std::string(kSwitch) + ".ports",
                      fmt::format("the star gives the switch one port per host ({}); leave it unset", all.size())});

  std::vector<std::string> candidates(groups.begin(), groups.end());
  auto check_name = [&](const std::string& name) -> std::string {
    const auto [base, index] = split_index(name);
    for (size_t g = 0; g < p.hosts.size(); ++g) {
      if (p.hosts[g].name != base) continue;
      if (index >= p.hosts[g].count)
        return fmt::format("'{}': group '{}' has {} host(s), [0] to [{}]", name, base, p.hosts[g].count, p.hosts[g].count - 1);
      return {};
    }
    if (index < 0 && names.count(name)) return {};
    std::string why = "no host or group '" + name + "'";
    if (auto n = nearest(base, candidates)) why += " (did you mean '" + *n + "'?)";
    return why;
  };
  auto cores = [&](const std::string& name) {
    const auto base = split_index(name).first;
    for (const auto& g : p.hosts)
      if (g.name == base && g.cores > 0) return std::pair{g.cores, fmt::format("the hosts item of group '{}'", base)};
    return std::pair{bind_params<cpu::CpuParams>(s.values, "host.cpu.").cores, std::string("host.cpu.cores")};
  };
  const auto link = bind_params<wire::LinkParams>(s.values, "link.");
  // Captures: every link's, every host's and every switch port's (platforms/capture.h).
  std::vector<std::string> taps = Captures::switch_taps(kSwitch, static_cast<int64_t>(all.size()));
  const int64_t default_vnics = bind_params<nic::NicParams>(s.values, "host.nic.").vnics;
  for (const auto& m : all) {
    for (auto& t : Captures::link_taps("link_" + m.host)) taps.push_back(std::move(t));
    const int64_t v = m.group < p.hosts.size() && p.hosts[m.group].vnics > 0 ? p.hosts[m.group].vnics : default_vnics;
    for (auto& t : Captures::host_taps(m.host, v)) taps.push_back(std::move(t));
  }
  Captures::check(s, taps, errors);
  // A group's VNICs (and the key that set them), or host.nic.vnics.
  const auto host_nic = bind_params<nic::NicParams>(s.values, "host.nic.");
  auto vnics_key = [&](size_t g) {
    return p.hosts[g].vnics > 0 ? fmt::format("hosts[{}].vnics", g) : std::string("host.nic.vnics");
  };
  auto vnics_of = [&](const HostGroup& g) { return g.vnics > 0 ? g.vnics : host_nic.vnics; };
  auto vnics = [&](const std::string& name) {
    const auto base = split_index(name).first;
    for (size_t g = 0; g < p.hosts.size(); ++g)
      if (p.hosts[g].name == base) return std::pair{vnics_of(p.hosts[g]), vnics_key(g)};
    return std::pair{host_nic.vnics, std::string("host.nic.vnics")};
  };
  check_host_workloads<GroupHostNames>(s, check_name, cores, vnics, link.mtu.n, "the links (link.mtu)", errors);
  // A group's rules, or host.nic.rules; each group's rules against its own VNICs.
  int64_t most_vnics = 0;
  for (const auto& g : p.hosts) most_vnics = std::max(most_vnics, vnics_of(g));
  for (const auto& g : p.hosts) {
    const auto [n, key] = cores(g.name);
    check_host_params(s, "host.", n, key, errors, &g == &p.hosts.front(), false, most_vnics);
  }
  std::vector<net::Ipv4Address> vnic_addresses;
  for (size_t i = 0; i < all.size() && i < 65535; ++i)
    for (int v = 0; v < vnics_of(p.hosts[all[i].group]); ++v)
      vnic_addresses.push_back(host_vnic_ip(static_cast<uint16_t>(i + 1), v));
  std::set<std::string> reported;  // host.nic.rules serve several groups: each problem once
  for (size_t g = 0; g < p.hosts.size(); ++g) {
    const HostGroup& hg = p.hosts[g];
    const bool own = !hg.rules.empty();
    const std::string key = own ? fmt::format("hosts[{}].rules", g) : "host.nic.rules";
    const ParamValue& rules = own ? list.items[g].at("rules") : s.at("host.nic.rules");
    const int64_t rings = hg.rings > 0 ? hg.rings : host_nic.rings_per_vnic;
    std::vector<InputError> found;
    check_nic_rules(rules, key, own ? hg.rules : host_nic.rules, vnics_of(hg), rings, vnics_key(g), found);
    check_erspan_targets(rules, key, own ? hg.rules : host_nic.rules, vnic_addresses, found);
    for (auto& e : found)
      if (reported.insert(e.str()).second) errors.push_back(std::move(e));
  }
  // The server side of a workload is one host.
  for (const auto& w : s.workloads) {
    const std::string to = s.at(w.prefix() + "to").text;
    const auto [base, index] = split_index(to);
    for (const auto& g : p.hosts) {
      if (g.name != base) continue;
      if (index < 0 && g.count > 1)
        errors.push_back({s.at(w.prefix() + "to").origin, w.prefix() + "to",
                          fmt::format("'{}' is a group of {} hosts; name one ('{}[0]')", to, g.count, to)});
      break;
    }
  }
}

std::vector<Host*> Star::resolve(const std::string& name) const {
  const auto [base, index] = split_index(name);
  std::vector<Host*> out;
  for (size_t i = 0; i < members_.size(); ++i) {
    const Member& m = members_[i];
    const bool in_group = p_.hosts[m.group].name == base && (index < 0 || index == m.index);
    if (in_group || (index < 0 && m.host == name)) out.push_back(hosts_[i].get());
  }
  return out;
}

Star::Star(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx)
    : sc_module(name),
      p_(bind_params<StarParams>(s.values, "")),
      members_(members(p_)),
      captures_(ctx),
      workloads_(ctx, [this](const std::string& n) { return resolve(n); }) {
  auto sw = bind_params<wire::SwitchParams>(s.values, std::string(kSwitch) + ".");
  sw.ports = static_cast<int64_t>(members_.size());
  switch_ = std::make_unique<wire::Switch>(kSwitch, ctx, sw, kSwitch);
  const auto link = bind_params<wire::LinkParams>(s.values, "link.");
  const int64_t max_frame = link.mtu.n + wire::kEthernetHeaderBytes;
  const HostParams base = bind_host_params(s.values, "host");
  for (size_t i = 0; i < members_.size(); ++i) {
    const Member& m = members_[i];
    HostParams hp = base;
    const HostGroup& g = p_.hosts[m.group];
    if (g.cores > 0) hp.cpu.cores = g.cores;
    if (g.rings > 0) hp.nic.rings_per_vnic = g.rings;
    if (g.vnics > 0) hp.nic.vnics = g.vnics;
    if (!g.rules.empty()) hp.nic.rules = g.rules;
    hosts_.push_back(std::make_unique<Host>(m.host.c_str(), ctx, hp, static_cast<uint16_t>(i + 1), max_frame));
    links_.push_back(std::make_unique<wire::Link>(("link_" + m.host).c_str(), ctx, link));
    Host& h = *hosts_.back();
    wire::Link& l = *links_.back();
    h.nic().mac.tx.bind(l.a_to_b.in);
    switch_->connect(static_cast<int>(i), l.a_to_b, l.b_to_a);
    l.b_to_a.out.bind(h.nic().mac.rx);
    for (int v = 0; v < hp.nic.vnics; ++v) switch_->add_static_entry(h.vnic_mac(v), static_cast<int>(i));
  }
  auto neighbours = [this](net::Ipv4Address ip) {
    for (const auto& h : hosts_)
      if (auto mac = h->mac_of(ip)) return *mac;
    return net::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  };
  for (auto& h : hosts_) h->set_neighbour(neighbours);
  for (const auto& tap : Captures::requested(s)) {
    auto hook = captures_.open(tap);
    bool attached = Captures::attach_switch(tap, kSwitch, *switch_, hook);
    for (size_t i = 0; i < members_.size() && !attached; ++i)
      attached = Captures::attach_link(tap, "link_" + members_[i].host, *links_[i], hook) ||
                 Captures::attach_host(tap, *hosts_[i], hook);
  }
  workloads_.build<GroupHostNames>(s);
  std::vector<Host*> all;
  std::vector<std::string> channels;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    all.push_back(hosts_[i].get());
    workloads_.add_host_metrics(*hosts_[i]);
    channels.push_back("link_" + members_[i].host + ".a_to_b");
    channels.push_back("link_" + members_[i].host + ".b_to_a");
  }
  add_frame_accounting(ctx, kName, all, channels, {kSwitch}, workloads_);
}

}  // namespace hostwire
