#pragma once
// Keep-alive policies: for a function with no work, which tier its idle replica should be in.
//
// Tiers, cheapest to wake first: warm (running), paused (cgroup freezer: holds memory, wakes in
// ~10 ms), stopped (no process, no memory; container kept for a fast start), removed (nothing).
// A policy learns from the function's busy/idle edges and turns each idle period into a schedule
// relative to the moment the function became idle. The daemon asks `decide(now)` and arms a timer
// for `next_transition`; a pre-warm is a planned transition from stopped back to a loaded tier.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace svl::autoscaler {

enum class Tier { warm, paused, stopped, removed };
std::string_view to_string(Tier t);
bool holds_memory(Tier t);  // warm and paused hold the replica's memory

enum class KeepAliveReason {
  never_invoked,     // no invocation yet: nothing to keep
  busy,              // work in flight: the replica is warm
  keep_alive,        // inside the keep-alive window
  pause_after,       // idle long enough to freeze, still inside the keep-alive window
  idle_timeout,      // keep-alive window over: replica stopped
  prewarm_wait,      // unloaded until the predicted next arrival
  prewarmed,         // loaded again ahead of the predicted arrival
  retention_expired, // stopped long enough: container removed
  evicted,           // the memory budget took the replica
};
std::string_view to_string(KeepAliveReason r);

struct KeepAliveDecision {
  Tier tier = Tier::removed;
  std::optional<TimePoint> next_transition;  // ask again at this time (arm a timer)
  std::optional<TimePoint> prewarm_at;       // when an unloaded replica is due to be loaded again
  KeepAliveReason reason = KeepAliveReason::never_invoked;
  std::string detail;                        // which rule produced the schedule, with its numbers
};

// An idle period's plan, as offsets from the moment the function became idle: loaded (warm, then
// paused after `pause_at`) until `keep_until`; stopped; loaded again (a pre-warm) during
// [prewarm_at, prewarm_until); stopped; removed at `remove_at`. Either window may be empty.
struct IdleSchedule {
  Duration keep_until{};
  Duration prewarm_at{};
  Duration prewarm_until{};               // == prewarm_at: no pre-warm
  std::optional<Duration> pause_at;       // warm -> paused at this offset in the first window
  bool prewarm_paused = false;            // a pre-warmed replica is frozen at once (wakes in ~10 ms)
  Duration remove_at{};                   // stopped container removed at this offset
  std::string rule;                       // e.g. "hybrid histogram prewarm=3m keep_alive=7m"
};

// A function with little history is unloaded soon: until `idle_times` idle periods have ended
// (a function called once or twice), every plan holds memory only during its first `keep`.
struct NewFunctionCap {
  Duration keep = std::chrono::minutes(15);
  std::uint32_t idle_times = 2;
};

class KeepAlivePolicy {
public:
  virtual ~KeepAlivePolicy() = default;

  // The function went from idle to busy (first request in flight) / from busy to idle.
  // Virtual so a policy made of other policies (PortfolioPolicy) can pass the edges on.
  virtual void on_busy(TimePoint now);
  virtual void on_idle(TimePoint now);
  // The memory budget took the idle replica: stopped until the next invocation.
  virtual void on_evicted(TimePoint now);
  // A request arrived (policies that learn when calls come, not only how long idle times are).
  virtual void on_arrival(TimePoint /*now*/) {}

  // The tier for the idle replica at `now` (warm while busy).
  KeepAliveDecision decide(TimePoint now);

  // Caps the plans of a function with little history (nullopt: no cap).
  void set_new_function_cap(std::optional<NewFunctionCap> cap) { new_cap_ = cap; }
  // Idle periods that have ended with a call.
  std::uint64_t idle_times() const { return idle_times_; }

  bool busy() const { return busy_; }
  std::optional<TimePoint> idle_since() const { return idle_since_; }
  // The current idle period's plan (as last extended by decide()).
  const IdleSchedule& schedule() const { return schedule_; }
  virtual std::string_view name() const = 0;

protected:
  // An idle period of this length ended with an invocation.
  virtual void learn(Duration idle_time) = 0;
  // The plan for the idle period that starts now. Called once per idle period.
  virtual IdleSchedule plan(TimePoint idle_start) = 0;
  // When every window of the plan is over and the function is still idle: more windows for the
  // same idle period (offsets from `idle_start`, all after `now`), or nothing (stay stopped).
  virtual std::optional<IdleSchedule> plan_more(TimePoint /*idle_start*/, TimePoint /*now*/) { return std::nullopt; }

private:
  // The plan as the cap allows it for this idle period (unchanged for a function with history).
  void cap(IdleSchedule& s) const;

  bool busy_ = false;
  std::optional<NewFunctionCap> new_cap_;
  std::uint64_t idle_times_ = 0;
  bool evicted_ = false;
  std::optional<TimePoint> idle_since_;
  IdleSchedule schedule_;
  bool planned_all_ = false;  // plan_more had nothing more for this idle period
};

// The baseline: one idle timeout, optionally frozen first ("pause_after"; nullopt = never pause).
struct FixedPolicyConfig {
  std::optional<Duration> pause_after;
  Duration idle_timeout = std::chrono::minutes(10);
  Duration stopped_retention = std::chrono::hours(1);  // stopped -> removed after this much more
};

class FixedPolicy final : public KeepAlivePolicy {
public:
  explicit FixedPolicy(FixedPolicyConfig config) : config_(config) {}
  std::string_view name() const override { return "fixed"; }

protected:
  void learn(Duration) override {}
  IdleSchedule plan(TimePoint idle_start) override;

private:
  FixedPolicyConfig config_;
};

}  // namespace svl::autoscaler
