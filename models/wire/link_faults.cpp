#include "wire/link_faults.h"

namespace hostwire::wire {

namespace {
std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
}  // namespace

bool ChannelFaultKeys::to_fault_params(FaultParams& out, std::string& key, std::string& problem) const {
  out = FaultParams{};
  out.loss = loss;
  out.burst = GilbertElliott{burst_p, burst_r, burst_loss_in_bad, burst_loss_in_good};
  out.corrupt = corrupt;
  out.ber = ber;
  out.reorder = reorder;
  out.reorder_delay = reorder_delay;
  out.duplicate = duplicate;
  // "1ms..2ms, 5ms..5.5ms"
  std::string rest = link_down;
  while (!trim(rest).empty()) {
    auto comma = rest.find(',');
    std::string part = trim(rest.substr(0, comma));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    auto dots = part.find("..");
    key = "link_down";
    if (dots == std::string::npos) {
      problem = "'" + part + "' is not an interval start..end (e.g. 1ms..2ms)";
      return false;
    }
    auto a = parse_quantity(UnitKind::Time, part.substr(0, dots));
    auto b = parse_quantity(UnitKind::Time, part.substr(dots + 2));
    if (!a.value || !b.value) {
      problem = "'" + part + "': " + (!a.value ? a.error : b.error);
      return false;
    }
    out.link_down.push_back({Time{*a.value}, Time{*b.value}});
  }
  for (const auto& p : out.validate()) {
    // FaultParams names fields burst.p, link_down[0], ...; map them to our keys.
    key = p.key;
    for (auto& c : key)
      if (c == '.') c = '_';
    if (auto br = key.find('['); br != std::string::npos) key = key.substr(0, br);
    problem = p.message;
    return false;
  }
  return true;
}

}  // namespace hostwire::wire
