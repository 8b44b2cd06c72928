#include "autoscaler/policy_spec.hpp"

#include "common/units.hpp"

namespace svl::autoscaler {

std::variant<PolicySpec, Failure> parse_policy(std::string_view text) {
  PolicySpec spec;
  spec.text = std::string(text);
  if (text == "hybrid") {
    spec.config = HybridPolicyConfig{};
    return spec;
  }
  if (text == "adaptive") {
    spec.config = AdaptivePolicyConfig{};
    return spec;
  }
  if (text.starts_with("fixed:")) {
    auto parsed = parse_duration(text.substr(6));
    if (auto* e = std::get_if<ParseError>(&parsed))
      return Failure{make_error_code(Error::unknown_policy), "policy \"" + spec.text + "\": " + e->message};
    FixedPolicyConfig c;
    c.idle_timeout = std::get<std::chrono::milliseconds>(parsed);
    spec.config = c;
    return spec;
  }
  return Failure{make_error_code(Error::unknown_policy),
                 "unknown policy \"" + spec.text + "\"; expected fixed:<duration> (e.g. fixed:10m), hybrid or adaptive"};
}

std::unique_ptr<KeepAlivePolicy> make_policy(const PolicySpec& spec, std::uint64_t memory_bytes) {
  if (auto* f = std::get_if<FixedPolicyConfig>(&spec.config)) return std::make_unique<FixedPolicy>(*f);
  if (auto* h = std::get_if<HybridPolicyConfig>(&spec.config)) return std::make_unique<HybridPolicy>(*h);
  AdaptivePolicyConfig a = std::get<AdaptivePolicyConfig>(spec.config);
  a.memory_bytes = memory_bytes;
  return std::make_unique<AdaptivePolicy>(a);
}

}  // namespace svl::autoscaler
