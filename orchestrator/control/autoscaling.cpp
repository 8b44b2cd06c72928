#include "orchestrator/control/autoscaling.hpp"

#include <algorithm>
#include <chrono>

#include "autoscaler/policy_spec.hpp"

namespace svl::control {
namespace {

// The offset that makes the steady clock's minutes start when wall-clock minutes do: cron-like
// triggers fire at the start of a wall-clock minute, and the adaptive policy forecasts by minute.
Duration wall_clock_minute_phase() {
  const auto wall = std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  const Duration minute = std::chrono::minutes(1);
  return ((wall - steady) % minute + minute) % minute;
}

}  // namespace

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
      if (spec.scale.cold_start_cost) adaptive.cold_start_cost_gb_s = *spec.scale.cold_start_cost;
      adaptive.minute_phase = wall_clock_minute_phase();
      policy = autoscaler::make_adaptive_policy(adaptive);
      break;
    }
  }
  return std::make_unique<autoscaler::FunctionAutoscaler>(config, std::move(policy), now);
}

}  // namespace svl::control
