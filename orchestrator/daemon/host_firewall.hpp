#pragma once
// Keeps replicas off the host's own services (docs/isolation.md). A replica on svl's bridge can
// send to the host's address there, where every service listening on 0.0.0.0 answers (sshd, a
// database, another daemon's admin port). While the daemon runs, iptables INPUT rules for the
// bridge let through only the gateway's port and answers to the host's own connections, and
// refuse the rest; the gateway's port on the bridge address is refused from anywhere but the
// bridge and this machine. A service that replicas must reach later (a database pooler) gets an
// accept rule of its own beside the gateway's (`allowed_ports`).
//
// One chain per bridge, SVL-IN-<bridge>, jumped to from INPUT. Its accept and drop rules per port
// carry a comment naming the daemon (`tag`): several daemons can share one network (tests do),
// each removes only its own rules at stop, and the last one removes the chain. A start removes
// what a killed run of the same daemon left behind.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svl::orchestrator {

// Runs `iptables ARGS...`; the exit status (0: done, or for -C: the rule exists), stdout in `out`.
class Iptables {
public:
  virtual ~Iptables() = default;
  virtual int run(const std::vector<std::string>& args, std::string* out = nullptr) = 0;
};
// The real one: `iptables -w ARGS...` (waits for the xtables lock that dockerd takes too).
std::unique_ptr<Iptables> system_iptables();

struct BridgeGuard {
  std::string bridge;      // "br-1a2b3c4d5e6f"
  std::string gateway_ip;  // the host's address on it
  std::vector<std::uint16_t> allowed_ports;  // TCP ports replicas may reach there: the gateway's
  std::string tag;         // names this daemon's rules, e.g. "svl-1a2b3c4d"
};

std::string firewall_chain(const std::string& bridge);
// The tag of the daemon with this state dir: "svl-" and 8 hex digits of its hash.
std::string firewall_tag(const std::string& instance);

// Installs the rules (idempotent: twice is the same as once). "" when done, else why not.
std::string install_host_firewall(Iptables& ipt, const BridgeGuard& guard);
// Removes this daemon's rules, and the chain once no daemon's are left.
void remove_host_firewall(Iptables& ipt, const BridgeGuard& guard);
// Whether dockerd drops traffic between the bridge's containers (its FORWARD rule for
// enable_icc=false): without it (dockerd --iptables=false) functions are not kept apart.
bool inter_container_traffic_dropped(Iptables& ipt, const std::string& bridge);

// The rules, installed for as long as it lives (the daemon's run).
class HostFirewall {
public:
  HostFirewall(std::unique_ptr<Iptables> ipt, BridgeGuard guard);
  ~HostFirewall();
  HostFirewall(const HostFirewall&) = delete;
  HostFirewall& operator=(const HostFirewall&) = delete;
  const std::string& problem() const { return problem_; }  // why nothing is installed; "" when it is
  bool inter_container_traffic_dropped() const { return icc_dropped_; }

private:
  std::unique_ptr<Iptables> ipt_;
  BridgeGuard guard_;
  std::string problem_;
  bool icc_dropped_ = false;
};

}  // namespace svl::orchestrator
