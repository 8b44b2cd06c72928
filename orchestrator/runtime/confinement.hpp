#pragma once
// What keeps functions apart on Docker (docs/isolation.md): sandboxes sit on svl's own bridge,
// where containers cannot reach each other, and nothing runs with Docker's default capabilities.
#include <string>
#include <vector>

#include "orchestrator/docker/types.hpp"

namespace svl::runtime {

// A sandbox: on `network` (svl's bridge; "" leaves Docker's default), no capabilities
// (svl-pause only waits for a signal).
void confine_sandbox(docker::ContainerSpec& spec, const std::string& network);
// A replica: no capabilities but `cap_add` ([run] cap_add, kernel names without CAP_).
void confine_replica(docker::ContainerSpec& spec, const std::vector<std::string>& cap_add);
// Whether a listed sandbox sits on `network`. One that does not (made before svl had its own
// network, or under another --network) is not adopted: its replicas could reach each other.
bool on_network(const docker::ContainerSummary& sandbox, const std::string& network);

}  // namespace svl::runtime
