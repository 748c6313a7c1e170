#include "nic/rule_params.h"

#include <charconv>
#include <tuple>
#include <string_view>

namespace hostwire::nic {

namespace {

std::optional<MacMatch> mac_match(std::string_view t) {
  MacMatch m;
  const size_t slash = t.find('/');
  auto addr = net::parse_mac(t.substr(0, slash));
  if (!addr) return std::nullopt;
  m.addr = *addr;
  if (slash != std::string_view::npos) {
    auto mask = net::parse_mac(t.substr(slash + 1));
    if (!mask) return std::nullopt;
    m.mask = *mask;
  }
  return m;
}

std::optional<Ipv4Prefix> prefix(std::string_view t) {
  Ipv4Prefix p;
  const size_t slash = t.find('/');
  auto addr = net::parse_ipv4(t.substr(0, slash));
  if (!addr) return std::nullopt;
  p.addr = *addr;
  if (slash != std::string_view::npos) {
    const std::string_view len = t.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (ec != std::errc() || end != len.data() + len.size() || len.empty() || n > 32) return std::nullopt;
    p.length = static_cast<uint8_t>(n);
  }
  return p;
}

std::optional<uint16_t> port(std::string_view t) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty() || n > 65535) return std::nullopt;
  return static_cast<uint16_t>(n);
}

std::optional<PortRange> port_range(std::string_view t) {
  const size_t dash = t.find('-');
  auto first = port(t.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : port(t.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  return PortRange{*first, *last};
}

}  // namespace

std::optional<RulePlan> plan_rule(const RuleParams& p, std::string& field, std::string& problem) {
  RulePlan plan;
  Match& m = plan.rule.match;
  auto fail = [&](const char* f, std::string why) {
    field = f;
    problem = std::move(why);
    return std::nullopt;
  };
  for (auto [f, text, slot] : {std::tuple{"dst_mac", &p.dst_mac, &m.dst_mac}, std::tuple{"src_mac", &p.src_mac, &m.src_mac}}) {
    if (text->empty()) continue;
    *slot = mac_match(*text);
    if (!*slot) return fail(f, "'" + *text + "' is not a MAC address (02:00:00:00:00:01) or address/mask");
  }
  for (auto [f, text, slot] : {std::tuple{"dst_ip", &p.dst_ip, &m.dst_ip}, std::tuple{"src_ip", &p.src_ip, &m.src_ip}}) {
    if (text->empty()) continue;
    *slot = prefix(*text);
    if (!*slot) return fail(f, "'" + *text + "' is not an IPv4 address or prefix (10.0.0.1, 10.0.0.0/24)");
  }
  for (auto [f, text, slot] :
       {std::tuple{"dst_port", &p.dst_port, &m.dst_port}, std::tuple{"src_port", &p.src_port, &m.src_port}}) {
    if (text->empty()) continue;
    *slot = port_range(*text);
    if (!*slot) return fail(f, "'" + *text + "' is not a port (0-65535) or an inclusive range first-last");
  }
  if (p.vlan == 0) m.vlan = VlanMatch::untagged();
  else if (p.vlan > 0) m.vlan = VlanMatch::id(static_cast<uint16_t>(p.vlan));
  if (p.protocol == "tcp") m.ip_protocol = 6;
  else if (p.protocol == "udp") m.ip_protocol = 17;
  else if (p.protocol == "icmp") m.ip_protocol = 1;
  if ((m.dst_port || m.src_port) && p.protocol != "tcp" && p.protocol != "udp")
    return fail(m.dst_port ? "dst_port" : "src_port", "ports need protocol tcp or udp");
  if (p.dscp >= 0) m.dscp = static_cast<uint8_t>(p.dscp);
  plan.rule.priority = static_cast<int32_t>(p.priority);
  Action& a = plan.rule.action;
  if (p.action == "to_vnic") a = Action::to_vnic(static_cast<uint16_t>(p.target));
  else if (p.action == "to_ring") a = Action::to_ring(static_cast<uint16_t>(p.target));
  else if (p.action == "drop") a = Action::drop();
  if (p.mirror >= 0) a.mirror_vnic = static_cast<uint16_t>(p.mirror);
  if (!p.erspan_to.empty()) {
    plan.erspan_to = net::parse_ipv4(p.erspan_to);
    if (!plan.erspan_to) return fail("erspan_to", "'" + p.erspan_to + "' is not an IPv4 address (10.1.0.3)");
  }
  plan.erspan_session = static_cast<uint16_t>(p.erspan_session);
  const bool mirrors = p.mirror >= 0 || plan.erspan_to;
  if (!mirrors && (p.sample != 1 || p.snap.n != 0 || p.both_directions))
    return fail(p.sample != 1 ? "sample" : p.snap.n != 0 ? "snap" : "both_directions",
                "applies to the mirror copy: the rule needs a mirror VNIC or erspan_to");
  if (p.snap.n != 0 && p.snap.n < 14) return fail("snap", "a copy needs at least its 14-byte Ethernet header");
  if (p.until.ps != 0 && p.until <= p.at) return fail("until", "the rule is removed before it is installed (at)");
  plan.sample = static_cast<uint64_t>(p.sample);
  plan.snap = static_cast<uint32_t>(p.snap.n);
  plan.both_directions = p.both_directions;
  plan.at = p.at;
  plan.until = p.until;
  return plan;
}

}  // namespace hostwire::nic
