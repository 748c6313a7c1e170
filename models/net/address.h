// Link and network addresses as they appear in headers.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hostwire::net {

// IEEE 802 MAC address, in transmission order.
using MacAddress = std::array<uint8_t, 6>;

// IPv4 address held as a host-order integer; headers store it big-endian.
struct Ipv4Address {
  uint32_t value = 0;

  static constexpr Ipv4Address from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4Address{uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d};
  }
  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;
};

std::string to_string(Ipv4Address a);          // "192.168.0.1"
std::string to_string(const MacAddress& mac);  // "02:00:00:00:00:01"
// The inverses: dotted quad, and six hex pairs separated by ':' or '-'; nullopt otherwise.
std::optional<Ipv4Address> parse_ipv4(std::string_view text);
std::optional<MacAddress> parse_mac(std::string_view text);

}  // namespace hostwire::net
