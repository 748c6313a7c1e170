#include "kernel/tcp/send_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace hostwire::tcp {

void SendBuffer::append(std::span<const uint8_t> data) {
  while (!data.empty()) {
    if (!tail_ || tail_used_ == tail_->size()) {
      tail_ = std::make_shared<std::vector<uint8_t>>(next_block_);
      tail_used_ = 0;
      next_block_ = std::min<uint32_t>(next_block_ * 2, 256 * 1024);
    }
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(data.size(), tail_->size() - tail_used_));
    std::memcpy(tail_->data() + tail_used_, data.data(), n);
    // Extend the last chunk when it is the tail block's, so segments rarely straddle chunks.
    if (!chunks_.empty() && chunks_.back().slice.buffer.get() == tail_.get() &&
        chunks_.back().slice.offset + chunks_.back().slice.length == tail_used_) {
      chunks_.back().slice.length += n;
    } else {
      chunks_.push_back(Chunk{end_, PayloadSlice{tail_, tail_used_, n}});
    }
    tail_used_ += n;
    end_ += n;
    data = data.subspan(n);
  }
}

void SendBuffer::append(const PayloadSlice& data) {
  if (data.length == 0) return;
  // A write that continues the last one in the same buffer extends its chunk: segments then
  // slice it without joining (copying) across writes (a bulk sender's consecutive 64 KiB calls).
  if (!chunks_.empty()) {
    PayloadSlice& last = chunks_.back().slice;
    if (last.buffer == data.buffer && uint64_t{last.offset} + last.length == data.offset &&
        uint64_t{last.length} + data.length <= UINT32_MAX) {
      last.length += data.length;
      end_ += data.length;
      return;
    }
  }
  chunks_.push_back(Chunk{end_, data});
  end_ += data.length;
}

PayloadSlice SendBuffer::slice(uint64_t offset, uint32_t len) const {
  assert(offset >= begin_ && offset + len <= end_);
  if (len == 0) return {};
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), offset,
                             [](uint64_t off, const Chunk& c) { return off < c.start; });
  --it;
  const uint64_t in = offset - it->start;
  if (in + len <= it->slice.length) return it->slice.sub(static_cast<uint32_t>(in), len);
  auto joined = std::make_shared<std::vector<uint8_t>>(len);
  uint32_t at = 0;
  uint64_t from = in;
  for (; at < len; ++it, from = 0) {
    const auto bytes = it->slice.bytes();
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(len - at, bytes.size() - from));
    std::memcpy(joined->data() + at, bytes.data() + from, n);
    at += n;
  }
  return PayloadSlice{std::move(joined), 0, len};
}

void SendBuffer::release(uint64_t offset) {
  offset = std::min(offset, end_);
  if (offset <= begin_) return;
  begin_ = offset;
  while (!chunks_.empty()) {
    Chunk& c = chunks_.front();
    if (c.start + c.slice.length <= offset) {
      chunks_.pop_front();
      continue;
    }
    if (c.start < offset) {
      const uint32_t cut = static_cast<uint32_t>(offset - c.start);
      c.slice = c.slice.sub(cut, c.slice.length - cut);
      c.start = offset;
    }
    break;
  }
}

}  // namespace hostwire::tcp
