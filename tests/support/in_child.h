// Runs a piece of a test in a forked child process and brings back the JSON it produced.
// SystemC elaborates once per process, so a TEST that compares several simulations runs each
// in its own child.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace hostwire::testing {

// Runs `body` in a forked child; returns the JSON it produced (null when the child failed).
// The child reports its own gtest failures as "failures" so the parent can surface them.
inline nlohmann::json in_child(const std::function<nlohmann::json()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    close(fds[0]);
    nlohmann::json out;
    try {
      out = body();
    } catch (const std::exception& e) {
      out = {{"exception", e.what()}};
    }
    const std::string text = out.dump();
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = write(fds[1], text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);  // no gtest teardown, no SystemC shutdown in the child
  }
  close(fds[1]);
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) return {};
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json{} : j;
}

}  // namespace hostwire::testing
