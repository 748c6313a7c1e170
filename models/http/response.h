// The responses the in-kernel HTTP server sends, and what a client reads back from their heads.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "net/result.h"

namespace hostwire::http {

// The head (status line and header section) of a response the server sends: "HTTP/1.1 <code> <reason>\r\n"
// "Content-Length: <n>\r\n" "Content-Type: application/octet-stream\r\n" (for 200) or "text/plain" (errors)
// "Connection: close\r\n" when !keep_alive, then "\r\n". Reason phrases: 200 OK, 400 Bad Request,
// 404 Not Found, 431 Request Header Fields Too Large, 501 Not Implemented, 503 Service Unavailable.
std::string response_head(int status, uint64_t content_length, bool keep_alive);
const char* reason_phrase(int status);  // "Unknown" for a status not in the list above
// A whole error response (head + a one-line text body "<code> <reason>\n").
std::string error_response(int status, bool keep_alive);

// What a client needs from a response head.
struct ResponseHead {
  int status = 0;
  uint64_t content_length = 0;
  bool has_length = false;
  bool keep_alive = true;  // false with "Connection: close" (or HTTP/1.0 without keep-alive)
  uint64_t header_bytes = 0;
};
// Parses a complete response head (status line .. empty line); error text on failure. Bytes after
// the empty line are not looked at. A Transfer-Encoding is an error: this server's clients read
// Content-Length bodies only, so a coded body would be misread.
net::Result<ResponseHead> parse_response_head(std::span<const uint8_t> head);

}  // namespace hostwire::http
