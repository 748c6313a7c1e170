// Scenario loader: any text gives a validated scenario or errors naming the file; never a
// crash, and every error has a location.
#include <string>

#include "core/scenario.h"
#include "fuzz_target.h"
#include "platforms/catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hostwire::HostwireCatalog catalog;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = hostwire::load_scenario_text(text, "fuzz.yaml", catalog);
  FUZZ_CHECK(r.scenario.has_value() != !r.errors.empty());
  for (const auto& e : r.errors) FUZZ_CHECK(!e.location.empty() && !e.problem.empty());
  if (r.scenario) FUZZ_CHECK(r.scenario->values.size() == r.scenario->schema.size());
  return 0;
}

// libsystemc (linked through the platforms) owns main() and needs sc_main; the fuzzer's or
// the replay driver's main() runs instead, so this is never called.
int sc_main(int, char**) { return 0; }
