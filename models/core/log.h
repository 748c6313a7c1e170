// Logging with a level per component, stamped with simulated time:
//   [1.2304us] link0.a_to_b: frame 17 dropped (fcs)
// HW_LOG checks the level before formatting, so a disabled message costs one compare.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace hostwire {

enum class LogLevel { off = 0, error, warn, info, debug, trace };

// Parses "info" / "link0=debug,host_b.nic=trace,*=warn" into rules; returns an error message
// (empty on success) naming the bad part.
class LogConfig {
 public:
  std::string parse(std::string_view spec);
  // The level for a hierarchical name: the longest matching prefix rule, else the default.
  LogLevel level_for(std::string_view name) const;
  static LogConfig& global();

  // Every Logger names its component here, so rules can be checked against what was built.
  void add_component(const std::string& name) { components_.insert(name); }
  // After the models are built: the first rule that matches no component, as an error with
  // the nearest component's name; empty when every rule matches one.
  std::string unknown_components() const;

 private:
  std::set<std::string> components_{"apps"};  // apps make their logger where they log
  struct Rule {
    std::string prefix;
    LogLevel level;
  };
  std::vector<Rule> rules_;
  LogLevel default_ = LogLevel::warn;
};

class Logger {
 public:
  explicit Logger(std::string name) : name_(std::move(name)), level_(LogConfig::global().level_for(name_)) {
    LogConfig::global().add_component(name_);
  }
  bool enabled(LogLevel l) const { return l <= level_; }
  void write(LogLevel l, std::string_view msg) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  LogLevel level_;
};

const char* level_name(LogLevel l);

}  // namespace hostwire

#define HW_LOG(logger, lvl, ...)                                                        \
  do {                                                                                  \
    if ((logger).enabled(::hostwire::LogLevel::lvl))                                    \
      (logger).write(::hostwire::LogLevel::lvl, ::fmt::format(__VA_ARGS__));            \
  } while (0)
