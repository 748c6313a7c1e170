// pcap captures at a platform's tap points. Each tap writes DIR/<tap>.pcap with simulated
// timestamps, in time order; its frame and byte counts are reported as capture.<tap>.frames /
// .bytes so a reader (tshark) can be checked against them.
//
// The tap points a platform offers, by where they sit on a frame's way:
//   <host>.driver.tx        frames the driver posts to the NIC, a TSO super-frame as one large
//                           TCP segment (tcpdump on the host)
//   <host>.mac.tx           frames the NIC's MAC puts on the wire, after TSO (MSS-sized)
//   <link>.<dir>            one direction as frames leave the sender, before any fault
//   <link>                  both directions of the link in one file, before any fault
//   <link>.<dir>.delivered  what the far end got: after the faults (lost frames absent,
//                           corrupted ones with their flipped bit, duplicates twice)
//   <switch>.port<i>.ingress / .egress   frames arriving on / leaving a switch port
//   <host>.mac.rx           good frames the NIC's MAC received
//   <host>.nic.vnic<v>      frames the classifier delivered into VNIC v's rings
// A tap costs nothing unless asked for: the platform installs its hook only then.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/scenario.h"
#include "core/sim.h"
#include "net/pcap.h"

namespace hostwire {

namespace wire {
class Link;
class Switch;
class Mac;
}  // namespace wire
class Host;

class Captures {
 public:
  // Writes one frame; `at` is never before the current simulated time (a frame is stamped when
  // it happens or, for a frame about to start on the wire, when its first bit will go out).
  using Hook = std::function<void(Time at, const Packet&)>;

  // Tap names a scenario may list in outputs.pcap.
  static std::vector<std::string> requested(const Scenario& s);
  // Appends an error for each requested tap that is not in `available`.
  static void check(const Scenario& s, const std::vector<std::string>& available, std::vector<InputError>& errors);

  // The tap names of one part, as listed above, for a platform's taps() and `hostwire params`.
  static std::vector<std::string> link_taps(const std::string& link);
  static std::vector<std::string> host_taps(const std::string& host, int64_t vnics);
  static std::vector<std::string> switch_taps(const std::string& sw, int64_t ports);
  // What each kind of tap records, one line per kind (for outputs.pcap in `hostwire params`).
  static std::string kinds_text(bool hosts, bool switches);

  explicit Captures(SimContext& ctx) : ctx_(ctx) {}
  // Opens DIR/<tap>.pcap; the returned hook writes one frame. Throws on I/O failure.
  Hook open(const std::string& tap);

  // Install `hook` where `tap` is, if it is one of that part's taps (false otherwise). Several
  // taps on one point share it: each is called in turn.
  static bool attach_link(const std::string& tap, const std::string& link, wire::Link& l, const Hook& hook);
  static bool attach_host(const std::string& tap, Host& h, const Hook& hook);
  static bool attach_switch(const std::string& tap, const std::string& sw, wire::Switch& s, const Hook& hook);
  // `<ep>.mac.rx` of a bare MAC (link_pair's endpoints).
  static bool attach_mac_rx(const std::string& tap, const std::string& ep, wire::Mac& m, const Hook& hook);

 private:
  // One open capture. Frames stamped ahead of now wait here so the file stays in time order
  // when two points (both directions of a link) feed one tap.
  struct Tap {
    struct Held {
      int64_t at_ps;
      uint64_t seq;  // arrival order among equal times: deterministic
      Packet frame;
      bool operator>(const Held& o) const { return at_ps != o.at_ps ? at_ps > o.at_ps : seq > o.seq; }
    };
    net::PcapWriter writer;
    std::string path;
    std::priority_queue<Held, std::vector<Held>, std::greater<>> held;
    uint64_t seq = 0;
    uint64_t held_bytes = 0;
    void write(Time at, const Packet& p);
    void release(Time upto);  // writes every held frame stamped at or before `upto`
  };

  SimContext& ctx_;
  std::vector<std::unique_ptr<Tap>> taps_;
};

// Adds `f` to a hook slot, after whatever is installed there already.
template <class... A>
void add_tap(std::function<void(A...)>& slot, std::function<void(A...)> f) {
  if (!slot) {
    slot = std::move(f);
    return;
  }
  slot = [first = std::move(slot), then = std::move(f)](A... a) {
    first(a...);
    then(a...);
  };
}

}  // namespace hostwire
