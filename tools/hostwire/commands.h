// The hostwire command line: run, check, params. Each returns the process exit code:
// 0 ok, 2 bad input (scenario, flags), 1 simulation failure (a broken invariant, a model error).
#pragma once

#include <string>
#include <vector>

namespace hostwire::cli {

constexpr int kExitOk = 0;
constexpr int kExitSimFailure = 1;
constexpr int kExitBadInput = 2;

int main(int argc, char** argv);

}  // namespace hostwire::cli
