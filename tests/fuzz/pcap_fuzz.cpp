// The pcap reader the tests rely on: any file gives records inside the input or an error.
#include <span>

#include "fuzz_target.h"
#include "net/pcap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = hostwire::net::PcapReader::open(std::span<const uint8_t>(data, size));
  if (!reader) return 0;
  auto records = reader->read_all();
  if (!records) return 0;
  for (const auto& r : *records) {
    FUZZ_CHECK(r.data.data() >= data && r.data.data() + r.data.size() <= data + size);
  }
  return 0;
}
