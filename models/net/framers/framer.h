// Message framers (mechanism C's logic): each finds where the protocol messages of a byte
// stream end, incrementally and without copying. The kernel buffering layer (kernel/socket)
// feeds it the in-order bytes of a conn run by run as they arrive; a stream-mode application
// runs the same framer over what it read, in user space, for the baseline.
//
// Plain C++: no SystemC, no allocation per byte, every framer bounded by a maximum message
// size, so a hostile stream (a huge length, a delimiter that never comes, garbage) ends in
// an error after a bounded number of bytes rather than unbounded buffering.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "net/result.h"

namespace hostwire::net::framers {

// What a framer knows after the bytes fed since the message began.
struct Status {
  enum class Kind : uint8_t {
    need_more,  // the message's end is not known yet: feed more bytes
    message,    // the message is `length` bytes from its first byte (they may not all be fed yet)
    error,      // the stream is not this protocol (or exceeds a limit): `why`
  };
  Kind kind = Kind::need_more;
  uint64_t length = 0;
  const char* why = nullptr;  // a static string: "length below the header", "header over 8192 B"
  bool too_long = false;      // the error is a message over a size limit (EMSGSIZE), not malformed input

  static Status more() { return {}; }
  static Status message(uint64_t n) { return {Kind::message, n, nullptr}; }
  static Status fail(const char* why) { return {Kind::error, 0, why}; }
  static Status over_limit(const char* why) { return {Kind::error, 0, why, true}; }
  bool need_more() const { return kind == Kind::need_more; }
  bool done() const { return kind == Kind::message; }
  bool failed() const { return kind == Kind::error; }
};

// The protocols a framer understands and their settings: what a socket option names. One
// struct for all kinds, so a scenario or a setsockopt call carries it by value.
struct FramerSpec {
  enum class Kind : uint8_t { length_prefix, delimiter, http, tls };
  Kind kind = Kind::length_prefix;
  uint64_t max_message = 1 << 20;  // bytes; a longer message is an error ("message over the maximum")

  // length_prefix: a `width`-byte unsigned length at byte `offset` of the message, big- or
  // little-endian. The message is length + adjustment bytes, plus the header (offset + width)
  // unless the length counts it.
  uint8_t width = 4;  // 1, 2, 4 or 8
  bool big_endian = true;
  uint32_t offset = 0;
  bool counts_header = false;
  int64_t adjustment = 0;

  // delimiter: the message ends with the first occurrence of these 1-16 bytes (included).
  std::string delimiter = "\n";

  // http: HTTP/1.1 messages (RFC 9112): requests, or responses; the header section (start
  // line to the empty line) at most header_limit bytes. Body by Content-Length or chunked
  // (with trailers); none for HEAD responses, 1xx, 204 and 304; a response with neither
  // ends at the connection's close (finish()).
  bool http_requests = true;
  uint32_t header_limit = 8192;

  // tls: TLS records (RFC 8446 5.1): 5-byte header, content type 20-24, legacy version 0x0301-0x0304,
  // length at most 2^14 + 2048 (RFC 5246 6.2.3's ciphertext bound).
};

const char* to_string(FramerSpec::Kind k);  // "length_prefix", "delimiter", "http", "tls"
Result<FramerSpec::Kind> parse_kind(std::string_view name);
// The spec's settings are consistent (width in {1,2,4,8}, delimiter 1-16 bytes, a maximum of at
// least one header, ...); the error names the setting.
net::Status validate(const FramerSpec& spec);  // result.h's, not framers::Status

class Framer {
 public:
  virtual ~Framer() = default;

  // The next bytes of the current message's stream, following those fed since reset(). Once it
  // has said `message` or `error` it says the same again, whatever is fed, until reset().
  // Bytes fed past the message's end are ignored (the caller starts the next message there).
  virtual framers::Status feed(std::span<const uint8_t> bytes) = 0;
  // The stream ended (the peer's FIN) after the bytes fed: a message that ends at the close
  // (an HTTP response without a length) is complete; otherwise need_more means truncated.
  virtual framers::Status finish() { return last(); }
  // The next message begins at the next byte fed.
  virtual void reset() = 0;
  // What feed() said last (need_more before any byte).
  virtual framers::Status last() const = 0;

  // Bytes of the current message the framer examined (for its cost: a length-prefix framer reads
  // only the header, a delimiter framer every byte up to the delimiter).
  virtual uint64_t examined() const = 0;

  // For an HTTP response framer: the request this response answers was a HEAD (no body).
  virtual void expect_head_response() {}

  const FramerSpec& spec() const { return spec_; }

 protected:
  explicit Framer(const FramerSpec& spec) : spec_(spec) {}
  FramerSpec spec_;
};

// A framer for the spec; the spec must validate().
std::unique_ptr<Framer> make_framer(const FramerSpec& spec);

}  // namespace hostwire::net::framers
