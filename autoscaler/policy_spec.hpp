#pragma once
// Keep-alive policy names as users write them: "fixed:10m", "fixed:30s", "hybrid", "adaptive".
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "autoscaler/adaptive_policy.hpp"
#include "autoscaler/error.hpp"
#include "autoscaler/hybrid_policy.hpp"
#include "autoscaler/keepalive.hpp"

namespace svl::autoscaler {

struct PolicySpec {
  std::string text;  // as given, for reports
  std::variant<FixedPolicyConfig, HybridPolicyConfig, AdaptivePolicyConfig> config;
};

std::variant<PolicySpec, Failure> parse_policy(std::string_view text);

// svl's adaptive policy for one function: a PortfolioPolicy over copies of it with scaled costs,
// or the single AdaptivePolicy when `config.portfolio` is empty.
std::unique_ptr<KeepAlivePolicy> make_adaptive_policy(const AdaptivePolicyConfig& config);

// A fresh policy for one function whose replica uses `memory_bytes`.
std::unique_ptr<KeepAlivePolicy> make_policy(const PolicySpec& spec, std::uint64_t memory_bytes);

}  // namespace svl::autoscaler
