// The syntax a request head and a response head share (RFC 9112 2.2, 5; RFC 9110 5.6): lines
// ended by CRLF or a bare LF, field lines, and the fields that decide a connection's framing
// and persistence. Both parsers take a head whose end was already found, so every line is whole.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "net/framers/http_fields.h"

namespace hostwire::http {

inline std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// One line: its bytes without the line end, and the offset just past that end.
struct HeadLine {
  std::string_view text;
  size_t next = 0;
};
// The line starting at `from`; nullopt when no LF follows. A CR counts as part of the line end
// only just before the LF (a lone CR stays in `text`, where the character checks reject it).
std::optional<HeadLine> next_line(std::string_view bytes, size_t from);

// Where the header section ends (offset past its empty line) within the first `limit` bytes, if
// it does. `skip_leading` skips empty lines before the start line (a server's robustness, RFC
// 9112 2.2); a response head has none.
std::optional<size_t> header_section_end(std::string_view bytes, uint64_t limit, bool skip_leading);

bool is_token(std::string_view s);
bool equals_ignoring_case(std::string_view a, std::string_view b);

// What the field lines of one head say, for the parts this server and its clients act on.
struct HeadFields {
  uint32_t hosts = 0;  // Host field lines seen
  net::framers::http::ContentLength content_length;
  bool transfer_encoding = false;
  bool close = false;       // Connection: close
  bool keep_alive = false;  // Connection: keep-alive
};
// Parses the field lines of `section` (which starts just after the start line and ends with the
// empty line) into `fields`; returns why on malformed syntax, else nullptr.
const char* parse_fields(std::string_view section, HeadFields& fields);

// Persistence by version (RFC 9112 9.3): HTTP/1.1 persists unless closed, HTTP/1.0 only on request.
inline bool persists(int version_minor, const HeadFields& f) {
  if (f.close) return false;
  return version_minor >= 1 || f.keep_alive;
}

}  // namespace hostwire::http
