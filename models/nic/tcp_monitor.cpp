#include "nic/tcp_monitor.h"

#include "net/byte_order.h"

namespace hostwire::nic {

namespace {
constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeVlan = 0x8100;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kSyn = 0x02, kFin = 0x01, kAck = 0x10;
bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
}  // namespace

bool TcpWireMonitor::parse(std::span<const uint8_t> h, Segment& s) {
  size_t l3 = 14;
  if (h.size() < l3 + 20) return false;
  uint16_t type = net::load_be16(&h[12]);
  if (type == kEtherTypeVlan) {
    l3 = 18;
    if (h.size() < l3 + 20) return false;
    type = net::load_be16(&h[16]);
  }
  if (type != kEtherTypeIpv4 || (h[l3] >> 4) != 4 || h[l3 + 9] != kProtocolTcp) return false;
  if ((net::load_be16(&h[l3 + 6]) & 0x3fff) != 0) return false;  // a fragment: no TCP header to read
  const size_t ihl = static_cast<size_t>(h[l3] & 0xf) * 4, l4 = l3 + ihl;
  if (ihl < 20 || h.size() < l4 + 20) return false;
  const size_t doff = static_cast<size_t>(h[l4 + 12] >> 4) * 4;
  const uint16_t total = net::load_be16(&h[l3 + 2]);
  if (doff < 20 || total < ihl + doff) return false;
  const uint8_t flags = h[l4 + 13];
  s.payload = total - static_cast<uint32_t>(ihl + doff);
  s.seq = net::load_be32(&h[l4 + 4]);
  s.ack = net::load_be32(&h[l4 + 8]);
  s.has_ack = (flags & kAck) != 0;
  s.end = s.seq + s.payload + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
  s.key = Key{net::load_be32(&h[l3 + 12]), net::load_be32(&h[l3 + 16]), net::load_be16(&h[l4]),
              net::load_be16(&h[l4 + 2])};
  return true;
}

uint32_t& TcpWireMonitor::entry(Map& map, Cache& cache, const Key& key, uint32_t value, bool& fresh) {
  fresh = false;
  if (cache.value && cache.key == key) return *cache.value;
  auto [it, made] = map.try_emplace(key, value);
  fresh = made;
  cache = Cache{key, &it->second};
  return it->second;
}

void TcpWireMonitor::sent(std::span<const uint8_t> h, bool retransmission) {
  Segment s;
  if (!parse(h, s)) return;
  bool fresh;
  uint32_t& highest = entry(highest_, highest_cache_, s.key, s.end, fresh);
  if (s.payload > 0) {
    ++counts_.segments;
    if (retransmission) {
      ++counts_.retransmitted;
    } else if (!fresh && seq_before(s.seq, highest)) {
      ++counts_.reordered;
      const uint64_t distance = highest - s.seq;
      if (distance > counts_.max_distance) counts_.max_distance = distance;
    }
  }
  if (!fresh && seq_before(highest, s.end)) highest = s.end;
  if (s.has_ack) {  // what this port has acknowledged of the reverse flow
    const Key reverse{s.key.dst_ip, s.key.src_ip, s.key.dst_port, s.key.src_port};
    uint32_t& acked = entry(acked_, acked_cache_, reverse, s.ack, fresh);
    if (!fresh && seq_before(acked, s.ack)) acked = s.ack;
  }
}

void TcpWireMonitor::received(std::span<const uint8_t> h) {
  Segment s;
  if (!parse(h, s) || s.payload == 0) return;
  const uint32_t* acked = nullptr;
  if (received_cache_.value && received_cache_.key == s.key) {
    acked = received_cache_.value;
  } else if (auto it = acked_.find(s.key); it != acked_.end()) {
    received_cache_ = Cache{s.key, &it->second};
    acked = &it->second;
  }
  if (acked && !seq_before(*acked, s.seq + s.payload)) ++counts_.arrived_acked;
}

}  // namespace hostwire::nic
