// The in-kernel HTTP module's parsers on any bytes (mechanism G): byte 0 sets the header limit,
// the rest is what a client sent. The end of the header section is found within the limit or
// not at all; a section that parses is as long as that end, its target is visible ASCII and
// formatting it again parses to the same request; any bytes as a response head parse or fail
// cleanly.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "http/request.h"
#include "http/response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hostwire::http;
  if (size == 0) return 0;
  const uint32_t limit = 16u + data[0] * 8u;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  bool too_long = false;
  const auto end = find_header_end(bytes, limit, &too_long);
  if (end && (*end > bytes.size() || *end > limit || too_long)) std::abort();
  if (end) {
    const ParsedRequest r = parse_request(bytes.first(static_cast<size_t>(*end)), limit);
    if (r.error == RequestError::none) {
      if (r.request.header_bytes != *end) std::abort();
      for (const char c : r.request.target)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) std::abort();
      if (r.request.method == Method::get || r.request.method == Method::head) {
        const std::string again = format_request(r.request.method, r.request.target, "h", r.request.keep_alive);
        const std::span<const uint8_t> b(reinterpret_cast<const uint8_t*>(again.data()), again.size());
        const ParsedRequest r2 = parse_request(b, static_cast<uint32_t>(again.size()));
        if (r2.error != RequestError::none || r2.request.target != r.request.target ||
            r2.request.method != r.request.method || r2.request.keep_alive != r.request.keep_alive)
          std::abort();
      }
    } else if (status_of(r.error) != 400 && status_of(r.error) != 431) {
      std::abort();
    }
  }
  (void)parse_response_head(bytes);
  return 0;
}
