#include "orchestrator/daemon/pricing.hpp"

namespace svl::orchestrator {

UsageCost cost_of(const Pricing& pricing, double requests, double gb_seconds) {
  UsageCost cost;
  cost.requests = requests / 1e6 * pricing.per_million_requests.value_or(0.0);
  cost.compute = gb_seconds * pricing.per_gb_second.value_or(0.0);
  return cost;
}

}  // namespace svl::orchestrator
