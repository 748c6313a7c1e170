#include "net/address.h"

#include <cstdio>

namespace hostwire::net {

std::string to_string(Ipv4Address a) {
  char text[16];
  std::snprintf(text, sizeof text, "%u.%u.%u.%u", a.value >> 24, (a.value >> 16) & 0xff, (a.value >> 8) & 0xff,
                a.value & 0xff);
  return text;
}

std::string to_string(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

std::optional<Ipv4Address> parse_ipv4(std::string_view t) {
  uint32_t value = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= t.size() || t[pos] != '.') return std::nullopt;
      ++pos;
    }
    uint32_t octet = 0;
    size_t digits = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9' && digits < 4) octet = octet * 10 + (t[pos++] - '0'), ++digits;
    if (digits == 0 || digits > 3 || octet > 255) return std::nullopt;
    value = value << 8 | octet;
  }
  if (pos != t.size()) return std::nullopt;
  return Ipv4Address{value};
}

std::optional<MacAddress> parse_mac(std::string_view t) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (t.size() != 17) return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex(t[3 * i]), lo = hex(t[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && t[3 * i + 2] != ':' && t[3 * i + 2] != '-')) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return mac;
}

}  // namespace hostwire::net
