#pragma once
// The hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (USENIX ATC 2020).
// Idle times go into 1-minute bins over a 4-hour range plus an out-of-bounds counter.
//  - most idle times out of bounds   -> forecast the next idle time (IdleTimeForecaster),
//                                       pre-warm at 85 % of it, keep loaded until 115 %;
//  - histogram representative        -> pre-warm at p5 x 0.9, keep loaded until p99 x 1.1;
//  - otherwise (CV of bin counts < 2, or too few samples) -> fixed keep-alive (the histogram range).
#include <cstdint>
#include <deque>
#include <vector>

#include "autoscaler/keepalive.hpp"

namespace svl::autoscaler {

struct HybridPolicyConfig {
  Duration bin_width = std::chrono::minutes(1);
  std::uint32_t bins = 240;                 // 4 h range
  double head_percentile = 5;
  double tail_percentile = 99;
  double head_margin = 0.9;                 // pre-warm window = head bin x 0.9
  double tail_margin = 1.1;                 // keep-alive ends at tail bin x 1.1
  double cv_threshold = 2;                  // below: histogram not representative
  std::uint32_t min_samples = 10;           // fewer in-bound idle times: not representative
  Duration fallback_keep_alive = std::chrono::hours(4);  // the paper's fallback: the histogram range
  double forecast_margin = 0.15;            // forecast mode: load at (1 - m) x, unload at (1 + m) x
  Duration stopped_retention = std::chrono::hours(1);
};

// Forecasts the next idle time from the recent series. The paper fits ARIMA; with a day of data a
// function that is mostly out of bounds has only a handful of idle times, too few to fit ARIMA's
// parameters, so we use exponential smoothing of the log idle time (ARIMA(0,1,1) in log space,
// with the smoothing constant fixed instead of fitted). docs/autoscaler.md compares it.
class IdleTimeForecaster {
public:
  explicit IdleTimeForecaster(double alpha = 0.5) : alpha_(alpha) {}
  void add(Duration idle_time);
  std::optional<Duration> forecast() const;
  std::uint64_t count() const { return count_; }

private:
  double alpha_;
  double level_ = 0;  // smoothed log(seconds)
  std::uint64_t count_ = 0;
};

enum class HybridMode { histogram, fallback, forecast };
std::string_view to_string(HybridMode m);

struct HybridWindows {
  HybridMode mode = HybridMode::fallback;
  Duration prewarm{};     // unloaded for this long after the function became idle
  Duration keep_alive{};  // then loaded for this long
  double cv = 0;
  std::uint64_t in_bounds = 0;
  std::uint64_t out_of_bounds = 0;
};

class HybridPolicy final : public KeepAlivePolicy {
public:
  explicit HybridPolicy(HybridPolicyConfig config = {});
  std::string_view name() const override { return "hybrid"; }
  // The windows the next idle period would use (exposed for tests and `svl` diagnostics).
  HybridWindows windows() const;

protected:
  void learn(Duration idle_time) override;
  IdleSchedule plan(TimePoint idle_start) override;

private:
  HybridPolicyConfig config_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t in_bounds_ = 0;
  double sum_squares_ = 0;  // of the bin counts, kept incrementally so the CV costs O(1)
  std::uint64_t out_of_bounds_ = 0;
  IdleTimeForecaster forecaster_;
};

}  // namespace svl::autoscaler
