#include "autoscaler/function_autoscaler.hpp"

#include <algorithm>

namespace svl::autoscaler {

FunctionAutoscaler::FunctionAutoscaler(ScalingConfig config, std::unique_ptr<KeepAlivePolicy> policy,
                                       TimePoint created)
    : scaler_(config, created), policy_(std::move(policy)) {}

void FunctionAutoscaler::on_invocation_start(TimePoint now) {
  ++invocations_in_flight_;
  policy_->on_arrival(now);
  policy_->on_busy(now);
}

void FunctionAutoscaler::on_arrivals(TimePoint now) { policy_->on_arrival(now); }

void FunctionAutoscaler::on_invocation_end(TimePoint now) {
  if (invocations_in_flight_ > 0) --invocations_in_flight_;
  if (invocations_in_flight_ == 0) policy_->on_idle(now);
}

void FunctionAutoscaler::on_evicted(TimePoint now) { policy_->on_evicted(now); }

void FunctionAutoscaler::observe_edges(TimePoint now, const Load& load) {
  if (load.has_work()) {
    policy_->on_busy(now);
  } else if (invocations_in_flight_ == 0) {
    policy_->on_idle(now);
  }
}

FunctionDecision FunctionAutoscaler::on_tick(TimePoint now, const Load& load) {
  observe_edges(now, load);
  return combine(now, load, scaler_.on_tick(now, load));
}

FunctionDecision FunctionAutoscaler::on_demand(TimePoint now, const Load& load) {
  observe_edges(now, load);
  return combine(now, load, scaler_.on_demand(now, load));
}

FunctionDecision FunctionAutoscaler::combine(TimePoint now, const Load& load, ScaleDecision s) {
  FunctionDecision d;
  d.panic = s.panic;
  d.scale_reason = s.reason;
  d.detail = std::move(s.detail);
  KeepAliveDecision k = policy_->decide(now);
  d.idle_reason = k.reason;
  d.next_due = k.next_transition;
  d.prewarm_at = k.prewarm_at;
  d.keep_alive_plan = std::move(k.detail);
  const std::uint32_t min_scale = scaler_.config().min_scale;
  if (load.has_work() || k.tier == Tier::warm ||
      (s.reason == ScaleReason::initial_scale && s.desired > 0)) {
    d.desired_ready = std::max<std::uint32_t>(1, s.desired);
    d.idle_tier = Tier::warm;
    if (s.desired == 0) d.scale_reason = ScaleReason::keep_alive;
  } else if (min_scale > 0) {
    d.desired_ready = std::max(min_scale, s.desired);
    d.idle_tier = Tier::warm;
  } else {
    d.desired_ready = 0;
    d.idle_tier = k.tier;
    d.scale_reason = ScaleReason::idle_tier;
  }
  return d;
}

}  // namespace svl::autoscaler
