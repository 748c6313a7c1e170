// What a NIC's port sees of TCP, per flow (addresses and ports), as a capture there would show
// it: the wire order of the segments it sends and the data that arrives already acknowledged.
//  - Sent: the highest sequence already sent, and the first transmissions that leave below it.
//    Independent TX rings drain independently, so one connection's data posted on several
//    rings (parallel send, a TCP offload engine beside the host) can leave out of sequence
//    order; this says how much. A repair (Packet::retransmission, set by the sender) is counted
//    apart: it is meant to be below.
//  - Received: data whose every byte this port had already acknowledged (an ACK covering it
//    left before it arrived): a retransmission the receiver did not need, or a copy. tshark
//    calls these "spurious retransmission" in a capture of this port.
// Plain C++: the NIC shows it each frame as it starts on the wire and as it arrives.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

namespace hostwire::nic {

struct TcpMonitorCounts {
  uint64_t segments = 0;        // TCP segments with data sent
  uint64_t reordered = 0;       // first transmissions that left below their flow's highest sequence
  uint64_t retransmitted = 0;   // repairs sent
  uint64_t max_distance = 0;    // bytes between a reordered segment's start and the highest sequence
  uint64_t arrived_acked = 0;   // data segments received whose bytes this port had acknowledged
};

class TcpWireMonitor {
 public:
  // `header`: the frame's headers (Ethernet, 802.1Q, IPv4, TCP) as on the wire, the payload
  // length taken from the IPv4 total length. Frames that are not unfragmented TCP are ignored.
  void sent(std::span<const uint8_t> header, bool retransmission);
  void received(std::span<const uint8_t> header);
  const TcpMonitorCounts& counts() const { return counts_; }

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
  struct Segment {
    Key key;
    uint32_t seq, ack, end;  // end: seq + payload (+ SYN, FIN)
    uint32_t payload;
    bool has_ack;
  };
  static bool parse(std::span<const uint8_t> h, Segment& s);
  // The flow's entry in `map`, through a one-entry cache (a port's frames come in runs of one
  // flow; unordered_map entries never move). `fresh`: it was just made, with `value`.
  using Map = std::unordered_map<Key, uint32_t, KeyHash>;
  struct Cache {
    Key key{};
    uint32_t* value = nullptr;
  };
  static uint32_t& entry(Map& map, Cache& cache, const Key& key, uint32_t value, bool& fresh);

  Map highest_;  // per flow sent: sequence after the highest byte
  Map acked_;    // per flow received: the highest ACK this port sent for it
  Cache highest_cache_, acked_cache_, received_cache_;
  TcpMonitorCounts counts_;
};

}  // namespace hostwire::nic
