#include "orchestrator/daemon/svl_network.hpp"

#include <stdexcept>

#include "orchestrator/control/names.hpp"
#include "orchestrator/daemon/daemon_log.hpp"
#include "orchestrator/daemon/host_firewall.hpp"

namespace svl::orchestrator {
namespace {

constexpr const char* kIcc = "com.docker.network.bridge.enable_icc";
constexpr const char* kBridgeName = "com.docker.network.bridge.name";

std::string value_of(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

docker::NetworkSpec svl_network_spec(const std::string& name) {
  docker::NetworkSpec spec;
  spec.name = name;
  spec.labels = {{control::names::managed, "true"}};
  spec.options = {{kIcc, "false"}};
  return spec;
}

std::string network_problem(const docker::NetworkInfo& info) {
  if (info.driver != "bridge") return "its driver is " + info.driver + ", not bridge";
  if (value_of(info.labels, control::names::managed) != "true")
    return std::string("it is not svl's (no label ") + control::names::managed + "=true)";
  if (value_of(info.options, kIcc) != "false")
    return std::string("its containers can reach each other (") + kIcc + " is not false)";
  if (info.gateway.empty()) return "it has no IPv4 gateway address";
  return {};
}

SvlNetwork svl_network_of(const docker::NetworkInfo& info) {
  std::string bridge = value_of(info.options, kBridgeName);
  if (bridge.empty()) bridge = "br-" + info.id.substr(0, 12);
  return SvlNetwork{info.name, info.id, bridge, info.gateway, info.subnet};
}

SvlNetwork ensure_svl_network(docker::Client& client, const std::string& name) {
  auto info = client.inspect_network(name);
  if (!info && info.error().code == docker::Errc::not_found) {
    auto made = client.create_network(svl_network_spec(name));
    if (!made && made.error().code != docker::Errc::conflict)  // conflict: another daemon made it meanwhile
      throw std::runtime_error("cannot create the network " + name + ": " + made.error().describe());
    info = client.inspect_network(name);
  }
  if (!info) throw std::runtime_error("cannot inspect the network " + name + ": " + info.error().describe());
  if (auto problem = network_problem(*info); !problem.empty())
    throw std::runtime_error("the network " + name + " cannot hold svl's sandboxes: " + problem +
                             " (remove it, or choose another with --network)");
  return svl_network_of(*info);
}

void log_isolation(const SvlNetwork& network, const std::string& gateway_url, const HostFirewall& firewall) {
  log("network: sandboxes on " + network.name + " (bridge " + network.bridge + ", " + network.subnet +
      "); replicas call other functions at SVL_GATEWAY_URL=" + gateway_url);
  if (!firewall.problem().empty()) {
    log("host firewall: not installed (" + firewall.problem() + "): replicas can reach every service listening on " +
        network.gateway + ", and whether they can reach each other is not checked");
    return;
  }
  log("host firewall: from " + network.bridge + " only the gateway's port answers on " + network.gateway +
      " (chain " + firewall_chain(network.bridge) + ")");
  if (!firewall.inter_container_traffic_dropped())
    log("warning: dockerd does not drop traffic between " + network.bridge +
        "'s containers (is it run with --iptables=false?): functions can reach each other directly");
}

}  // namespace svl::orchestrator
