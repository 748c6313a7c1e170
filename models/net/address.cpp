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

}  // namespace hostwire::net
