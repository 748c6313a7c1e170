// Messages that end with a fixed byte string: lines ("\n", "\r\n"), an HTTP-like header block
// ("\r\n\r\n"), a binary trailer. Knuth-Morris-Pratt over the stream: the state is how much of
// the delimiter the last bytes matched, so a delimiter split across runs is found, no byte is
// looked at twice, and overlapping prefixes ("aab" in "aaab") are not missed.
#pragma once

#include <array>

#include "net/framers/framer.h"

namespace hostwire::net::framers {

class DelimiterFramer final : public Framer {
 public:
  static constexpr size_t kMaxDelimiter = 16;

  explicit DelimiterFramer(const FramerSpec& spec);

  framers::Status feed(std::span<const uint8_t> bytes) override;
  void reset() override;
  framers::Status last() const override { return last_; }
  // Every byte up to and including the delimiter.
  uint64_t examined() const override { return seen_; }

 private:
  std::array<uint8_t, kMaxDelimiter> delim_{};
  // fail_[q]: the longest proper prefix of delim_[0..q] that is also its suffix.
  std::array<uint8_t, kMaxDelimiter> fail_{};
  uint8_t size_;
  uint8_t matched_ = 0;  // delimiter bytes the stream's last bytes match
  uint64_t seen_ = 0;
  framers::Status last_;
};

}  // namespace hostwire::net::framers
