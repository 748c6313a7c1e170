// Reading a whole input file with an error that says why not, in the operating system's words
// ("Permission denied", "No such file or directory", "Is a directory").
#pragma once

#include <optional>
#include <string>

namespace hostwire {

// The file's bytes, or nullopt with `reason` set to the OS's reason (without the path).
std::optional<std::string> read_whole_file(const std::string& path, std::string& reason);

}  // namespace hostwire
