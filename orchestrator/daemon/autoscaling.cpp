#include "orchestrator/daemon/autoscaling.hpp"

#include <algorithm>

#include "autoscaler/policy_spec.hpp"

namespace svl::orchestrator {

std::unique_ptr<autoscaler::FunctionAutoscaler> make_autoscaler(const FunctionSpec& spec, long min, long max,
                                                                Duration tick, TimePoint now) {
  autoscaler::ScalingConfig config;
  config.min_scale = static_cast<std::uint32_t>(std::max<long>(min, 0));
  config.max_scale = static_cast<std::uint32_t>(std::max<long>(max, 1));
  config.initial_scale = 0;  // the daemon proves a new revision itself (deploy starts `initial`)
  config.target_concurrency = spec.scale.target_concurrency;
  if (spec.scale.container_concurrency > 0)
    config.target_concurrency = std::min(config.target_concurrency, static_cast<double>(spec.scale.container_concurrency));
  config.tick_interval = tick;

  std::unique_ptr<autoscaler::KeepAlivePolicy> policy;
  switch (spec.scale.policy) {
    case ScalePolicy::fixed: {
      autoscaler::FixedPolicyConfig fixed;
      fixed.pause_after = spec.scale.pause_after;
      fixed.idle_timeout = spec.scale.idle_timeout;
      fixed.stopped_retention = spec.scale.remove_after;
      policy = std::make_unique<autoscaler::FixedPolicy>(fixed);
      break;
    }
    case ScalePolicy::hybrid:
      policy = std::make_unique<autoscaler::HybridPolicy>(autoscaler::HybridPolicyConfig{});
      break;
    case ScalePolicy::adaptive: {
      autoscaler::AdaptivePolicyConfig adaptive;
      adaptive.memory_bytes = spec.resources.memory_bytes;
      policy = std::make_unique<autoscaler::AdaptivePolicy>(adaptive);
      break;
    }
  }
  return std::make_unique<autoscaler::FunctionAutoscaler>(config, std::move(policy), now);
}

}  // namespace svl::orchestrator
