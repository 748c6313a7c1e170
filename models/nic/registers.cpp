#include "nic/registers.h"

namespace hostwire::nic {

NicRegisters::NicRegisters(SimContext& ctx, bus::MmioTarget& bar, const DescriptorRings& rings, TxEngine& tx,
                           Interrupts& interrupts, Counter& writes)
    : ctx_(ctx), rings_(rings), interrupts_(interrupts), writes_(writes) {
  for (int r = 0; r < rings.rings(); ++r) {
    // A doorbell only matters to the transmit engine, which takes it when it arrives.
    bar.on_write(kTxDoorbell + 8 * static_cast<uint64_t>(r),
                 [&tx, r](uint64_t v, Time at) { tx.doorbell(r, static_cast<uint32_t>(v), at); });
    bar.on_write(kIrqUnmask + 8 * static_cast<uint64_t>(r), [this, r](uint64_t, Time at) { unmask_written(r, at); });
  }
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.set_sensitivity(&due_);
  opt.dont_initialize();
  sc_core::sc_spawn([this] { unmasks_due(); }, "registers_due", &opt);
}

void NicRegisters::unmask_written(int vector, Time arrival) {
  const Time now = hostwire::now();
  unmasks_.push_back({arrival, vector});
  due_.notify(to_sc(arrival > now ? arrival - now : Time{}));  // an earlier pending one stays
}

void NicRegisters::unmasks_due() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!unmasks_.empty() && unmasks_.front().arrival <= now) {
    writes_.add();
    const int v = unmasks_.front().vector;
    // Completions the driver has not processed yet (in ring memory) count as pending from now.
    const uint32_t backlog = rings_.rx(v).occupancy() + rings_.tx(v).completed(Time{INT64_MAX});
    interrupts_.unmask(v, backlog);
    unmasks_.pop_front();
  }
  if (!unmasks_.empty()) due_.notify(to_sc(unmasks_.front().arrival - now));
}

}  // namespace hostwire::nic
