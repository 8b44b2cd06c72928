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
  std::uint16_t tls_port = 0;  // the gateway's HTTPS port; 0: TLS is off
};

// Where a function answers: NAME.<first domain> and each custom domain (https on tls_port when
// TLS is on, else http on gateway_port; a default port is left out), then the /fn/NAME/ path on
// the gateway's address (http: a certificate names hosts, not that address).
std::vector<std::string> function_urls(const std::string& name, const std::vector<std::string>& custom_domains,
                                       const StatusContext& ctx);

// `registry` given: the detailed view (spec, revisions, replicas, failure logs).
nlohmann::json function_status(const control::FunctionCore& f, const gateway::LoadSnapshot& load,
                               const StatusContext& ctx, Registry* registry);

}  // namespace svl::orchestrator
