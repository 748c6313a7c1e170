// The messages of the message-stream apps (tcp_messages): what the producer writes in each
// framing, and what the consumer checks each message it completes against. Plain C++ (no
// SystemC): the encodings are tested by running them through the kernel's own framers.
//
// Every message carries its index on the conn (0, 1, ...) and the simulated time it arose:
//   length_prefix  4-byte big-endian length of the whole message, 8-byte arose (ps), 8-byte
//                  index, then pattern bytes (the first 12 bytes are the historic header);
//   tls            a TLS 1.2 application_data record: type 23, version 0x0303, 2-byte length
//                  (size - 5, at most 16384), then arose, index and pattern bytes as above;
//   delimiter      a text line "<index> <arose> <body><delimiter>", the body from printable
//                  bytes that occur nowhere in the delimiter (which has no digit or space);
//   http           "POST /m/<index> HTTP/1.1\r\nHost: hostwire\r\nContent-Length: <n>\r\n"
//                  "X-Arose: <ps>\r\n\r\n" and n pattern bytes, the whole request the size;
//                  chunked: "Transfer-Encoding: chunked" and the body as chunks of at most
//                  http_chunk_size (hex sizes, zero-padded where the exact size needs it),
//                  then the last chunk "0\r\n\r\n".
// Where a 16-byte arose+index block does not fit a small binary message it is cut short; a
// message too small for its text header grows to it (min_size).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/stream.h"
#include "core/units.h"
#include "net/framers/framer.h"

namespace hostwire::apps {

using Framing = net::framers::FramerSpec::Kind;

// pattern() mapped onto the printable bytes (0x21-0x7e) not in `excluded`: the body of
// delimited lines (no body byte can begin or continue the delimiter), and text no framer reads
// as the end of a line or field.
std::shared_ptr<const std::vector<uint8_t>> text_pattern(std::string_view excluded);

// One message's bytes, its body not materialised: literal runs (headers, chunk lines, the
// delimiter) and runs of the body pattern (body byte i is pattern byte i, mod its length).
class MessageLayout {
 public:
  uint64_t size() const { return size_; }
  // Appends bytes [from, size) until `out` holds `limit` bytes.
  void append(std::vector<uint8_t>& out, uint64_t from, size_t limit) const;
  // The digest of the whole message.
  uint64_t digest() const;
  std::vector<uint8_t> bytes() const;

 private:
  friend class MessageFormat;
  explicit MessageLayout(const std::vector<uint8_t>& body) : body_(&body) {}
  void literal(std::string_view s);
  void body(uint64_t n);
  struct Run {
    uint64_t length;
    uint64_t at;  // offset in text_, or the body byte the run starts with
    bool literal;
  };
  const std::vector<uint8_t>* body_;
  std::string text_;
  std::vector<Run> runs_;
  uint64_t body_bytes_ = 0, size_ = 0;
};

class MessageFormat {
 public:
  struct Settings {
    Framing framing = Framing::length_prefix;
    std::string delimiter = "\n";       // delimiter framing: 1-16 bytes, no digit, no space
    bool http_chunked = false;          // http: a chunked body instead of Content-Length
    uint64_t http_chunk_size = 4096;    // http chunked: bytes of body per chunk, at most
    uint64_t max_size = 1 << 20;        // the largest message, bytes (the framer's max_message)
  };
  static constexpr uint64_t kTlsMaxRecord = 5 + 16384;  // header + the largest plaintext fragment
  // The first bytes of a message that hold its arose time, in every framing.
  static constexpr size_t kHeadBytes = 160;

  explicit MessageFormat(Settings s);
  const Settings& settings() const { return s_; }
  // The framer that finds these messages in a byte stream (the kernel's, or a user-space parser).
  net::framers::FramerSpec framer_spec() const;
  // The largest message: max_size, for tls at most one record.
  uint64_t max_size() const;
  // The smallest message `index` arising at `arose` can be: its header (and delimiter).
  uint64_t min_size(uint64_t index, Time arose) const;
  // The smallest size every message fits in (the largest header there can be).
  uint64_t worst_min_size() const { return min_size(UINT64_MAX, Time{INT64_MAX}); }
  // Message `index`, arisen at `arose`, of `size` bytes (raised to min_size).
  MessageLayout layout(uint64_t index, Time arose, uint64_t size) const;
  // When the message whose first bytes are `head` (up to kHeadBytes) arose, if they say.
  std::optional<Time> arose(std::span<const uint8_t> head) const;

  // Why `d` cannot delimit these messages (empty when it can).
  static std::string delimiter_problem(std::string_view d);

 private:
  static void binary(MessageLayout& m, std::string header, Time arose, uint64_t index, uint64_t size);
  void http(MessageLayout& m, uint64_t index, Time arose, uint64_t size) const;
  void http_chunked(MessageLayout& m, uint64_t index, Time arose, uint64_t size) const;
  Settings s_;
  std::shared_ptr<const std::vector<uint8_t>> body_;  // pattern(), or its text form for delimiter
};

// What a consumer keeps of the message it is assembling, and the check when it completes.
class MessageAssembly {
 public:
  void add(std::span<const uint8_t> bytes);
  uint64_t bytes() const { return digest_.bytes(); }
  struct Verdict {
    bool intact = false;        // the bytes are message `index` as the producer wrote it
    std::optional<Time> arose;  // when it arose, when its header says
  };
  // The message ended after the bytes added: checks it, and starts the next.
  Verdict finish(const MessageFormat& f, uint64_t index);

 private:
  StreamDigest digest_;
  std::vector<uint8_t> head_;
};

}  // namespace hostwire::apps
