#pragma once
// What a function's containers are made with: labels that let a restarted daemon find its own
// containers (and never touch anyone else's), and the specs of its sandboxes and replicas.
#include <map>
#include <string>

#include "orchestrator/control/function_config.hpp"
#include "orchestrator/control/replica_set.hpp"
#include "orchestrator/control/steps.hpp"

namespace svl::control {

// role: "replica" or "sandbox".
std::map<std::string, std::string> container_labels(const FunctionConfig& f, const CoreOptions& o, int slot,
                                                    const char* role);
ReplicaSpec replica_spec_for(const FunctionConfig& f, const CoreOptions& o, const Slot& s);
SandboxSpec sandbox_spec_for(const FunctionConfig& f, const CoreOptions& o, const Slot& s);

}  // namespace svl::control
