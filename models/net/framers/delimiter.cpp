#include "net/framers/delimiter.h"

#include <algorithm>
#include <cstring>

namespace hostwire::net::framers {

DelimiterFramer::DelimiterFramer(const FramerSpec& spec)
    : Framer(spec), size_(static_cast<uint8_t>(std::min(spec.delimiter.size(), kMaxDelimiter))) {
  std::memcpy(delim_.data(), spec.delimiter.data(), size_);
  for (uint8_t q = 1, k = 0; q < size_; ++q) {
    while (k > 0 && delim_[q] != delim_[k]) k = fail_[k - 1];
    if (delim_[q] == delim_[k]) ++k;
    fail_[q] = k;
  }
}

void DelimiterFramer::reset() {
  matched_ = 0;
  seen_ = 0;
  last_ = Status::more();
}

Status DelimiterFramer::feed(std::span<const uint8_t> bytes) {
  if (!last_.need_more()) return last_;
  // Never past max_message: a message that long without a delimiter is an error, not a wait.
  const uint64_t room = spec_.max_message - seen_;
  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + std::min<uint64_t>(bytes.size(), room);
  while (p < end) {
    if (matched_ == 0) {
      // Nothing matched: memchr jumps to the delimiter's first byte (the bytes skipped are
      // examined all the same, by memchr).
      const void* hit = std::memchr(p, delim_[0], static_cast<size_t>(end - p));
      if (!hit) {
        p = end;
        break;
      }
      p = static_cast<const uint8_t*>(hit) + 1;
      matched_ = 1;
    } else {
      while (matched_ > 0 && *p != delim_[matched_]) matched_ = fail_[matched_ - 1];
      if (*p == delim_[matched_]) ++matched_;
      ++p;
    }
    if (matched_ == size_) {
      seen_ += static_cast<uint64_t>(p - bytes.data());
      return last_ = Status::message(seen_);
    }
  }
  seen_ += static_cast<uint64_t>(p - bytes.data());
  if (seen_ == spec_.max_message) last_ = Status::over_limit("no delimiter within max_message");
  return last_;
}

}  // namespace hostwire::net::framers
