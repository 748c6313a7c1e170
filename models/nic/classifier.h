// The receive classifier: ordered match-action rules (in the manner of Intel's Flow Director
// perfect filters and ethtool ntuple rules), then the default path every NIC with VMDq has:
// the destination MAC picks the VNIC (pool), and RSS spreads the VNIC's flows over its rings.
//
// A rule's fields are all optional (absent = wildcard); MAC, EtherType, VLAN id and IPv4
// addresses match under a mask, ports by inclusive range. Lower priority numbers are looked
// at first, equal priorities in the order added. The first rule that matches decides; a
// frame no rule matches takes the default path. Rules are compiled to masked integers at
// add_rule, so classifying a frame allocates nothing and is a short loop of compares.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/address.h"
#include "net/frame.h"
#include "net/result.h"
#include "nic/flow_key.h"
#include "nic/rss.h"

namespace hostwire::nic {

inline constexpr net::MacAddress kMacExact = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct MacMatch {
  net::MacAddress addr{};
  net::MacAddress mask = kMacExact;  // bits that must equal addr
};

struct VlanMatch {
  bool tagged = true;      // false: only untagged frames match (vid, mask unused)
  uint16_t vid = 0;        // 12 bits
  uint16_t mask = 0x0fff;
  static VlanMatch id(uint16_t vid, uint16_t mask = 0x0fff) { return {true, vid, mask}; }
  static VlanMatch untagged() { return {false, 0, 0}; }
};

struct Ipv4Prefix {
  net::Ipv4Address addr;
  uint8_t length = 32;  // 0..32 leading bits that must equal addr
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0xffff;  // inclusive
  static PortRange single(uint16_t port) { return {port, port}; }
};

// Matching an IPv4 field requires an IPv4 frame, a port an unfragmented TCP or UDP one.
struct Match {
  std::optional<MacMatch> dst_mac;
  std::optional<MacMatch> src_mac;
  std::optional<uint16_t> ether_type;  // of the payload: inside the VLAN tag
  std::optional<VlanMatch> vlan;
  std::optional<Ipv4Prefix> src_ip;
  std::optional<Ipv4Prefix> dst_ip;
  std::optional<uint8_t> ip_protocol;
  std::optional<uint8_t> dscp;  // IPv4 DSCP, 0..63
  std::optional<PortRange> src_port;
  std::optional<PortRange> dst_port;
};

struct Action {
  enum class Kind : uint8_t {
    pass,     // the default path (destination MAC -> VNIC -> RSS); with a mirror, a pure tap
    to_ring,  // a NIC-wide RX ring index; the frame goes to the VNIC that owns the ring
    to_vnic,  // then RSS over that VNIC's rings
    drop,
  };
  Kind kind = Kind::pass;
  uint16_t target = 0;                 // ring (to_ring) or VNIC (to_vnic)
  std::optional<uint16_t> mirror_vnic;  // copy-to: a second copy, RSS over this VNIC's rings

  static Action pass() { return {Kind::pass, 0, {}}; }
  static Action to_ring(uint16_t ring) { return {Kind::to_ring, ring, {}}; }
  static Action to_vnic(uint16_t vnic) { return {Kind::to_vnic, vnic, {}}; }
  static Action drop() { return {Kind::drop, 0, {}}; }
  Action with_mirror(uint16_t vnic) const {
    Action a = *this;
    a.mirror_vnic = vnic;
    return a;
  }
};

struct Rule {
  int32_t priority = 0;  // lower first
  Match match;
  Action action;
};

// A VNIC (VMDq pool): its MAC and a contiguous range of the NIC's RX rings.
struct Vnic {
  net::MacAddress mac{};
  uint16_t first_ring = 0;  // NIC-wide index of its first RX ring
  uint16_t rings = 1;
  // Entries index 0..rings-1; absent: round-robin over the rings.
  std::optional<RssIndirectionTable> indirection;
};

// Which hash input the RSS uses per frame type (Microsoft's hash types).
struct RssHashTypes {
  bool tcp_ports = true;  // NDIS_HASH_TCP_IPV4: 4-tuple for TCP, else the 2-tuple
  bool udp_ports = true;  // NDIS_HASH_UDP_IPV4: 4-tuple for UDP (off: UDP flows of one host pair share a ring)
};

struct Delivery {
  uint16_t vnic = 0;
  uint16_t ring = 0;  // NIC-wide RX ring index
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

inline constexpr int32_t kDefaultPath = -1;  // Decision::rule when no rule matched

struct Decision {
  bool drop = false;          // no primary delivery
  Delivery primary{};         // valid unless drop
  std::optional<Delivery> mirror;
  int32_t rule = kDefaultPath;     // id of the rule that matched
  std::optional<uint32_t> hash;    // the RSS hash, when the decision needed one and the frame is IPv4
};

// The RSS input for a frame: the 4-tuple when it has ports and the hash type allows, the
// 2-tuple for other IPv4, nothing (length 0) for non-IP frames, which go to a VNIC's first ring.
RssInput rss_input(const FlowKey& key, const RssHashTypes& types = {});

class Classifier {
 public:
  explicit Classifier(const RssKey& key = kMicrosoftRssKey, RssHashTypes types = {});

  // VNIC ids are 0, 1, ... in the order added. Fails if its rings overlap another VNIC's or
  // its indirection table names a ring it does not have.
  net::Result<uint16_t> add_vnic(Vnic vnic);
  // The VNIC for frames whose destination MAC is no VNIC's (broadcast, multicast, unknown).
  net::Status set_default_vnic(uint16_t vnic);
  // Returns the rule's id (increasing, never reused). Fails if a target does not exist.
  net::Result<int32_t> add_rule(const Rule& rule);
  bool remove_rule(int32_t id);

  Decision classify(const FlowKey& key) const;
  Decision classify(const net::ParsedFrame& frame) const { return classify(flow_key(frame)); }
  Decision classify(std::span<const uint8_t> frame) const { return classify(flow_key(frame)); }

  size_t rules() const { return rules_.size(); }
  const std::vector<Vnic>& vnics() const { return vnics_; }
  const ToeplitzHash& hash() const { return hash_; }

 private:
  // A Match as masked integers: a field matches when (key & mask) == value; wildcards have
  // mask 0 and the full port range, so every field is compared unconditionally.
  struct CompiledRule {
    uint64_t dst_mac, dst_mac_mask, src_mac, src_mac_mask;
    uint32_t src_ip, src_ip_mask, dst_ip, dst_ip_mask;
    uint16_t ether_type, ether_type_mask, vlan_id, vlan_id_mask;
    uint16_t src_port_first, src_port_last, dst_port_first, dst_port_last;
    uint8_t ip_protocol, ip_protocol_mask, dscp, dscp_mask;
    uint8_t layers_required, layers_forbidden;
    int32_t priority;
    int32_t id;
    Action action;
    bool matches(const FlowKey& k) const;
  };

  net::Status check_vnic(uint16_t vnic) const;
  Delivery rss_delivery(uint16_t vnic, const FlowKey& key, std::optional<uint32_t>& hash) const;

  ToeplitzHash hash_;
  RssHashTypes types_;
  std::vector<Vnic> vnics_;
  std::vector<uint64_t> vnic_macs_;     // mac_bits of each VNIC, scanned on the default path
  std::vector<uint16_t> ring_owner_;    // NIC-wide ring -> VNIC; kNoOwner where none
  uint16_t default_vnic_ = 0;
  std::vector<CompiledRule> rules_;     // sorted by (priority, id)
  int32_t next_id_ = 0;
};

}  // namespace hostwire::nic
