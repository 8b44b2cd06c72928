#pragma once
// Idle replicas down the tier ladder, as pure choices over a function's replicas: which idle
// replica moves to which tier, which surplus slots go, and where a drained replica rests.
#include <functional>
#include <vector>

#include "orchestrator/control/replica_set.hpp"

namespace svl::control {

struct IdleMove {
  int slot = 0;
  Tier to = Tier::stopped;
};

// Idle (paused or stopped, nothing in flight) replicas toward the policy's `target`: an old
// revision's are removed; one frozen replica is enough to absorb the next request; a stopped one
// is pre-warmed (started, proven ready, frozen) when the policy wants paused and `prewarm_fits`.
std::vector<IdleMove> plan_idle_moves(const ReplicaSet& replicas, long revision, Tier target,
                                      const std::function<bool()>& prewarm_fits);

// Surplus slots (beyond one, or min) idle in the stopped or removed tier for `ttl` go, sandbox and
// all, the most recently added first; once every replica is removed (min 0), the last one too.
// With the sandbox pool (`pool`), a slot whose replica is removed goes at once, whatever min:
// the removed tier holds nothing, and the pool serves its next wake.
std::vector<int> plan_slot_trim(const ReplicaSet& replicas, long min, TimePoint now, Duration ttl, bool pool = false);

// A drained replica rests in the policy's tier (an old revision's is removed); only one rests
// paused, others are stopped (a cheap start later).
Tier drained_tier(const ReplicaSet& replicas, bool old_revision, Tier policy_tier);

}  // namespace svl::control
