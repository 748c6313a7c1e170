// A length field at a fixed place in each message's header: the framing of most binary
// protocols (Kafka, Thrift framed, gRPC's 5-byte prefix, DNS over TCP) and of Linux KCM's
// BPF programs, which read exactly such a field.
#pragma once

#include "net/framers/framer.h"

namespace hostwire::net::framers {

class LengthPrefixFramer final : public Framer {
 public:
  explicit LengthPrefixFramer(const FramerSpec& spec);

  framers::Status feed(std::span<const uint8_t> bytes) override;
  void reset() override;
  framers::Status last() const override { return last_; }
  // The header only: the body is counted, never looked at.
  uint64_t examined() const override { return seen_; }

  // Bytes up to the end of the length field: the bytes before it, then the field.
  static uint64_t header_size(const FramerSpec& spec) { return uint64_t{spec.offset} + spec.width; }

 private:
  framers::Status decide() const;

  uint64_t header_;
  uint64_t seen_ = 0;   // header bytes fed so far (never more than header_)
  uint64_t field_ = 0;  // the length field, accumulated byte by byte
  framers::Status last_;
};

}  // namespace hostwire::net::framers
