// A classifier rule as a scenario writes it (`<host>.nic.rules: [{...}, ...]`), and its plan:
// the classifier Rule (nic/classifier.h) plus what the NIC's shell does around it (when it is
// installed and removed, and what happens to the mirror copy: sampled 1 in N, cut to a snap
// length, and whether the frames the host sends on the flow are copied too).
//
//   rules:
//     - {dst_ip: 10.0.0.1/32, protocol: tcp, dst_port: "5000-5999", mirror: 1, both_directions: true}
//     - {src_ip: 10.0.0.0/24, dscp: 46, action: to_ring, target: 3}
//     - {protocol: udp, action: drop, at: 5ms, until: 8ms}
//     - {dst_port: 80, protocol: tcp, erspan_to: 10.1.0.3, erspan_session: 7}
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/params.h"
#include "core/units.h"
#include "net/address.h"
#include "nic/classifier.h"

namespace hostwire::nic {

struct RuleParams {
  int64_t priority = 0;
  std::string dst_mac, src_mac;  // "" any; "02:00:00:00:00:01", or "addr/mask" with a MAC-shaped mask
  int64_t vlan = -1;             // -1 any; 0 untagged frames only; 1..4094 that VLAN id
  std::string dst_ip, src_ip;    // "" any; "10.0.0.1", "10.0.0.0/24"
  std::string protocol = "any";
  std::string dst_port, src_port;  // "" any; "80", "8000-8999"
  int64_t dscp = -1;               // -1 any; 0..63
  std::string action = "pass";
  int64_t target = 0;
  int64_t mirror = -1;
  std::string erspan_to;  // "" none; the remote analyzer's IPv4 address
  int64_t erspan_session = 1;
  bool both_directions = false;
  int64_t sample = 1;
  Bytes snap{0};
  Time at{};
  Time until{};

  template <class V>
  void visit(V& v) {
    v(priority, "priority", "lower is looked at first; equal priorities in the order written, count",
      Limits::range(-1'000'000, 1'000'000));
    v(dst_mac, "dst_mac", "destination MAC, \"02:00:00:00:00:01\" or \"addr/mask\"; empty: any");
    v(src_mac, "src_mac", "source MAC, as dst_mac; empty: any");
    v(vlan, "vlan", "802.1Q VLAN id 1..4094; 0: untagged frames only; -1: any", Limits::range(-1, 4094));
    v(dst_ip, "dst_ip", "destination IPv4 address or prefix, \"10.0.0.1\" or \"10.0.0.0/24\"; empty: any");
    v(src_ip, "src_ip", "source IPv4 address or prefix; empty: any");
    v.choice(protocol, "protocol", "IPv4 protocol", {"any", "tcp", "udp", "icmp"});
    v(dst_port, "dst_port", "TCP/UDP destination port or inclusive range, \"80\" or \"8000-8999\"; empty: any");
    v(src_port, "src_port", "TCP/UDP source port or range; empty: any");
    v(dscp, "dscp", "IPv4 DSCP 0..63; -1: any", Limits::range(-1, 63));
    v.choice(action, "action", "pass: the default path (MAC -> VNIC -> RSS); to_vnic: RSS over VNIC `target`'s rings; "
             "to_ring: RX ring `target` (NIC-wide index); drop", {"pass", "to_vnic", "to_ring", "drop"});
    v(target, "target", "the VNIC (to_vnic) or NIC-wide RX ring (to_ring), index", Limits::range(0, 1 << 16));
    v(mirror, "mirror", "VNIC that also gets a copy of each matching frame (beside the action); -1: none",
      Limits::range(-1, 63));
    v(erspan_to, "erspan_to", "IPv4 address (a VNIC of another host) that also gets each mirror copy, encapsulated "
      "as ERSPAN type II over GRE and sent out of this port; empty: none");
    v(erspan_session, "erspan_session", "the ERSPAN session id the remote copies carry", Limits::range(0, 1023));
    v(both_directions, "both_directions", "the mirror also gets the frames this host sends on the flow (matched "
      "with addresses and ports swapped), so its capture holds both directions");
    v(sample, "sample", "mirror 1 in N matching frames (seeded, per rule), count", Limits::range(1, 1'000'000'000));
    v(snap, "snap", "cut each mirror copy to this many bytes from its first (0B: whole frames)",
      Limits::range(0, 65535));
    v(at, "at", "simulated time the rule is installed", Limits::non_negative());
    v(until, "until", "simulated time the rule is removed (0s: never)", Limits::non_negative());
  }
};

struct RulePlan {
  Rule rule;
  uint64_t sample = 1;
  uint32_t snap = 0;  // 0: whole frames
  bool both_directions = false;
  std::optional<net::Ipv4Address> erspan_to;  // the remote analyzer, if any
  uint16_t erspan_session = 1;
  Time at{}, until{};  // until 0: never removed
};

// The plan, or the first field that does not parse (`field` is its key in the item) and why.
std::optional<RulePlan> plan_rule(const RuleParams& p, std::string& field, std::string& problem);

}  // namespace hostwire::nic
