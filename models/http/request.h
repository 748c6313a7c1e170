// The requests the in-kernel HTTP server takes: the parse of one header section (strict, since
// a kernel parser that guesses is one a crafted request can desynchronise), where a section ends
// in a stream, and the request a client writes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hostwire::http {

enum class Method : uint8_t { get, head, post, put, del, options, other };
const char* to_string(Method m);  // "GET", ... "other"

// Why a request cannot be served: malformed (400 Bad Request) or a header section over the limit
// (431 Request Header Fields Too Large).
enum class RequestError : uint8_t { none, bad_request, header_too_long };
int status_of(RequestError e);  // 400, 431; 200 for none

struct Request {
  Method method = Method::other;
  std::string target;         // the request-target as sent ("/obj/17")
  int version_minor = 1;      // HTTP/1.<minor>
  bool keep_alive = true;     // HTTP/1.1: unless "Connection: close"; HTTP/1.0: only with "Connection: keep-alive"
  uint64_t header_bytes = 0;  // start line through the empty line
  uint64_t body_bytes = 0;    // Content-Length (0 without one; chunked request bodies are a bad_request here)
};

struct ParsedRequest {
  RequestError error = RequestError::none;
  const char* why = nullptr;  // static string for logs on error
  Request request;
};

// Parses the header section of one request: `head` holds its bytes from the request-line up to and
// including the empty line (CRLF CRLF; a bare LF line end is accepted as RFC 9112 2.2 allows). Leading
// empty lines before the request-line are skipped (and counted in header_bytes). A section over
// `header_limit` bytes is header_too_long. Strict: method is a token, one SP, a target of visible
// ASCII (no SP, no CTL), one SP, "HTTP/1.0" or "HTTP/1.1" (others: bad_request), field lines
// name ":" OWS value OWS with name a token; obs-fold (a line starting with SP/HTAB) is bad_request;
// a missing Host field in HTTP/1.1 is bad_request (RFC 9112 3.2), and so are two Host fields;
// Content-Length invalid or two different values: bad_request; Transfer-Encoding present:
// bad_request (this server takes no chunked request bodies). Connection field values are a comma
// list, case-insensitive tokens "close"/"keep-alive". Bytes after the empty line are not looked at.
ParsedRequest parse_request(std::span<const uint8_t> head, uint32_t header_limit);

// Where the header section ends in `bytes` (the offset just past the empty line), if it is there
// within `header_limit` bytes; nullopt when more bytes are needed; header_too_long is reported by
// `too_long` set true when header_limit bytes were seen without the end (`too_long` may be null).
std::optional<uint64_t> find_header_end(std::span<const uint8_t> bytes, uint32_t header_limit, bool* too_long);

// A request as a client writes it: "GET <target> HTTP/1.1\r\nHost: <host>\r\n[Connection: close\r\n]\r\n".
std::string format_request(Method m, std::string_view target, std::string_view host, bool keep_alive);

}  // namespace hostwire::http
