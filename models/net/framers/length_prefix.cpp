#include "net/framers/length_prefix.h"

#include <algorithm>

namespace hostwire::net::framers {

LengthPrefixFramer::LengthPrefixFramer(const FramerSpec& spec) : Framer(spec), header_(header_size(spec)) {}

void LengthPrefixFramer::reset() {
  seen_ = 0;
  field_ = 0;
  last_ = Status::more();
}

Status LengthPrefixFramer::feed(std::span<const uint8_t> bytes) {
  if (!last_.need_more()) return last_;
  // The bytes before the field are skipped by count, so a large offset costs nothing per byte.
  size_t i = 0;
  if (seen_ < spec_.offset) {
    const uint64_t skip = std::min<uint64_t>(spec_.offset - seen_, bytes.size());
    seen_ += skip;
    i = static_cast<size_t>(skip);
  }
  // The field, one byte at a time, so that it may be split across any runs.
  for (; i < bytes.size() && seen_ < header_; ++i, ++seen_) {
    const uint64_t at = seen_ - spec_.offset;
    if (spec_.big_endian)
      field_ = field_ << 8 | bytes[i];
    else
      field_ |= uint64_t{bytes[i]} << (8 * at);
  }
  if (seen_ == header_) last_ = decide();
  return last_;
}

Status LengthPrefixFramer::decide() const {
  // In 128 bits the sum is exact for every width, offset and adjustment: an 8-byte length near
  // 2^64 cannot wrap into a small, plausible one.
  __extension__ using Wide = __int128;
  Wide total = Wide{field_} + spec_.adjustment;
  if (!spec_.counts_header) total += header_;
  if (total > Wide{UINT64_MAX}) return Status::over_limit("length overflows 64 bits");
  if (total < Wide{header_}) return Status::fail("length below the header");
  if (total > Wide{spec_.max_message}) return Status::over_limit("message over the maximum");
  return Status::message(static_cast<uint64_t>(total));
}

}  // namespace hostwire::net::framers
