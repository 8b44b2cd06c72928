#pragma once
// Replays an Azure-2019-style trace through the same FunctionAutoscaler / keep-alive / MemoryBudget
// classes the daemon uses, on simulated time. Invocations are spread uniformly inside each minute
// by a per-function seeded generator (identical across policies), each holding its function for a
// duration drawn from the function's percentiles. A replica serves any number of concurrent
// invocations (the gateway routes to ready replicas); the scaler adds replicas for concurrency.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/kpa.hpp"
#include "autoscaler/policy_spec.hpp"
#include "autoscaler/trace.hpp"

namespace svl::autoscaler {

// Wake-up costs: the p50 of a request woken from each tier through svl's gateway, measured by
// bench/cold_start on this 2-core box (docs/daemon.md "Figures", 2026-11-27: paused 10-11 ms,
// stopped 61-73 ms, removed 68-76 ms over five runs). Replicas live in kept network sandboxes,
// so a stopped one wakes with a plain `docker start`. The removed tier's wake is a create + start
// inside a namespace that exists: on the netns data path a spare sandbox of the pool (0.28-0.55x
// the Docker floor in tests/daemon/pool_it.cpp on a loaded box, a kept sandbox's: 0.41-0.45x), and the removed tier
// holds nothing at all; on the published path a removed function's sandbox outlives its replica
// for --idle-slot-ttl, and a wake after that pays a new sandbox too (~250 ms, about 1.3x).
struct TierCosts {
  Duration from_paused = std::chrono::milliseconds(10);
  Duration from_stopped = std::chrono::milliseconds(66);
  Duration from_removed = std::chrono::milliseconds(72);
};

struct SimOptions {
  PolicySpec policy;
  ScalingConfig scaling{};
  std::optional<std::uint64_t> memory_budget_bytes;
  std::uint64_t seed = 1;
  double default_duration_ms = 1000;   // functions missing from --durations
  double default_memory_mb = 256;      // functions missing from --memory
  TierCosts costs{};
  bool record_calls = false;           // keep every call in FunctionResult::calls (tests)
};

// One call as generated: its arrival and its drawn duration, before any wake delay.
struct SimCall {
  std::int64_t start_ns = 0;
  std::int64_t duration_ns = 0;
};

struct FunctionResult {
  std::uint64_t invocations = 0;
  std::uint64_t cold_starts = 0;
  double wasted_gb_s = 0;
  double oracle_floor_gb_s = 0;                       // see SimResult
  double oracle_floor_minus_cold_allowance_gb_s = 0;  // max(0, floor - cold_starts x 60 s x memory)
  std::vector<SimCall> calls;                         // only with SimOptions::record_calls
};

struct SimResult {
  std::string policy;
  std::uint64_t functions = 0;
  std::uint64_t invocations = 0;
  std::uint64_t cold_starts = 0;  // wakes from stopped or removed
  std::uint64_t wakes_paused = 0;
  std::uint64_t wakes_stopped = 0;
  std::uint64_t wakes_removed = 0;
  double cold_start_pct = 0;
  double cold_start_pct_p75 = 0;  // 75th percentile over functions of each one's cold-start %
  double wasted_gb_s = 0;         // idle replicas (warm or paused) x memory x time
  double wasted_idle_gb_s = 0;    // the part while the function had no work at all (keep-alive)
  double peak_memory_gb = 0;
  std::uint64_t evictions = 0;
  std::uint64_t missing_durations = 0;
  std::uint64_t missing_memory = 0;
  std::uint64_t prewarms = 0;     // loads from stopped ahead of an arrival
  // What wakes add to callers' latency (TierCosts): the call that wakes a replica waits the tier's
  // cost, and calls arriving while it wakes wait for the rest of it.
  double wake_latency_total_s = 0;
  double wake_latency_p99_ms = 0;  // nearest-rank p99 over all calls, undelayed calls counting 0
  std::uint64_t delayed_calls = 0;
  // Count-oracle floor: the wasted memory of a clairvoyant policy that knows every minute's call
  // count in advance (not the times inside the minute) and never has a cold start, on this run's
  // very arrivals and durations (undelayed). With one replica it must hold memory from the start
  // of each minute with calls (or the end of the previous call, if later) until that minute's last
  // call ends; wasted = that time minus the time with a call in flight, x memory. The same for
  // every policy on a trace and seed; a lower bound for any policy with no cold starts that does
  // not see where inside a minute the calls land.
  double oracle_floor_gb_s = 0;
  // Sum over functions of max(0, floor - own cold starts x 60 s x memory): a cold start can avoid
  // at most one minute of the oracle's holding (in expectation, when times inside a minute are
  // unknown), so no policy with this run's cold starts, per function, wastes less on average.
  double oracle_floor_minus_cold_allowance_gb_s = 0;
  std::vector<FunctionResult> per_function;  // in trace order
};

SimResult simulate(const Trace& trace, const SimOptions& options);

// The one-line JSON object `svl sim --json` prints. `wasted_vs_fixed10m` is wasted_gb_s divided by
// the same trace's fixed:10m wasted_gb_s (null when that is zero).
std::string to_json(const SimResult& r, double fixed10m_wasted_gb_s);
std::string to_text(const SimResult& r, double fixed10m_wasted_gb_s);

}  // namespace svl::autoscaler
