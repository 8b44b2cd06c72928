#pragma once
// One object per function for the daemon: the concurrency scaler (how many ready replicas while
// there is work) and the keep-alive policy (what to do with the idle replica when there is none).
//
// Drive it with:
//   on_demand(now, load)  - the gateway holds a request with no capacity (answers at once)
//   on_tick(now, load)    - every ScalingConfig::tick_interval, and when `next_due` comes
//   on_invocation_start / on_invocation_end - exact busy/idle edges (optional: edges are also
//                                             derived from every Load seen)
//   on_arrivals(now)      - requests arrived (by now) that on_invocation_start did not report
//   on_evicted(now)       - the MemoryBudget took this function's idle replica
#include <memory>
#include <optional>
#include <string>

#include "autoscaler/keepalive.hpp"
#include "autoscaler/kpa.hpp"

namespace svl::autoscaler {

struct FunctionDecision {
  std::uint32_t desired_ready = 0;  // replicas that should be ready (warm)
  bool panic = false;
  // When desired_ready == 0: the tier of the function's last replica (paused, stopped or removed;
  // extra replicas are removed). When desired_ready > 0: warm.
  Tier idle_tier = Tier::removed;
  std::optional<TimePoint> next_due;    // call on_tick again by then (a tier transition is due)
  std::optional<TimePoint> prewarm_at;  // a planned pre-warm (also reported via next_due)
  ScaleReason scale_reason = ScaleReason::stable;
  KeepAliveReason idle_reason = KeepAliveReason::never_invoked;
  std::string detail;           // the scaler's reasoning, with its numbers
  std::string keep_alive_plan;  // the idle period's plan as the policy explains it; empty while busy
};

class FunctionAutoscaler {
public:
  FunctionAutoscaler(ScalingConfig config, std::unique_ptr<KeepAlivePolicy> policy, TimePoint created);

  FunctionDecision on_tick(TimePoint now, const Load& load);
  FunctionDecision on_demand(TimePoint now, const Load& load);
  void on_invocation_start(TimePoint now);
  void on_invocation_end(TimePoint now);
  void on_arrivals(TimePoint now);
  void on_evicted(TimePoint now);

  const ConcurrencyScaler& scaler() const { return scaler_; }
  KeepAlivePolicy& policy() { return *policy_; }

private:
  void observe_edges(TimePoint now, const Load& load);
  FunctionDecision combine(TimePoint now, const Load& load, ScaleDecision s);

  ConcurrencyScaler scaler_;
  std::unique_ptr<KeepAlivePolicy> policy_;
  std::uint32_t invocations_in_flight_ = 0;
};

}  // namespace svl::autoscaler
