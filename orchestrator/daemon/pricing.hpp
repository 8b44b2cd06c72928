#pragma once
// What usage costs: the daemon config's [pricing] table, turned into a cost per function by
// `GET /v1/usage` (and `svl usage`). No prices are set by default: svl does not guess a bill.
#include <optional>
#include <string>

namespace svl::orchestrator {

struct Pricing {
  std::optional<double> per_million_requests;  // price of 1e6 requests
  std::optional<double> per_gb_second;         // price of one GB-second (memory limit x running time)
  std::string currency = "USD";                // a label only; nothing is converted

  bool set() const { return per_million_requests.has_value() || per_gb_second.has_value(); }
};

struct UsageCost {
  double requests = 0;  // requests / 1e6 x per_million_requests
  double compute = 0;   // gb_seconds x per_gb_second
  double total() const { return requests + compute; }
};

// An unset price counts as zero.
UsageCost cost_of(const Pricing& pricing, double requests, double gb_seconds);

}  // namespace svl::orchestrator
