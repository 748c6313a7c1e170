// Wire order of the TCP segments a NIC sends: per flow (addresses and ports), the highest
// sequence already sent, and the first transmissions that leave below it. Independent TX rings
// drain independently, so one connection's data posted on several rings (parallel send, a TCP
// offload engine beside the host) can leave out of sequence order; this is what says how much.
// A repair (Packet::retransmission, set by the sender) is counted apart: it is meant to be below.
// Plain C++: the TX engine shows it every frame it gives the MAC, in that order.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

namespace hostwire::nic {

struct TxOrderCounts {
  uint64_t segments = 0;      // TCP segments with data seen
  uint64_t reordered = 0;     // first transmissions that left below their flow's highest sequence
  uint64_t retransmitted = 0;  // repairs
  uint64_t max_distance = 0;  // bytes between a reordered segment's start and the highest sequence
};

class TxOrderMonitor {
 public:
  // `header`: the frame's headers (Ethernet, 802.1Q, IPv4, TCP) as on the wire, the payload
  // length taken from the IPv4 total length. Frames that are not unfragmented TCP are ignored.
  void observe(std::span<const uint8_t> header, bool retransmission);
  const TxOrderCounts& counts() const { return counts_; }

 private:
  struct Key {
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return ((uint64_t{k.src_ip} << 32 | k.dst_ip) ^ (uint64_t{k.src_port} << 16 | k.dst_port) * 0x9E3779B97F4A7C15ULL) *
             0xC2B2AE3D27D4EB4FULL >> 17;
    }
  };
  std::unordered_map<Key, uint32_t, KeyHash> highest_;  // sequence number after the highest byte sent
  TxOrderCounts counts_;
};

}  // namespace hostwire::nic
