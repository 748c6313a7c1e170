#include "apps/analyzer.h"

#include <stdexcept>

namespace hostwire::apps {

Analyzer::Analyzer(SimContext& ctx, kernel::Sockets& sockets, const Config& c)
    : ctx_(ctx),
      sockets_(sockets),
      c_(c),
      thread_(sockets.thread(c.core)),
      socket_(sockets.packet_open(c.netdev, thread_)),
      frames_(ctx.stats().counter(c.name + "frames", "frames", "frames the analyzer read and processed")),
      bytes_(ctx.stats().counter(c.name + "bytes", "B", "bytes of the frames the analyzer read (after any snap)")) {
  if (!c_.pcap_path.empty()) {
    pcap_ = std::make_unique<net::PcapWriter>();
    if (auto st = pcap_->open(c_.pcap_path); !st)
      throw std::runtime_error("analyzer " + c_.name + ": cannot write " + c_.pcap_path + ": " + st.error());
    net::PcapWriter* w = pcap_.get();
    const std::string path = c_.pcap_path;
    ctx.on_end([w, path] {
      if (auto st = w->close(); !st) throw std::runtime_error("cannot finish capture " + path + ": " + st.error());
    });
  }
  next();
}

void Analyzer::next() {
  socket_.recv([this](const Packet& p) { take(p); });
}

void Analyzer::take(const Packet& p) {
  frames_.add();
  bytes_.add(p.frame_bytes());
  if (pcap_)
    if (auto st = pcap_->write(p.received, p); !st) throw std::runtime_error("analyzer " + c_.name + ": " + st.error());
  // The analyzer's own work on the frame, then the next read.
  sockets_.compute(thread_, c_.cost, "analyzer", [this] { next(); });
}

}  // namespace hostwire::apps
