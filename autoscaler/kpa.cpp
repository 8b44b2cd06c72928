#include "autoscaler/kpa.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace svl::autoscaler {
namespace {

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

std::uint32_t ceil_count(double x) {
  if (x <= 0) return 0;
  double c = std::ceil(x - 1e-9);  // 2.0000000001 replicas is 2, not 3
  return c > 1e9 ? 1000000000u : static_cast<std::uint32_t>(c);
}

}  // namespace

std::string_view to_string(ScaleReason r) {
  switch (r) {
    case ScaleReason::initial_scale: return "initial_scale";
    case ScaleReason::stable: return "stable";
    case ScaleReason::panic: return "panic";
    case ScaleReason::panic_hold: return "panic_hold";
    case ScaleReason::scale_from_zero: return "scale_from_zero";
    case ScaleReason::work_pending: return "work_pending";
    case ScaleReason::grace_period: return "grace_period";
    case ScaleReason::scaled_to_zero: return "scaled_to_zero";
    case ScaleReason::clamped_min: return "clamped_min";
    case ScaleReason::clamped_max: return "clamped_max";
    case ScaleReason::rate_limited_up: return "rate_limited_up";
    case ScaleReason::rate_limited_down: return "rate_limited_down";
    case ScaleReason::keep_alive: return "keep_alive";
    case ScaleReason::idle_tier: return "idle_tier";
  }
  return "unknown";
}

Duration ScalingConfig::panic_window() const {
  auto ticks = static_cast<Duration::rep>(static_cast<double>(stable_window.count()) * panic_window_pct / 100.0);
  return std::max(Duration(ticks), Duration(1));
}

std::optional<Failure> ScalingConfig::validate() const {
  auto bad = [](std::string what) { return Failure{make_error_code(Error::bad_config), std::move(what)}; };
  if (max_scale != 0 && min_scale > max_scale) return bad("min_scale is above max_scale");
  if (!(target_concurrency > 0)) return bad("target_concurrency must be above 0");
  if (!(target_utilization > 0 && target_utilization <= 1)) return bad("target_utilization must be in (0, 1]");
  if (stable_window <= Duration::zero()) return bad("stable_window must be above 0");
  if (!(panic_window_pct > 0 && panic_window_pct <= 100)) return bad("panic_window_pct must be in (0, 100]");
  if (!(panic_threshold_pct > 100)) return bad("panic_threshold_pct must be above 100");
  if (!(max_scale_up_rate > 1)) return bad("max_scale_up_rate must be above 1");
  if (!(max_scale_down_rate > 1)) return bad("max_scale_down_rate must be above 1");
  if (scale_to_zero_grace < Duration::zero()) return bad("scale_to_zero_grace must not be negative");
  if (tick_interval <= Duration::zero()) return bad("tick_interval must be above 0");
  return std::nullopt;
}

ConcurrencyScaler::ConcurrencyScaler(ScalingConfig config, TimePoint created)
    : config_(config), created_(created), window_(config.stable_window + config.tick_interval),
      desired_(config.initial_scale) {}

double ConcurrencyScaler::per_replica_target() const {
  return config_.target_concurrency * config_.target_utilization;
}

ScaleDecision ConcurrencyScaler::on_tick(TimePoint now, const Load& load) {
  window_.record(now, load.concurrency_integral);
  const double target = per_replica_target();
  const double stable_avg = window_.average(now, config_.stable_window);
  const double panic_avg = window_.average(now, config_.panic_window());
  const std::uint32_t want_stable = ceil_count(stable_avg / target);
  const std::uint32_t want_panic = ceil_count(panic_avg / target);

  // Knative: panic when the panic-window demand is >= threshold x the ready replicas.
  const double ready_for_threshold = std::max<std::uint32_t>(1, load.ready);
  const bool over = panic_avg / target / ready_for_threshold >= config_.panic_threshold_pct / 100.0;
  if (over) {
    last_over_threshold_ = now;
    if (!panic_since_) panic_since_ = now;
  } else if (panic_since_ && last_over_threshold_ && now - *last_over_threshold_ >= config_.stable_window) {
    panic_since_.reset();  // a full stable window below the threshold
  }

  ScaleDecision d;
  d.panic = panic_since_.has_value();
  if (d.panic) {
    if (want_panic >= desired_) {
      d.desired = want_panic;
      d.reason = ScaleReason::panic;
    } else {
      d.desired = desired_;
      d.reason = ScaleReason::panic_hold;
    }
  } else {
    d.desired = want_stable;
    d.reason = ScaleReason::stable;
  }
  d.detail = fmt("stable_avg=%.3f panic_avg=%.3f per_replica_target=%.2f", stable_avg, panic_avg, target);

  // Rate limits relative to the replicas ready now.
  if (load.ready > 0) {
    auto up = ceil_count(config_.max_scale_up_rate * load.ready);
    if (d.desired > up) {
      d.desired = up;
      d.reason = ScaleReason::rate_limited_up;
    }
    auto down = static_cast<std::uint32_t>(std::floor(load.ready / config_.max_scale_down_rate));
    if (d.desired < down) {
      d.desired = down;
      d.reason = ScaleReason::rate_limited_down;
    }
  }

  if (now - created_ < config_.stable_window && d.desired < config_.initial_scale) {
    d.desired = config_.initial_scale;
    d.reason = ScaleReason::initial_scale;
  }
  return finish(now, load, std::move(d));
}

ScaleDecision ConcurrencyScaler::on_demand(TimePoint now, const Load& load) {
  window_.record(now, load.concurrency_integral);
  ScaleDecision d;
  d.panic = panic_since_.has_value();
  auto need = std::max<std::uint32_t>(1, ceil_count(load.queued / config_.target_concurrency));
  d.desired = std::max(desired_, need);
  d.reason = ScaleReason::scale_from_zero;
  d.detail = fmt("queued=%.0f ready=%.0f", load.queued, load.ready);
  return finish(now, load, std::move(d));
}

ScaleDecision ConcurrencyScaler::finish(TimePoint now, const Load& load, ScaleDecision d) {
  if (d.desired == 0 && load.has_work()) {
    d.desired = 1;
    d.reason = ScaleReason::work_pending;
  }
  if (d.desired == 0 && config_.min_scale == 0) {
    if (!zero_since_) zero_since_ = now;
    if (desired_ > 0 && now - *zero_since_ < config_.scale_to_zero_grace) {
      d.desired = 1;
      d.reason = ScaleReason::grace_period;
    } else if (desired_ > 0) {
      d.reason = ScaleReason::scaled_to_zero;
    }
  } else if (d.desired > 0) {
    zero_since_.reset();
  }
  if (d.desired < config_.min_scale) {
    d.desired = config_.min_scale;
    d.reason = ScaleReason::clamped_min;
  }
  if (config_.max_scale != 0 && d.desired > config_.max_scale) {
    d.desired = config_.max_scale;
    d.reason = ScaleReason::clamped_max;
  }
  desired_ = d.desired;
  return d;
}

}  // namespace svl::autoscaler
