// The length-prefix framer on any stream and layout: byte 0 picks the width (bits 0-1), the
// byte order (bit 2), whether the length counts the header (bit 3) and the offset (bits 4-7);
// byte 1 is the adjustment (signed); byte 2 the maximum. Then framer_fuzz.h's pieces and stream.
#include "framer_fuzz.h"
#include "net/framers/length_prefix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  framer_fuzz::Input in{data, size};
  hostwire::net::framers::FramerSpec spec;
  spec.kind = hostwire::net::framers::FramerSpec::Kind::length_prefix;
  const uint8_t layout = in.take();
  spec.width = static_cast<uint8_t>(1u << (layout & 3));
  spec.big_endian = layout & 4;
  spec.counts_header = layout & 8;
  spec.offset = layout >> 4;
  spec.adjustment = static_cast<int8_t>(in.take());
  // A large adjustment now and then, to reach the 64-bit edges.
  if (spec.adjustment == -128) spec.adjustment = INT64_MIN;
  if (spec.adjustment == 127) spec.adjustment = INT64_MAX;
  spec.max_message = framer_fuzz::max_message(in.take(), hostwire::net::framers::LengthPrefixFramer::header_size(spec));
  framer_fuzz::check(spec, in);
  return 0;
}
