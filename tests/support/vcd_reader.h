// Just enough of a VCD reader to check what a writer produced (tests only).
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hostwire::testing {

// Declarations with their full hierarchical names, and every value (from $dumpvars on) with its time.
struct VcdVar {
  std::string type;  // "wire", "real", "string", ...
  int width = 0;
  std::string code;
};

struct VcdTrace {
  std::string error;  // empty when the text parsed
  std::string version, timescale;
  std::map<std::string, VcdVar> vars;  // by hierarchical name, "link0.a_to_b.busy"
  std::vector<int64_t> times;          // every "#t", in file order
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> values;  // by code

  // (time, value) of a signal: "1", "1010" for b1010 (or b001010), "0.5" for r0.5, "idle" for sidle.
  std::vector<std::pair<int64_t, std::string>> of(const std::string& name) const {
    auto v = vars.find(name);
    if (v == vars.end()) return {};
    auto it = values.find(v->second.code);
    return it == values.end() ? std::vector<std::pair<int64_t, std::string>>{} : it->second;
  }
};

inline VcdTrace read_vcd(const std::string& text) {
  VcdTrace trace;
  std::istringstream in(text);
  std::vector<std::string> scopes;
  int64_t now = -1;
  std::string tok;
  auto next = [&] {
    if (!(in >> tok)) throw std::runtime_error("unexpected end of file");
    return tok;
  };
  auto until_end = [&] {  // the words of a section, up to its $end
    std::string words;
    for (next(); tok != "$end"; next()) words += (words.empty() ? "" : " ") + tok;
    return words;
  };
  auto record = [&](std::string value, const std::string& code) {
    if (now < 0) throw std::runtime_error("value before the first timestamp");
    trace.values[code].emplace_back(now, std::move(value));
  };
  try {
    while (in >> tok) {
      if (tok == "$version") {
        trace.version = until_end();
      } else if (tok == "$timescale") {
        trace.timescale = until_end();
      } else if (tok == "$date" || tok == "$comment") {
        until_end();
      } else if (tok == "$scope") {
        next();
        scopes.push_back(next());
        if (next() != "$end") throw std::runtime_error("bad $scope");
      } else if (tok == "$upscope") {
        if (scopes.empty() || next() != "$end") throw std::runtime_error("bad $upscope");
        scopes.pop_back();
      } else if (tok == "$var") {
        VcdVar v;
        v.type = next();
        v.width = std::stoi(next());
        v.code = next();
        std::string name;
        for (const auto& s : scopes) name += s + ".";
        name += next();
        until_end();  // an optional bit range
        if (!trace.vars.emplace(name, v).second) throw std::runtime_error("duplicate var " + name);
      } else if (tok == "$enddefinitions") {
        until_end();
      } else if (tok == "$dumpvars" || tok == "$dumpall" || tok == "$end") {
        // value changes follow / end; they are read like any other
      } else if (tok[0] == '#') {
        now = std::stoll(tok.substr(1));
        trace.times.push_back(now);
      } else if (tok[0] == 'b' || tok[0] == 'B' || tok[0] == 'r' || tok[0] == 'R') {
        std::string value = tok.substr(1);
        if (tok[0] == 'b' || tok[0] == 'B') {  // "b0011" is "b11": a vector is extended with 0 on the left
          const size_t one = value.find_first_not_of('0');
          value = one == std::string::npos ? "0" : value.substr(one);
        }
        record(std::move(value), next());
      } else if (tok[0] == 's' || tok[0] == 'S') {  // a string variable's value: "sidle"
        std::string label = tok.substr(1);  // before next() replaces tok
        record(std::move(label), next());
      } else if (std::string("01xXzZ").find(tok[0]) != std::string::npos && tok.size() > 1) {
        record(tok.substr(0, 1), tok.substr(1));
      } else {
        throw std::runtime_error("unexpected token '" + tok + "'");
      }
    }
  } catch (const std::exception& e) {
    trace.error = e.what();
  }
  return trace;
}

}  // namespace hostwire::testing
