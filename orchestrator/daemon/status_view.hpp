#pragma once
// What `svl status` and `svl ls` show of a function, from the core's state and the gateway's load.
#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"
#include "orchestrator/control/function_core.hpp"
#include "orchestrator/registry/registry.hpp"

namespace svl::orchestrator {

struct StatusContext {
  std::string gateway_host;
  std::uint16_t gateway_port = 0;
  const std::vector<std::string>& domains;
  TimePoint now;
};

// `registry` given: the detailed view (spec, revisions, replicas, failure logs).
nlohmann::json function_status(const control::FunctionCore& f, const gateway::LoadSnapshot& load,
                               const StatusContext& ctx, Registry* registry);

}  // namespace svl::orchestrator
