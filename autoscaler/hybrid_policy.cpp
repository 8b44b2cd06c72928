#include "autoscaler/hybrid_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace svl::autoscaler {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration from_seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

}  // namespace

std::string_view to_string(HybridMode m) {
  switch (m) {
    case HybridMode::histogram: return "histogram";
    case HybridMode::fallback: return "fallback";
    case HybridMode::forecast: return "forecast";
  }
  return "unknown";
}

void IdleTimeForecaster::add(Duration idle_time) {
  double x = std::log(std::max(1.0, seconds(idle_time)));
  level_ = count_ == 0 ? x : alpha_ * x + (1 - alpha_) * level_;
  ++count_;
}

std::optional<Duration> IdleTimeForecaster::forecast() const {
  if (count_ == 0) return std::nullopt;
  return from_seconds(std::exp(level_));
}

HybridPolicy::HybridPolicy(HybridPolicyConfig config) : config_(config), counts_(config.bins, 0) {}

void HybridPolicy::learn(Duration idle_time) {
  auto bin = static_cast<std::uint64_t>(idle_time / config_.bin_width);
  if (bin < counts_.size()) {
    sum_squares_ += 2.0 * static_cast<double>(counts_[bin]) + 1;  // (c+1)^2 - c^2
    ++counts_[bin];
    ++in_bounds_;
  } else {
    ++out_of_bounds_;
  }
  forecaster_.add(idle_time);
}

HybridWindows HybridPolicy::windows() const {
  HybridWindows w;
  w.in_bounds = in_bounds_;
  w.out_of_bounds = out_of_bounds_;
  const double n = static_cast<double>(counts_.size());
  if (in_bounds_ > 0) {
    double mean = static_cast<double>(in_bounds_) / n;
    double var = std::max(0.0, sum_squares_ / n - mean * mean);
    w.cv = std::sqrt(var) / mean;
  }
  const std::uint64_t total = in_bounds_ + out_of_bounds_;
  if (total >= config_.min_samples && out_of_bounds_ * 2 > total) {
    w.mode = HybridMode::forecast;
    double predicted = seconds(*forecaster_.forecast());
    w.prewarm = from_seconds(predicted * (1 - config_.forecast_margin));
    w.keep_alive = from_seconds(predicted * 2 * config_.forecast_margin);
    return w;
  }
  if (in_bounds_ < config_.min_samples || w.cv < config_.cv_threshold) {
    w.mode = HybridMode::fallback;
    w.keep_alive = config_.fallback_keep_alive;
    return w;
  }
  auto percentile_bin = [&](double pct) {
    double want = pct / 100.0 * static_cast<double>(in_bounds_);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < counts_.size(); ++b) {
      cumulative += counts_[b];
      if (static_cast<double>(cumulative) >= want && cumulative > 0) return b;
    }
    return counts_.size() - 1;
  };
  const double width = seconds(config_.bin_width);
  const double head = static_cast<double>(percentile_bin(config_.head_percentile)) * width;
  const double tail = static_cast<double>(percentile_bin(config_.tail_percentile) + 1) * width;
  w.mode = HybridMode::histogram;
  w.prewarm = from_seconds(head * config_.head_margin);
  w.keep_alive = from_seconds(tail * config_.tail_margin) - w.prewarm;
  return w;
}

IdleSchedule HybridPolicy::plan(TimePoint) {
  HybridWindows w = windows();
  IdleSchedule s;
  if (w.prewarm > Duration::zero()) {
    s.prewarm_at = w.prewarm;
    s.prewarm_until = w.prewarm + w.keep_alive;
  } else {
    s.keep_until = w.keep_alive;
  }
  s.remove_at = w.prewarm + w.keep_alive + config_.stopped_retention;
  char buf[200];
  std::snprintf(buf, sizeof buf, "hybrid %s prewarm=%.0fs keep_alive=%.0fs cv=%.2f in=%llu oob=%llu",
                std::string(to_string(w.mode)).c_str(), seconds(w.prewarm), seconds(w.keep_alive), w.cv,
                static_cast<unsigned long long>(w.in_bounds), static_cast<unsigned long long>(w.out_of_bounds));
  s.rule = buf;
  return s;
}

}  // namespace svl::autoscaler
