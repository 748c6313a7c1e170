// TLS records (RFC 8446 section 5.1; the same layout since SSL 3.0):
//   struct { ContentType type; ProtocolVersion legacy_record_version; uint16 length;
//            opaque fragment[length]; } TLSPlaintext;   (and TLSCiphertext)
// The framer reads the 5-byte header and checks each field as it arrives, so a stream that
// is not TLS fails at its first byte rather than after a bogus 16 KiB wait.
#pragma once

#include <array>

#include "net/framers/framer.h"

namespace hostwire::net::framers {

class TlsRecordFramer final : public Framer {
 public:
  static constexpr uint64_t kHeader = 5;
  // RFC 8446 5.2 allows 2^14 + 256 B of TLSCiphertext; RFC 5246 6.2.3 allowed 2^14 + 2048 for
  // TLS 1.2 and earlier, whose records share the legacy versions: the looser bound admits both.
  static constexpr uint64_t kMaxLength = (1u << 14) + 2048;

  explicit TlsRecordFramer(const FramerSpec& spec) : Framer(spec) {}

  framers::Status feed(std::span<const uint8_t> bytes) override;
  void reset() override;
  framers::Status last() const override { return last_; }
  uint64_t examined() const override { return seen_; }  // the header

 private:
  framers::Status check(uint8_t byte);

  std::array<uint8_t, kHeader> header_{};
  uint8_t seen_ = 0;
  framers::Status last_;
};

}  // namespace hostwire::net::framers
