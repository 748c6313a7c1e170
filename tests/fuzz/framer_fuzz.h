// What the four framer fuzz targets share. Input: the target's settings bytes, then a byte k
// and k piece sizes, then the stream. The stream is framed whole, a byte per run, in the
// input's piece sizes (cycled) and cut once; every way must give the same messages (the split
// property of models/net/tests/framer_split.h, which also checks lengths, examined() and that
// a decided status sticks until reset). And a framer never allocates once made: its memory
// is what make_framer gave it, whatever the stream.
//
// Included by exactly one file of each fuzz binary: it replaces operator new to count.
#pragma once

#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "fuzz_target.h"
#include "net/framers/framer.h"
#include "net/tests/framer_split.h"

namespace framer_fuzz {

inline size_t allocations = 0;

// The input, consumed from the front; past its end every byte reads 0.
struct Input {
  const uint8_t* data;
  size_t size;
  uint8_t take() {
    if (size == 0) return 0;
    --size;
    return *data++;
  }
  std::span<const uint8_t> rest() const { return {data, size}; }
};

// A maximum message size from one byte: small ones (where the limits bite), up to 2^64 - 1.
inline uint64_t max_message(uint8_t b, uint64_t at_least) {
  if (b == 255) return UINT64_MAX;
  return at_least + (b < 128 ? b : uint64_t{b} << (b % 16));
}

// Forwards to a framer and checks that no call allocates.
class Counted final : public hostwire::net::framers::Framer {
 public:
  explicit Counted(Framer& inner) : Framer(inner.spec()), inner_(inner) {}
  hostwire::net::framers::Status feed(std::span<const uint8_t> b) override {
    return checked([&] { return inner_.feed(b); });
  }
  hostwire::net::framers::Status finish() override { return checked([&] { return inner_.finish(); }); }
  void reset() override {
    checked([&] {
      inner_.reset();
      return inner_.last();
    });
  }
  hostwire::net::framers::Status last() const override { return inner_.last(); }
  uint64_t examined() const override { return inner_.examined(); }

 private:
  template <class F>
  hostwire::net::framers::Status checked(F&& f) {
    const size_t before = allocations;
    const auto s = f();
    FUZZ_CHECK(allocations == before);
    return s;
  }
  Framer& inner_;
};

// Frames `stream` every way and checks that they agree. `heads`: HEAD responses to expect.
inline void check(const hostwire::net::framers::FramerSpec& spec, Input in, int heads = 0) {
  using namespace hostwire::net::framers;
  FUZZ_CHECK(validate(spec).ok());
  std::vector<size_t> pieces(in.take() % 8);
  for (auto& p : pieces) p = in.take() + size_t{1};
  const auto stream = in.rest();
  const auto frame = [&](auto&& piece) {
    auto framer = make_framer(spec);
    for (int i = 0; i < heads; ++i) framer->expect_head_response();
    Counted counted(*framer);
    const auto framed = testing::frame_stream(counted, stream, piece);
    if (framed.broken) __builtin_printf("framer property broken: %s\n", framed.broken);
    FUZZ_CHECK(framed.broken == nullptr);
    return framed;
  };
  const auto whole = frame([](size_t) { return SIZE_MAX; });
  FUZZ_CHECK(frame([](size_t) { return size_t{1}; }) == whole);
  if (!pieces.empty()) {
    size_t next = 0;
    FUZZ_CHECK(frame([&](size_t) { return pieces[next++ % pieces.size()]; }) == whole);
  }
  const size_t cut = stream.empty() ? 0 : (pieces.empty() ? 0 : pieces[0]) * 7919 % stream.size();
  FUZZ_CHECK(frame([&](size_t at) { return at < cut ? cut - at : SIZE_MAX; }) == whole);
}

}  // namespace framer_fuzz

// Every form of new and delete, so that what one allocates the other frees (the sanitizers,
// whose own forms would be mixed with these, check that pairing).
inline void* counted_malloc(size_t n) noexcept {
  ++framer_fuzz::allocations;
  return std::malloc(n ? n : 1);
}
void* operator new(size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
