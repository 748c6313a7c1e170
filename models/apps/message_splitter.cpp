#include "apps/message_splitter.h"

namespace hostwire::apps {

MessageSplitter::MessageSplitter(const net::framers::FramerSpec& spec) : framer_(net::framers::make_framer(spec)) {}
MessageSplitter::~MessageSplitter() = default;

void MessageSplitter::next() {
  examined_ += framer_->examined() - taken_;
  taken_ = 0;
  framer_->reset();
  length_.reset();
  have_ = 0;
}

uint64_t MessageSplitter::take_examined() {
  const uint64_t n = examined_ + framer_->examined() - taken_;
  examined_ = 0;
  taken_ = framer_->examined();
  return n;
}

}  // namespace hostwire::apps
