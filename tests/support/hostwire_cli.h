// Running the built hostwire binary from a test, as a user would: its exit status and
// everything it printed. HOSTWIRE_BIN comes from the test's CMake target.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace hostwire::testing {

struct CliResult {
  int code;
  std::string output;  // stdout and stderr
};

// A shell command line (sh -c), with SystemC's banner off: its exit status and output.
inline CliResult run_shell(const std::string& command) {
  std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1; export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE; " + command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CliResult run_hostwire(const std::string& args) { return run_shell(HOSTWIRE_BIN " " + args); }

// A fresh, empty folder for one test, unique per process.
inline std::string tmp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("hostwire_test_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(slurp(path)); }

}  // namespace hostwire::testing
