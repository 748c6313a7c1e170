#include "net/framers/tls_record.h"

namespace hostwire::net::framers {

namespace {

// ContentType (RFC 8446 B.1): change_cipher_spec(20), alert(21), handshake(22),
// application_data(23), and heartbeat(24) of RFC 6520.
constexpr uint8_t kFirstType = 20, kLastType = 24;

}  // namespace

void TlsRecordFramer::reset() {
  seen_ = 0;
  last_ = Status::more();
}

Status TlsRecordFramer::feed(std::span<const uint8_t> bytes) {
  for (size_t i = 0; last_.need_more() && i < bytes.size(); ++i) last_ = check(bytes[i]);
  return last_;
}

// The header byte after those seen.
Status TlsRecordFramer::check(uint8_t byte) {
  header_[seen_++] = byte;
  switch (seen_) {
    case 1:
      if (byte < kFirstType || byte > kLastType) return Status::fail("tls content type not 20-24");
      break;
    case 2:
      if (byte != 3) return Status::fail("tls legacy_record_version not 0x0301-0x0304");
      break;
    case 3:
      // 0x0300 is SSL 3.0 (RFC 7568 forbids it); TLS 1.3 writes 0x0301 or 0x0303.
      if (byte < 1 || byte > 4) return Status::fail("tls legacy_record_version not 0x0301-0x0304");
      break;
    case 5: {
      const uint64_t length = uint64_t{header_[3]} << 8 | header_[4];
      if (length > kMaxLength) return Status::over_limit("tls length over 2^14 + 2048");
      if (kHeader + length > spec_.max_message) return Status::over_limit("message over the maximum");
      return Status::message(kHeader + length);
    }
  }
  return Status::more();
}

}  // namespace hostwire::net::framers
