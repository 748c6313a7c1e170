// The HTTP/1.1 framer on any stream: byte 0 picks requests or responses (bit 0) and the HEAD
// responses to expect (bits 1-3), byte 1 the header limit, byte 2 the maximum. Then
// framer_fuzz.h's pieces and stream.
#include "framer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  framer_fuzz::Input in{data, size};
  hostwire::net::framers::FramerSpec spec;
  spec.kind = hostwire::net::framers::FramerSpec::Kind::http;
  const uint8_t mode = in.take();
  spec.http_requests = mode & 1;
  const int heads = mode >> 1 & 7;
  const uint8_t limit = in.take();
  spec.header_limit = limit == 255 ? 8192 : 1u + limit;
  spec.max_message = framer_fuzz::max_message(in.take(), 1);
  framer_fuzz::check(spec, in, heads);
  return 0;
}
