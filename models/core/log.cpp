#include "core/log.h"

#include <algorithm>
#include <cstdio>

#include <systemc>

#include "core/params.h"
#include "core/units.h"

namespace hostwire {

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::off: return "off";
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    case LogLevel::trace: return "trace";
  }
  return "?";
}

namespace {
bool parse_level(std::string_view s, LogLevel& out) {
  for (auto l : {LogLevel::off, LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug, LogLevel::trace})
    if (s == level_name(l)) return out = l, true;
  return false;
}
}  // namespace

LogConfig& LogConfig::global() {
  static LogConfig c;
  return c;
}

std::string LogConfig::parse(std::string_view spec) {
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view part = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string_view who = eq == std::string_view::npos ? "*" : part.substr(0, eq);
    std::string_view lvl = eq == std::string_view::npos ? part : part.substr(eq + 1);
    LogLevel level;
    if (!parse_level(lvl, level))
      return "'" + std::string(part) + "': level must be one of off, error, warn, info, debug, trace";
    if (who == "*") default_ = level;
    else rules_.push_back({std::string(who), level});
  }
  return {};
}

LogLevel LogConfig::level_for(std::string_view name) const {
  size_t best_len = 0;
  LogLevel level = default_;
  for (const auto& r : rules_) {
    bool match = name.substr(0, r.prefix.size()) == r.prefix &&
                 (name.size() == r.prefix.size() || name[r.prefix.size()] == '.');
    if (match && r.prefix.size() >= best_len) best_len = r.prefix.size(), level = r.level;
  }
  return level;
}

std::string LogConfig::unknown_components() const {
  for (const auto& r : rules_) {
    // A rule names a component or a scope of components ("host_b" covers "host_b.nic").
    const bool known = std::any_of(components_.begin(), components_.end(), [&](const std::string& c) {
      return c.compare(0, r.prefix.size(), r.prefix) == 0 && (c.size() == r.prefix.size() || c[r.prefix.size()] == '.');
    });
    if (known) continue;
    std::string msg = "'" + r.prefix + "': no component of that name in this scenario";
    std::set<std::string> names;  // components and the scopes above them
    for (const auto& c : components_)
      for (size_t dot = c.find('.'); ; dot = c.find('.', dot + 1)) {
        names.insert(c.substr(0, dot));
        if (dot == std::string::npos) break;
      }
    if (auto n = nearest(r.prefix, {names.begin(), names.end()})) msg += " (did you mean '" + *n + "'?)";
    return msg;
  }
  return {};
}

void Logger::write(LogLevel l, std::string_view msg) const {
  auto now = static_cast<int64_t>(sc_core::sc_time_stamp().value());  // 1 ps resolution
  std::string line = fmt::format("[{}] {}: {}{}\n", format_quantity(UnitKind::Time, now), name_,
                                 l <= LogLevel::warn ? std::string(level_name(l)) + ": " : "", msg);
  std::fputs(line.c_str(), stderr);
}

}  // namespace hostwire
