#include "orchestrator/control/idle_ladder.hpp"

#include <algorithm>

namespace svl::control {

std::vector<IdleMove> plan_idle_moves(const ReplicaSet& replicas, long revision, Tier target,
                                      const std::function<bool()>& prewarm_fits) {
  std::vector<IdleMove> moves;
  int paused = 0;
  for (const auto& s : replicas.slots())
    if (s.revision == revision && (s.phase == Phase::paused || s.phase == Phase::pausing || s.prewarm)) ++paused;
  for (const auto& s : replicas.slots()) {
    if (s.busy || s.waking) continue;
    const bool is_paused = s.phase == Phase::paused, is_stopped = s.phase == Phase::stopped;
    if (!is_paused && !is_stopped) continue;
    if (s.revision != revision || target == Tier::removed) {
      moves.push_back({s.index, Tier::removed});
    } else if (target == Tier::stopped && is_paused) {
      moves.push_back({s.index, Tier::stopped});
    } else if (target == Tier::paused && is_paused && paused > 1) {
      moves.push_back({s.index, Tier::stopped});
      --paused;
    } else if (target == Tier::paused && is_stopped && paused == 0 && prewarm_fits()) {
      moves.push_back({s.index, Tier::paused});
      ++paused;
    }
  }
  return moves;
}

std::vector<int> plan_slot_trim(const ReplicaSet& replicas, long min, TimePoint now, Duration ttl, bool pool) {
  const auto& slots = replicas.slots();
  long count = static_cast<long>(slots.size());
  const bool all_removed = std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.phase == Phase::removed; });
  const long keep = min == 0 && all_removed ? 0 : std::max<long>(1, min);
  std::vector<int> victims;
  const auto idle = [](const Slot& s) { return !s.busy && !s.waking && s.sandbox == SandboxState::ready; };
  if (pool)
    for (auto it = slots.rbegin(); it != slots.rend(); ++it)
      if (idle(*it) && it->phase == Phase::removed) {
        --count;
        victims.push_back(it->index);
      }
  for (auto it = slots.rbegin(); it != slots.rend() && count > keep; ++it) {
    const Slot& s = *it;
    if (!idle(s) || (pool && s.phase == Phase::removed)) continue;
    if (s.phase != Phase::stopped && s.phase != Phase::removed) continue;
    if (now - s.phase_since < ttl) continue;
    --count;
    victims.push_back(s.index);
  }
  return victims;
}

Tier drained_tier(const ReplicaSet& replicas, bool old_revision, Tier policy_tier) {
  Tier tier = old_revision ? Tier::removed : policy_tier;
  if ((tier == Tier::paused || tier == Tier::warm) && replicas.counts().paused > 0) tier = Tier::stopped;
  return tier == Tier::warm ? Tier::paused : tier;
}

}  // namespace svl::control
