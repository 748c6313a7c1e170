// The socket options of the kernel buffering layer, as an application passes them
// (setsockopt): message framing (mechanism C) and a delivery condition (mechanism E).
#pragma once

#include <cstdint>
#include <string>

#include "core/units.h"
#include "net/framers/framer.h"

namespace hostwire::kernel {

// What the kernel does with a message it cannot deliver whole: one over the framer's maximum
// or the receive buffer (it could never complete), or malformed input (a bad length, bad HTTP,
// a bad TLS header). `error`: the app's next call fails (EMSGSIZE or EPROTO) and the conn is
// reset, as KCM does. `stream`: framing stops and the conn's bytes flow as a plain stream.
enum class BadMessagePolicy : uint8_t { error, stream };
// A message still incomplete `assembly_timeout` after its first byte: `error` fails the next
// call with ETIMEDOUT (SO_RCVTIMEO on a KCM socket); `deliver` hands up what has arrived as a
// partial message (its recv says the message is not complete).
enum class TimeoutPolicy : uint8_t { error, deliver };

// Message mode (C): recv returns exactly one whole message; the reader wakes once per message.
struct MessageFraming {
  net::framers::FramerSpec framer;
  BadMessagePolicy on_bad = BadMessagePolicy::error;
  Time assembly_timeout{};  // 0: none
  TimeoutPolicy on_timeout = TimeoutPolicy::error;
};

// A delivery condition (E): the socket turns readable when any set part holds ("whichever
// first"); reads then return bytes as a stream does. EOF and errors always wake. None set: a
// plain stream (readable at the first byte).
struct DeliveryCondition {
  uint64_t min_bytes = 0;  // at least N bytes buffered (SO_RCVLOWAT)
  uint32_t messages = 0;   // K complete messages buffered, framed by `framer`
  net::framers::FramerSpec framer;
  std::string delimiter;   // these bytes seen among the buffered ones (1-16 bytes)
  Time timeout{};          // T since the first byte buffered after the last read
  bool any() const { return min_bytes > 0 || messages > 0 || !delimiter.empty() || timeout.ps > 0; }
};

// Why a call failed (what errno would say).
enum class SocketError : uint8_t { none, msgsize, proto, timedout, reset };
const char* to_string(SocketError e);  // "EMSGSIZE", "EPROTO", "ETIMEDOUT", "ECONNRESET"

}  // namespace hostwire::kernel
