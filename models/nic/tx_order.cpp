#include "nic/tx_order.h"

#include "net/byte_order.h"

namespace hostwire::nic {

namespace {
constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeVlan = 0x8100;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kSyn = 0x02, kFin = 0x01;
bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
}  // namespace

void TxOrderMonitor::observe(std::span<const uint8_t> h, bool retransmission) {
  size_t l3 = 14;
  if (h.size() < l3 + 20) return;
  uint16_t type = net::load_be16(&h[12]);
  if (type == kEtherTypeVlan) {
    l3 = 18;
    if (h.size() < l3 + 20) return;
    type = net::load_be16(&h[16]);
  }
  if (type != kEtherTypeIpv4 || (h[l3] >> 4) != 4 || h[l3 + 9] != kProtocolTcp) return;
  if ((net::load_be16(&h[l3 + 6]) & 0x3fff) != 0) return;  // a fragment: no TCP header to read
  const size_t ihl = static_cast<size_t>(h[l3] & 0xf) * 4, l4 = l3 + ihl;
  if (ihl < 20 || h.size() < l4 + 20) return;
  const size_t doff = static_cast<size_t>(h[l4 + 12] >> 4) * 4;
  const uint16_t total = net::load_be16(&h[l3 + 2]);
  if (doff < 20 || total < ihl + doff) return;
  const uint32_t payload = total - static_cast<uint32_t>(ihl + doff);
  const uint8_t flags = h[l4 + 13];
  const uint32_t seq = net::load_be32(&h[l4 + 4]);
  const uint32_t end = seq + payload + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
  const Key k{net::load_be32(&h[l3 + 12]), net::load_be32(&h[l3 + 16]), net::load_be16(&h[l4]),
              net::load_be16(&h[l4 + 2])};
  auto [it, fresh] = highest_.try_emplace(k, end);
  if (payload > 0) {
    ++counts_.segments;
    if (retransmission) {
      ++counts_.retransmitted;
    } else if (!fresh && seq_before(seq, it->second)) {
      ++counts_.reordered;
      const uint64_t distance = it->second - seq;
      if (distance > counts_.max_distance) counts_.max_distance = distance;
    }
  }
  if (!fresh && seq_before(it->second, end)) it->second = end;
}

}  // namespace hostwire::nic
