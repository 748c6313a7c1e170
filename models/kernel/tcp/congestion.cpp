#include "congestion.h"

#include "cubic.h"
#include "newreno.h"

namespace hostwire::tcp {

std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name, const CongestionParams& p) {
  if (name == "newreno") return std::make_unique<NewReno>(p);
  if (name == "cubic") return std::make_unique<Cubic>(p);
  return nullptr;
}

}  // namespace hostwire::tcp
