// A row of the validation report (docs/validation.md): a test that compares hostwire with an
// oracle records the comparison as it checks it, so the report is built from the tests' own
// figures and cannot drift from them. tools/validate.sh runs the tests with gtest's JSON
// output, where each row is a test property "validation_row:<name>" holding a JSON object.
#pragma once

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hostwire::testing {

struct ValidationRow {
  std::string name;      // "TCP goodput, 10 Gbps, software segmentation"
  std::string oracle;    // what hostwire is compared with: "1448/1538 x 10 Gbit/s"
  std::string source;    // where the oracle comes from: "Ethernet framing (IEEE 802.3)"
  double hostwire = 0;   // our figure
  double reference = 0;  // the oracle's figure
  double tolerance = 0;  // allowed |hostwire / reference - 1|
  std::string unit;      // of both figures ("bit/s", "frames", "1")
};

// Records the row on the running test and returns whether it is inside its tolerance (the
// test still makes its own EXPECTs; a reference of 0 passes only on an exact 0).
inline bool record_validation_row(const ValidationRow& r) {
  const double ratio = r.reference != 0 ? r.hostwire / r.reference : (r.hostwire == 0 ? 1.0 : INFINITY);
  const bool pass = std::isfinite(ratio) && std::abs(ratio - 1) <= r.tolerance;
  nlohmann::json j = {{"oracle", r.oracle},       {"source", r.source},       {"hostwire", r.hostwire},
                      {"reference", r.reference}, {"ratio", ratio},           {"tolerance", r.tolerance},
                      {"unit", r.unit},           {"pass", pass}};
  ::testing::Test::RecordProperty("validation_row:" + r.name, j.dump());
  return pass;
}

}  // namespace hostwire::testing
