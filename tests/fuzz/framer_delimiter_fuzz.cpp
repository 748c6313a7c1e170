// The delimiter framer on any stream and delimiter: byte 0 gives the delimiter's length
// (1-16), the next that many bytes the delimiter, the one after the maximum. Then
// framer_fuzz.h's pieces and stream.
#include "framer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  framer_fuzz::Input in{data, size};
  hostwire::net::framers::FramerSpec spec;
  spec.kind = hostwire::net::framers::FramerSpec::Kind::delimiter;
  spec.delimiter.resize(in.take() % 16 + 1);
  for (auto& c : spec.delimiter) c = static_cast<char>(in.take());
  spec.max_message = framer_fuzz::max_message(in.take(), spec.delimiter.size());
  framer_fuzz::check(spec, in);
  return 0;
}
