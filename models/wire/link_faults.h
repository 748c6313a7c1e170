// Scenario keys of one link direction's fault injection (link0.a_to_b.loss, ...), mapped onto
// the plain-C++ FaultParams. Defaults: no faults.
#pragma once

#include <string>

#include "core/params.h"
#include "wire/faults/fault_injector.h"

namespace hostwire::wire {

struct ChannelFaultKeys {
  double loss = 0;
  double burst_p = 0;
  double burst_r = 0;
  double burst_loss_in_bad = 1;
  double burst_loss_in_good = 0;
  double corrupt = 0;
  double ber = 0;
  double reorder = 0;
  Time reorder_delay{};
  double duplicate = 0;
  std::string link_down;

  template <class V>
  void visit(V& v) {
    v(loss, "loss", "probability a frame is lost, independently per frame", Limits::probability());
    v(burst_p, "burst_p", "Gilbert-Elliott bursty loss: P(good->bad) per frame (0: off)", Limits::probability());
    v(burst_r, "burst_r", "Gilbert-Elliott: P(bad->good) per frame; mean burst 1/burst_r frames", Limits::probability());
    v(burst_loss_in_bad, "burst_loss_in_bad", "Gilbert-Elliott: P(loss) per frame in the bad state", Limits::probability());
    v(burst_loss_in_good, "burst_loss_in_good", "Gilbert-Elliott: P(loss) per frame in the good state", Limits::probability());
    v(corrupt, "corrupt", "probability one bit of a frame is flipped (the receiver's FCS check drops it)", Limits::probability());
    v(ber, "ber", "bit error rate: a frame of n bits is corrupted with probability 1-(1-ber)^n", Limits::probability());
    v(reorder, "reorder", "probability a frame is held back by reorder_delay (later frames overtake it)", Limits::probability());
    v(reorder_delay, "reorder_delay", "extra delay of a reordered frame");
    v(duplicate, "duplicate", "probability a frame is delivered twice", Limits::probability());
    v(link_down, "link_down", "carrier-loss intervals [start, end), e.g. '1ms..2ms, 5ms..5.5ms'");
  }

  // Builds FaultParams; on a problem returns false with `problem` naming the key's suffix.
  bool to_fault_params(FaultParams& out, std::string& key, std::string& problem) const;
};

}  // namespace hostwire::wire
