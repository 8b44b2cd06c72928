#pragma once
// svl's default keep-alive policy. Per function it keeps the recent idle times exactly (not in
// 1-minute bins) and picks the loaded window [load_at, unload_at] that minimises the expected
//   idle memory-seconds + cold_start_cost / memory x P(cold start)
// over those idle times plus a few prior pseudo-observations (so a new function is neither kept
// forever nor dropped at once). A window that starts after zero is a pre-warm. While loaded the
// replica is frozen after `pause_after` (wake ~10 ms, not a cold start); unloading means stopped
// (container kept), so even a miss is a fast start. Large functions are kept for less time because
// their idle time costs more; the whole-box MemoryBudget evicts under pressure.
//
// Functions whose calls fall in predictable minutes (cron-like schedules: every 5 min, or a fixed
// pattern inside a 15-minute cycle) are planned a minute at a time instead: a MinuteForecast says
// which coming minutes will see a call, and the replica is loaded for exactly those minutes
// (the rest of the current one, then pre-warmed just before each predicted one). It is used only
// while the forecast beats the function's plain per-minute call rate by `forecast_margin` nats.
#include <cstdint>
#include <vector>

#include "autoscaler/keepalive.hpp"
#include "autoscaler/minute_forecast.hpp"

namespace svl::autoscaler {

struct AdaptivePolicyConfig {
  std::uint64_t memory_bytes = 256ull << 20;             // the replica's memory
  // A cold start is worth this many idle GB-seconds. 2000: fewer cold starts than a fixed 10-minute
  // timeout and less idle memory on every Azure sample (docs/autoscaler.md, "Results").
  double cold_start_cost_gb_s = 2000;
  std::optional<Duration> pause_after = std::chrono::seconds(2);
  std::uint32_t history = 64;                             // idle times remembered
  double prior_weight = 1;                                // total weight of the prior pseudo-observations
  double prior_half_life = 0;                             // own samples after which the prior weighs half (0: never fades)
  // Cold starts of rarely invoked functions weigh more (each function's users see its own cold-start
  // ratio): the cost is multiplied by 1 + rare_boost x min(1, mean idle time / 1 h).
  double rare_boost = 3;
  std::uint32_t prewarm_min_samples = 10;                 // own idle times needed before pre-warming
  double margin = 0.1;                                    // window widened by this fraction each side
  Duration margin_min = std::chrono::seconds(2);          // ... and at least this much
  Duration max_keep = std::chrono::hours(4);              // never keep loaded longer than this
  Duration stopped_retention = std::chrono::hours(1);
  bool minute_forecast = true;                            // plan predictable functions minute by minute
  double forecast_margin = 2;                             // nats the forecast must beat the base rate by
  Duration prewarm_lead = std::chrono::seconds(2);        // load this long before a predicted minute
  Duration minute_phase{};                                // added to the clock so minutes match wall-clock minutes
  // Run as a PortfolioPolicy (make_adaptive_policy) of copies of this policy whose cold-start cost is
  // scaled by these factors, the first being the reference, and of fixed idle timeouts; with no
  // factors, one policy on its own.
  std::vector<double> portfolio{1, 0.25, 4};
  std::vector<Duration> portfolio_fixed{std::chrono::minutes(1), std::chrono::minutes(3), std::chrono::minutes(10),
                                        std::chrono::minutes(30)};
  Duration portfolio_half_life = std::chrono::hours(6);
  // A function called once or twice, with no other history, is stopped within 15 minutes of going
  // idle, as hosted free tiers spin down (make_adaptive_policy; nullopt: plans as learnt).
  std::optional<NewFunctionCap> new_function = NewFunctionCap{};
};

// Up to two loaded windows per idle period: [0, keep_until) right after the last invocation (catches
// the rest of a burst) and [prewarm_at, prewarm_until) before the predicted next one (periodic
// triggers). Hybrid has only one, so a function with bursts every 30 min stays loaded throughout.
struct AdaptiveWindow {
  Duration keep_until{};
  Duration prewarm_at{};
  Duration prewarm_until{};  // == prewarm_at: no pre-warm
  double expected_cold = 0;  // probability of a cold start under the sample distribution
  double breakeven = 0;      // seconds of idle memory a cold start is worth, as used
};

class AdaptivePolicy final : public KeepAlivePolicy {
public:
  explicit AdaptivePolicy(AdaptivePolicyConfig config = {});
  std::string_view name() const override { return "adaptive"; }
  // The window the next idle period would use.
  AdaptiveWindow window();
  std::uint64_t samples() const { return total_; }
  const AdaptivePolicyConfig& config() const { return config_; }
  void on_arrival(TimePoint now) override;
  const MinuteForecast& forecast() const { return forecast_; }

protected:
  void learn(Duration idle_time) override;
  IdleSchedule plan(TimePoint idle_start) override;
  std::optional<IdleSchedule> plan_more(TimePoint idle_start, TimePoint now) override;

private:
  AdaptiveWindow optimise() const;
  // The next loaded minutes by the forecast: with `first`, the rest of the current minute (and the
  // next one, if predicted) as the keep window; then the next predicted minute as a pre-warm.
  IdleSchedule minute_plan(TimePoint idle_start, TimePoint now, bool first);

  AdaptivePolicyConfig config_;
  std::vector<double> recent_;   // ring buffer of idle times in seconds
  std::size_t next_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t since_optimised_ = 0;
  std::optional<AdaptiveWindow> cached_;
  MinuteForecast forecast_;
  bool minute_mode_ = false;  // this idle period is planned by the forecast
};

}  // namespace svl::autoscaler
