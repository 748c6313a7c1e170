// A stream-mode consumer's own framing, in user space: the framer the kernel would run
// (net/framers), over the bytes each read returned.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "net/framers/framer.h"

namespace hostwire::apps {

// Cuts the bytes of successive reads into the pieces of successive messages.
class MessageSplitter {
 public:
  explicit MessageSplitter(const net::framers::FramerSpec& spec);
  ~MessageSplitter();
  // Calls `piece(bytes, ends)` for each run of one message in `bytes`, `ends` when the run
  // completes it. False when the stream is not the framing's (why() says how).
  template <class F>
  bool feed(std::span<const uint8_t> bytes, F&& piece) {
    while (!bytes.empty()) {
      if (!length_) {
        const auto st = framer_->feed(bytes);
        if (st.failed()) {
          why_ = st.why;
          return false;
        }
        if (st.done() && (st.length == 0 || st.length < have_)) {
          why_ = "a message length the framer gave ends before the bytes it was fed";
          return false;
        }
        if (st.done()) length_ = st.length;
      }
      const uint64_t take = length_ ? std::min<uint64_t>(*length_ - have_, bytes.size()) : bytes.size();
      have_ += take;
      const bool ends = length_ && have_ == *length_;
      piece(bytes.first(static_cast<size_t>(take)), ends);
      if (ends) next();
      bytes = bytes.subspan(static_cast<size_t>(take));
    }
    return true;
  }
  // Bytes the framer examined since the last call: what the parse costs.
  uint64_t take_examined();
  const char* why() const { return why_; }

 private:
  void next();  // the message ended: the framer starts the next one
  std::unique_ptr<net::framers::Framer> framer_;
  std::optional<uint64_t> length_;  // the current message's, once the framer knows it
  uint64_t have_ = 0;               // bytes of the current message seen
  uint64_t examined_ = 0;           // examined bytes of ended messages, not yet taken
  uint64_t taken_ = 0;              // of the current message's examined(), taken already
  const char* why_ = nullptr;
};

}  // namespace hostwire::apps
