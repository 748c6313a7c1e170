// Every fuzz target defines LLVMFuzzerTestOneInput. Built with clang's libFuzzer it is fuzzed
// (tools/fuzz.sh); built with any compiler and replay_main.cpp it replays the corpus and the
// regression inputs as an ordinary test, so a crash once found stays fixed.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// A property a target checks on its input; a violation aborts so the fuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      __builtin_printf("fuzz property violated: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                     \
    }                                                                                       \
  } while (0)
