// The source revision this binary was built from (git describe, "-dirty" with uncommitted
// changes, "unknown" outside a checkout), written into every report's provenance.
#pragma once

namespace hostwire::cli {
const char* source_revision();
}
