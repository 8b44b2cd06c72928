#include "orchestrator/runtime/confinement.hpp"

namespace svl::runtime {

void confine_sandbox(docker::ContainerSpec& spec, const std::string& network) {
  if (!network.empty()) spec.network_mode = network;
  spec.cap_drop = {"ALL"};
}

void confine_replica(docker::ContainerSpec& spec, const std::vector<std::string>& cap_add) {
  spec.cap_drop = {"ALL"};
  spec.cap_add = cap_add;
}

bool on_network(const docker::ContainerSummary& sandbox, const std::string& network) {
  return network.empty() || sandbox.network_mode == network;
}

}  // namespace svl::runtime
