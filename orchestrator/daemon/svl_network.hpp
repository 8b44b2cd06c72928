#pragma once
// svl's bridge network (docs/isolation.md): every sandbox sits on it instead of Docker's default
// bridge, with inter-container traffic off, so a function reaches another only through the
// gateway, which also listens on the host's side of the bridge (SVL_GATEWAY_URL).
#include <string>

#include "orchestrator/docker/client.hpp"

namespace svl::orchestrator {

struct SvlNetwork {
  std::string name;
  std::string id;
  std::string bridge;   // the host's interface, "br-<id>" unless the network names its own
  std::string gateway;  // the host's address on it, e.g. "172.18.0.1"
  std::string subnet;   // e.g. "172.18.0.0/16"
};

// The network that `svl daemon --network NAME` makes when it is missing.
docker::NetworkSpec svl_network_spec(const std::string& name);
// Why an existing network cannot be svl's, or "" when it can: a bridge, labelled as svl's, with
// inter-container traffic off and an IPv4 gateway.
std::string network_problem(const docker::NetworkInfo& info);
SvlNetwork svl_network_of(const docker::NetworkInfo& info);

// Inspects `name`, making it when missing (a daemon starting beside another may lose that race:
// it then takes the other's). Throws std::runtime_error naming the network and what is wrong.
SvlNetwork ensure_svl_network(docker::Client& client, const std::string& name);

class HostFirewall;
// Logs the network, the address replicas call the gateway at, and what keeps them apart (or not).
void log_isolation(const SvlNetwork& network, const std::string& gateway_url, const HostFirewall& firewall);

}  // namespace svl::orchestrator
