#pragma once
// Concurrency-based replica scaling in the style of Knative's KPA: the desired replica count is
// ceil(average concurrency / (target_concurrency x target_utilization)) over a stable window,
// with a shorter panic window that only ever scales up. See docs/autoscaler.md.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "autoscaler/concurrency_window.hpp"
#include "autoscaler/error.hpp"
#include "autoscaler/load.hpp"
#include "common/clock.hpp"

namespace svl::autoscaler {

// svl's one-box defaults; Knative's are in the comments (docs/autoscaler.md justifies each).
struct ScalingConfig {
  std::uint32_t min_scale = 0;                  // Knative 0
  std::uint32_t max_scale = 8;                  // Knative 0 (unbounded); 0 means unbounded here too
  std::uint32_t initial_scale = 0;              // Knative 1
  double target_concurrency = 10;               // Knative 100 (soft target per replica)
  double target_utilization = 0.7;              // Knative 0.7
  Duration stable_window = std::chrono::seconds(60);     // Knative 60 s
  double panic_window_pct = 10;                 // Knative 10 % of the stable window
  double panic_threshold_pct = 200;             // Knative 200 %
  double max_scale_up_rate = 10;                // Knative 1000x per tick
  double max_scale_down_rate = 2;               // Knative 2x per tick
  Duration scale_to_zero_grace = std::chrono::seconds(30);  // Knative 30 s
  Duration tick_interval = std::chrono::seconds(2);         // Knative 2 s

  Duration panic_window() const;
  // Empty when valid; otherwise what is wrong.
  std::optional<Failure> validate() const;
};

enum class ScaleReason {
  initial_scale,     // holding initial_scale until the first stable window has passed
  stable,            // stable-window average
  panic,             // panic-window average (scale up only)
  panic_hold,        // in panic: not scaling down
  scale_from_zero,   // a request is held with no replica
  work_pending,      // would be zero, but requests are queued or in flight
  grace_period,      // average reached zero; waiting for the scale-to-zero grace
  scaled_to_zero,    // no work for a full stable window plus the grace
  clamped_min,       // raised to min_scale
  clamped_max,       // lowered to max_scale
  rate_limited_up,   // limited by max_scale_up_rate
  rate_limited_down, // limited by max_scale_down_rate
  keep_alive,        // (FunctionAutoscaler) an idle replica kept by the keep-alive policy
  idle_tier,         // (FunctionAutoscaler) the keep-alive policy moved the idle replica off warm
};
std::string_view to_string(ScaleReason r);

struct ScaleDecision {
  std::uint32_t desired = 0;  // desired ready replicas
  bool panic = false;
  ScaleReason reason = ScaleReason::stable;
  std::string detail;         // human-readable numbers behind the decision, for logs
};

class ConcurrencyScaler {
public:
  // `created` is when the function was registered (initial scale is honoured for one stable window).
  ConcurrencyScaler(ScalingConfig config, TimePoint created);

  // Periodic evaluation (every tick_interval).
  ScaleDecision on_tick(TimePoint now, const Load& load);
  // A request is held with no ready replica: answer at once, never wait for a tick.
  ScaleDecision on_demand(TimePoint now, const Load& load);

  const ScalingConfig& config() const { return config_; }
  std::uint32_t last_desired() const { return desired_; }
  bool in_panic() const { return panic_since_.has_value(); }

private:
  double per_replica_target() const;
  ScaleDecision finish(TimePoint now, const Load& load, ScaleDecision d);

  ScalingConfig config_;
  TimePoint created_;
  ConcurrencyWindow window_;
  std::uint32_t desired_ = 0;
  std::optional<TimePoint> panic_since_;      // set while in panic
  std::optional<TimePoint> last_over_threshold_;
  std::optional<TimePoint> zero_since_;       // when the computed desire first reached zero
};

}  // namespace svl::autoscaler
