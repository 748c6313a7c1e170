// The send buffer as a byte stream: bytes from the application, addressed by their stream
// offset, held until acknowledged. Copied writes fill blocks that grow from 16 KiB to
// 256 KiB; zero-copy writes keep the caller's slice. A segment is a slice of one block; only
// a segment that straddles two blocks is copied into a buffer of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "core/packet.h"

namespace hostwire::tcp {

class SendBuffer {
 public:
  uint64_t begin() const { return begin_; }  // first unacknowledged byte's stream offset
  uint64_t end() const { return end_; }      // offset after the last byte written
  uint64_t size() const { return end_ - begin_; }

  void append(std::span<const uint8_t> data);
  void append(const PayloadSlice& data);
  // Bytes [offset, offset + len) as one slice; they must lie in [begin(), end()).
  PayloadSlice slice(uint64_t offset, uint32_t len) const;
  // Drops bytes below `offset` (acknowledged).
  void release(uint64_t offset);

 private:
  struct Chunk {
    uint64_t start;  // stream offset of slice.bytes()[0]
    PayloadSlice slice;
  };
  std::deque<Chunk> chunks_;
  std::shared_ptr<std::vector<uint8_t>> tail_;  // the block copied writes go into
  uint32_t tail_used_ = 0;
  uint32_t next_block_ = 16 * 1024;
  uint64_t begin_ = 0, end_ = 0;
};

}  // namespace hostwire::tcp
