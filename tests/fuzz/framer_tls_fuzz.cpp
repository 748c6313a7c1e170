// The TLS record framer on any stream: byte 0 picks the maximum. Then framer_fuzz.h's pieces
// and stream.
#include "framer_fuzz.h"
#include "net/framers/tls_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  framer_fuzz::Input in{data, size};
  hostwire::net::framers::FramerSpec spec;
  spec.kind = hostwire::net::framers::FramerSpec::Kind::tls;
  spec.max_message = framer_fuzz::max_message(in.take(), hostwire::net::framers::TlsRecordFramer::kHeader);
  framer_fuzz::check(spec, in);
  return 0;
}
