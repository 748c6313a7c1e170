#include "nic/remote_mirror.h"

#include <fmt/format.h>

#include <stdexcept>

namespace hostwire::nic {

RemoteMirror::RemoteMirror(SimContext& ctx, TxEngine& tx, net::MacAddress port_mac, uint32_t max_frame_bytes,
                           const std::string& stat_name)
    : ctx_(ctx),
      tx_(tx),
      port_mac_(port_mac),
      max_frame_bytes_(max_frame_bytes),
      frames_(ctx.stats().counter(stat_name + ".erspan_frames", "frames",
                                  "mirror copies sent out of the port to a remote analyzer (ERSPAN II over GRE)")),
      bytes_(ctx.stats().counter(stat_name + ".erspan_bytes", "B",
                                 "bytes of those frames, encapsulation included (no FCS): mirroring's extra wire traffic")),
      truncated_(ctx.stats().counter(stat_name + ".erspan_truncated", "frames",
                                     "remote copies cut (snap length, or to fit the link's largest frame): the T bit")),
      dropped_buffer_(ctx.stats().counter(stat_name + ".erspan_dropped_buffer_full", "frames",
                                          "remote copies dropped: the transmit packet buffer had no room")) {}

size_t RemoteMirror::add_session(net::Ipv4Address to, uint16_t session_id, const std::string& rule_stat) {
  Session s;
  s.erspan.dst_ip = to;
  s.erspan.session_id = session_id;
  s.erspan.src_mac = port_mac_;
  s.erspan.max_frame_bytes = max_frame_bytes_;
  s.rule = rule_stat;
  auto& st = ctx_.stats();
  s.frames = &st.counter(rule_stat + ".erspan_frames", "frames", "this rule's copies sent to its remote analyzer");
  s.dropped = &st.counter(rule_stat + ".erspan_dropped", "frames",
                          "this rule's remote copies dropped (the transmit packet buffer was full)");
  sessions_.push_back(std::move(s));
  return sessions_.size() - 1;
}

void RemoteMirror::resolve(net::Ipv4Address source, const Neighbour& neighbour) {
  for (Session& s : sessions_) {
    const auto mac = neighbour(s.erspan.dst_ip);
    if (!mac)
      throw std::invalid_argument(fmt::format("{}: erspan_to {} is no host's address (VNIC v of the host at port i "
                                              "is 10.v.i/256.i%256)",
                                              s.rule, net::to_string(s.erspan.dst_ip)));
    s.erspan.dst_mac = *mac;
    s.erspan.src_ip = source;
  }
  resolved_ = true;
}

void RemoteMirror::send(size_t i, const Packet& copy) {
  Session& s = sessions_[i];
  if (!resolved_) throw std::logic_error(s.rule + ": remote mirror used before its addresses were resolved");
  Frame* f = ctx_.frames().copy(copy);
  // Every encapsulated copy takes a sequence number, so one dropped here is a gap the remote
  // analyzer sees.
  auto layout = net::build_erspan_frame(f->packet, s.erspan, s.sequence++, copy);
  if (!layout) {
    f->gp.release();
    throw std::logic_error(s.rule + ": ERSPAN encapsulation failed: " + layout.error());
  }
  f->packet.id = ctx_.next_packet_id();
  f->packet.mirror_copy = true;
  f->packet.retransmission = false;
  f->packet.flow_open = false;
  if (!tx_.send_generated(f)) {
    f->gp.release();
    dropped_buffer_.add();
    s.dropped->add();
    return;
  }
  frames_.add();
  s.frames->add();
  bytes_.add(layout->frame_bytes + layout->pad_bytes);
  if (layout->truncated) truncated_.add();
}

}  // namespace hostwire::nic
