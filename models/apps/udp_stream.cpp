#include "apps/udp_stream.h"

#include <algorithm>

namespace hostwire::apps {

UdpStreamSender::UdpStreamSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Counter& sent)
    : ctx_(ctx),
      c_(c),
      sock_(sockets.udp_open(sockets.thread(c.core), c.flows, c.payload)),
      sent_(sent),
      next_due_(c.start),
      rng_(ctx.rng(c.name + std::to_string(c.seed_stream))) {
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.set_sensitivity(&timer_);
  opt.dont_initialize();
  sc_core::sc_spawn([this] { timer(); }, sc_core::sc_gen_unique_name("sender"), &opt);
  timer_.notify(to_sc(c.start));
}

void UdpStreamSender::timer() {
  ctx_.activation();
  step();
}

void UdpStreamSender::step() {
  const Time now = hostwire::now();
  if ((c_.count > 0 && sent_n_ >= c_.count) || (c_.stop.ps > 0 && now >= c_.stop)) return;
  int64_t n = c_.batch;
  if (c_.count > 0) n = std::min(n, c_.count - sent_n_);
  sock_.sendmmsg(static_cast<uint32_t>(n), [this](uint32_t sent, bool stopped) {
    sent_n_ += sent;
    sent_.add(sent);
    if (stopped) {  // the queue is stopped: sleep until TX completions restart it
      sock_.wait_writable([this] { step(); });
      return;
    }
    if (c_.pattern == "line_rate") {
      step();
      return;
    }
    const Time now = hostwire::now();
    Time gap = c_.interval;
    if (c_.pattern == "poisson") gap = Time{static_cast<int64_t>(rng_.exponential(static_cast<double>(gap.ps)))};
    next_due_ = next_due_ + gap;
    if (next_due_ <= now)
      step();
    else
      timer_.notify(to_sc(next_due_ - now));
  });
}

UdpReceiver::UdpReceiver(kernel::Sockets& sockets, uint16_t port, uint32_t batch, std::vector<UdpFlowStats> stats)
    : batch_(batch), stats_(std::move(stats)) {
  std::vector<kernel::Thread> threads;
  for (int c = 0; c < sockets.cores(); ++c) threads.push_back(sockets.thread(c));
  for (kernel::UdpReceiveSocket* s : sockets.udp_bind(port, threads)) step(*s);
}

void UdpReceiver::step(kernel::UdpReceiveSocket& s) {
  s.recvmmsg(batch_, [this, &s](std::span<Frame* const> frames) {
    const Time now = hostwire::now();
    for (Frame* f : frames) {
      if (f->packet.flow < stats_.size() && stats_[f->packet.flow].datagrams) {
        UdpFlowStats& st = stats_[f->packet.flow];
        st.datagrams->add();
        st.bytes->add(f->packet.payload.length);
        st.latency->record((now - f->packet.created).ps);
      }
      f->gp.release();
    }
    step(s);
  });
}

}  // namespace hostwire::apps
