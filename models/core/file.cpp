#include "core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <sys/stat.h>

namespace hostwire {

std::optional<std::string> read_whole_file(const std::string& path, std::string& reason) {
  // fopen succeeds on a directory on Linux and reading it then fails with EISDIR; say so first.
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    reason = std::strerror(EISDIR);
    return std::nullopt;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f.get())) > 0;) text.append(buf, n);
  if (std::ferror(f.get())) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

}  // namespace hostwire
