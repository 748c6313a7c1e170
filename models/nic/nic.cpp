#include "nic/nic.h"

#include <algorithm>
#include <stdexcept>

namespace hostwire::nic {

namespace {
wire::MacParams port_params(const NicParams& p) {
  // The MAC's transmit queue is the NIC's packet buffer: the DMA engine fills it only while it
  // has room, so the MAC itself never drops.
  wire::MacParams m;
  m.tx_queue = p.tx_buffer;
  return m;
}

Classifier make_classifier(const NicParams& p, const std::vector<net::MacAddress>& macs) {
  auto key = p.key();
  if (!key) throw std::invalid_argument("nic.rss_key: " + key.error());
  Classifier c(*key, RssHashTypes{true, p.rss_udp_ports});
  for (size_t v = 0; v < macs.size(); ++v) {
    Vnic vnic;
    vnic.mac = macs[v];
    vnic.first_ring = static_cast<uint16_t>(v * static_cast<size_t>(p.rings_per_vnic));
    vnic.rings = static_cast<uint16_t>(p.rings_per_vnic);
    auto r = c.add_vnic(vnic);
    if (!r) throw std::invalid_argument("nic: " + r.error());
  }
  return c;
}

// Checked before any part is built on the rings.
DescriptorRings& checked(DescriptorRings& rings, const NicParams& p, const std::string& stat_name,
                         const std::vector<net::MacAddress>& vnic_macs) {
  if (static_cast<int64_t>(vnic_macs.size()) != p.vnics)
    throw std::invalid_argument(stat_name + ": " + std::to_string(p.vnics) + " VNICs need as many MAC addresses");
  if (static_cast<int64_t>(rings.rings()) != p.vnics * p.rings_per_vnic)
    throw std::invalid_argument(stat_name + ": ring memory has " + std::to_string(rings.rings()) + " queue pairs, " +
                                std::to_string(p.vnics * p.rings_per_vnic) + " needed");
  return rings;
}
}  // namespace

Nic::Nic(sc_core::sc_module_name name, SimContext& ctx, const NicParams& params, const std::string& stat_name,
         int64_t max_frame_bytes, const std::vector<net::MacAddress>& vnic_macs, DescriptorRings& rings)
    : sc_module(name),
      dma("dma"),
      registers("registers", ctx, params.register_latency, stat_name + ".registers"),
      mac("mac", ctx, port_params(params), stat_name + ".mac", max_frame_bytes),
      p_(params),
      rings_(checked(rings, params, stat_name, vnic_macs)),
      register_writes_(ctx.stats().counter(stat_name + ".register_writes", "writes",
                                           "doorbell and unmask writes that reached the NIC")),
      dma_port_(dma, this->name()),
      interrupts_(ctx, p_.moderation(), rings_.rings(), dma_port_, rings_.map().msix, stat_name),
      rx_(ctx, make_classifier(p_, vnic_macs), rings_, dma_port_, interrupts_, stat_name),
      tx_(std::make_unique<DescriptorTxEngine>(ctx, p_, max_frame_bytes,
                                               TxPorts{rings_, dma_port_, mac, interrupts_, register_writes_}, stat_name)),
      register_file_(ctx, registers, rings_, *tx_, interrupts_, register_writes_),
      remote_(ctx, *tx_, vnic_macs.front(), static_cast<uint32_t>(max_frame_bytes), stat_name) {
  mac.on_receive = [this](Packet& p) {
    tcp_monitor_.received(p.header_bytes());
    rx_.receive(p);
  };
  mac.on_tx_start = [this](const Packet& p) {
    if (!p.mirror_copy) {
      tcp_monitor_.sent(p.header_bytes(), p.retransmission);
      if (rx_.mirrors_transmitted()) rx_.mirror_transmitted(p);
    }
    tx_->frame_started(p);
    for (auto& f : tx_space_) f();
  };
  install_rules(ctx, stat_name);
  for (int r = 0; r < rings_.rings(); ++r) {
    const int vcd = ctx.vcd().wire(fmt::format("{}.ring{}.tx_occupancy", stat_name, r), 32);
    if (ctx.vcd().enabled(vcd))
      rings_.tx(r).on_occupancy([&ctx, vcd](uint32_t n) { ctx.vcd().change(vcd, hostwire::now(), n); });
  }
  auto& st = ctx.stats();
  const TcpMonitorCounts* tcp = &tcp_monitor_.counts();
  st.formula(stat_name + ".tx_reordered_segments", "segments",
             "TCP first transmissions that left below their flow's highest sequence already sent (wire reordering)",
             [tcp] { return static_cast<double>(tcp->reordered); });
  st.formula(stat_name + ".tx_retransmitted_segments", "segments", "TCP retransmissions that left",
             [tcp] { return static_cast<double>(tcp->retransmitted); });
  st.formula(stat_name + ".tx_reorder_distance_max", "B",
             "largest distance of a reordered segment's start below its flow's highest sequence",
             [tcp] { return static_cast<double>(tcp->max_distance); });
  st.formula(stat_name + ".rx_acked_segments", "segments",
             "TCP data segments that arrived already acknowledged by this port (an ACK covering them had left): "
             "retransmissions the receiver did not need, or copies",
             [tcp] { return static_cast<double>(tcp->arrived_acked); });
}

void Nic::install_rules(SimContext& ctx, const std::string& stat_name) {
  // Each scenario rule with its counters and mirror policy; a rule with a later `at` (or an
  // `until`) is installed (removed) by a process at that simulated time.
  struct Change {
    Time at;
    size_t rule;
    bool install;
  };
  std::vector<Change> changes;
  auto& st = ctx.stats();
  for (size_t i = 0; i < p_.rules.size(); ++i) {
    std::string field, problem;
    auto plan = plan_rule(p_.rules[i], field, problem);
    if (!plan) throw std::invalid_argument(fmt::format("{}: rules[{}].{}: {}", stat_name, i, field, problem));
    const std::string n = fmt::format("{}.rule{}", stat_name, i);
    RxPath::MirrorPolicy pol;
    pol.sample = plan->sample;
    pol.snap = plan->snap;
    pol.both_directions = plan->both_directions;
    pol.rng = ctx.rng(n + ".sample");
    pol.matched = &st.counter(n + ".matched", "frames", "frames this rule matched (received; sent too for a "
                              "both-directions mirror)");
    if (plan->rule.action.mirror_vnic) {
      pol.mirrored = &st.counter(n + ".mirrored", "frames", "mirror copies this rule made (into its VNIC's ring, or dropped there when full; and to its remote analyzer)");
      pol.sampled_out = &st.counter(n + ".sampled_out", "frames", "matching frames the 1-in-N sampling left uncopied");
      pol.dropped_ring_full = &st.counter(n + ".dropped_ring_full", "frames",
                                          "mirror copies of this rule dropped at the mirror VNIC's full RX ring");
    }
    if (plan->erspan_to) {
      const size_t session = remote_.add_session(*plan->erspan_to, plan->erspan_session, n);
      pol.remote = [this, session](const Packet& copy) { remote_.send(session, copy); };
    }
    if (plan->erspan_to && !pol.mirrored) {  // remote copies only
      pol.mirrored = &st.counter(n + ".mirrored", "frames", "mirror copies this rule made");
      pol.sampled_out = &st.counter(n + ".sampled_out", "frames", "matching frames the 1-in-N sampling left uncopied");
    }
    planned_.push_back(Planned{*std::move(plan), std::move(pol), -1});
    if (planned_.back().plan.at.ps == 0) install(i);
    else changes.push_back({planned_.back().plan.at, i, true});
    if (planned_.back().plan.until.ps != 0) changes.push_back({planned_.back().plan.until, i, false});
  }
  if (changes.empty()) return;
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.at < b.at; });
  sc_core::sc_spawn(
      [this, changes] {
        for (const Change& c : changes) {
          const Time now = hostwire::now();
          if (c.at > now) sc_core::wait(to_sc(c.at - now));
          if (c.install) install(c.rule);
          else if (planned_[c.rule].id >= 0) rx_.classifier().remove_rule(planned_[c.rule].id);
        }
      },
      "rules");
}

void Nic::install(size_t i) {
  Planned& pl = planned_[i];
  auto id = rx_.classifier().add_rule(pl.plan.rule);
  if (!id) throw std::invalid_argument("nic rules[" + std::to_string(i) + "]: " + id.error());
  pl.id = *id;
  rx_.set_policy(*id, pl.policy);
}

}  // namespace hostwire::nic
