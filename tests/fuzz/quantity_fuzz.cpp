// Quantities with units: parsing never crashes, and whatever parses prints back to text that
// parses to the same value (round trip).
#include <string>

#include "core/units.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (auto kind : {hostwire::UnitKind::Time, hostwire::UnitKind::Rate, hostwire::UnitKind::Bytes,
                    hostwire::UnitKind::Frequency}) {
    auto q = hostwire::parse_quantity(kind, text);
    FUZZ_CHECK(q.value.has_value() != !q.error.empty());
    if (!q.value) continue;
    auto again = hostwire::parse_quantity(kind, hostwire::format_quantity(kind, *q.value));
    FUZZ_CHECK(again.value && *again.value == *q.value);
  }
  return 0;
}
