// star: groups of hosts, each host on its own full-duplex link to one output-queued Ethernet
// switch (switch0). For incast, many clients, and second destinations:
//
//   hosts: [{name: server}, {name: client, count: 16, cores: 2}]
//
// Every host starts from the `host.*` parameters (as host_a.* in two_hosts); a group may
// override its cores, NIC rings and VNICs and give its NICs classifier rules of their own
// (a server's debug VNIC and mirror rule: `{name: server, vnics: 2, rules: [{...}]}`). A group of one host is named as the group ("server");
// the hosts of a larger group are <name><i> ("client0".."client15"). A workload names a group
// (`from: client`: a client on every host of it) or one host (`from: client[3]`).
// The switch forwards by static entries for every host's MACs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "core/params.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "platforms/capture.h"
#include "nic/rule_params.h"
#include "platforms/host.h"
#include "platforms/workloads.h"
#include "wire/link.h"
#include "wire/switch/switch.h"

namespace hostwire {

struct HostGroup {
  std::string name;
  int64_t count = 1;
  int64_t cores = 0;
  int64_t rings = 0;
  int64_t vnics = 0;
  std::vector<nic::RuleParams> rules;

  template <class V>
  void visit(V& v) {
    v(name, "name", "the group's name: its host when count is 1, else <name><i>", Limits{}.required());
    v(count, "count", "hosts in the group, hosts", Limits::range(1, 1000));
    v(cores, "cores", "cores of each host (0: host.cpu.cores), cores", Limits::range(0, 1024));
    v(rings, "rings", "RX/TX rings of each host's NIC (0: host.nic.rings_per_vnic), rings", Limits::range(0, 128));
    v(vnics, "vnics", "VNICs of each host's NIC (0: host.nic.vnics)", Limits::range(0, 64));
    v.list(rules, "rules", "classifier rules of the group's NICs, in place of host.nic.rules (none: those)", 64);
  }
};

struct StarParams {
  std::vector<HostGroup> hosts = {HostGroup{"server", 1, 0, 0, 0, {}}, HostGroup{"client", 2, 0, 0, 0, {}}};

  template <class V>
  void visit(V& v) {
    v.list(hosts, "hosts", "host groups on the switch", 64);
  }
};

class Star : public sc_core::sc_module {
 public:
  static constexpr const char* kName = "star";
  static void params(std::vector<ParamSpec>& out);
  static void cross_check(const Scenario& s, std::vector<InputError>& errors);

  Star(sc_core::sc_module_name name, const Scenario& s, SimContext& ctx);

 private:
  // A host's name and its group, in port order.
  struct Member {
    std::string host;
    size_t group;
    int index;  // within the group
  };
  static std::vector<Member> members(const StarParams& p);
  std::vector<Host*> resolve(const std::string& name) const;

  StarParams p_;
  std::vector<Member> members_;
  Captures captures_;
  std::unique_ptr<wire::Switch> switch_;
  std::vector<std::unique_ptr<wire::Link>> links_;
  std::vector<std::unique_ptr<Host>> hosts_;
  HostWorkloads workloads_;
};

}  // namespace hostwire
