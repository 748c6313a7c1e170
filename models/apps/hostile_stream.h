// What a hostile message producer writes after its good messages (tcp_messages' `hostile`): an
// endless byte stream that no framer can end in a message, so the consumer's framing must end
// it in its policy's error within a bounded number of bytes (mechanism C's promise,
// docs/models/framers.md). Plain C++ (no SystemC), as message_format.h.
//
//   huge_length  a message header announcing a length far over any maximum, then body bytes:
//                length_prefix 0x7fffffff (2 GiB), tls 0xffff (over 2^14 + 2048), each with
//                the arose time and index as a good message's;
//   endless      a delimited line "<index> <arose> " whose body never holds the delimiter, or
//                an HTTP request whose header line ("X-Endless: ") never ends: printable bytes
//                (0x21-0x7e) that are neither the delimiter nor CR or LF;
//   garbage      uniform random bytes from the producer's own random stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/message_format.h"
#include "core/rng.h"
#include "core/units.h"

namespace hostwire::apps {

enum class Hostile : uint8_t { none, huge_length, endless, garbage };
const char* to_string(Hostile h);  // "none", "huge_length", "endless", "garbage"
std::optional<Hostile> parse_hostile(std::string_view name);
// Why `h` makes no sense in `framing` (empty when it does): huge_length needs a length field,
// endless a framing that searches for its end.
std::string hostile_problem(Hostile h, Framing framing);

class HostileStream {
 public:
  // The stream of `kind` (not none) that takes the place of message `index`, arisen at `arose`;
  // `rng` draws garbage.
  HostileStream(const MessageFormat& f, Hostile kind, uint64_t index, Time arose, Rng rng);
  // The bytes not yet written, topped up to `n`: what the next send call offers. They stay
  // valid and unchanged until took().
  std::span<const uint8_t> next(size_t n);
  // A send call took the first `n` of them.
  void took(size_t n);
  uint64_t written() const { return written_; }

 private:
  void produce(size_t n);  // appends `n` stream bytes to pending_
  std::string head_;
  std::shared_ptr<const std::vector<uint8_t>> body_;  // null: random bytes
  Rng rng_;
  uint64_t draw_ = 0;      // garbage: the random word the next bytes come from
  uint64_t produced_ = 0;  // stream bytes made so far
  uint64_t written_ = 0;   // of them, taken by send calls
  std::vector<uint8_t> pending_;
};

}  // namespace hostwire::apps
