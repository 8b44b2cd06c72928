#include "orchestrator/control/replica_set.hpp"

#include <algorithm>

namespace svl::control {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::removed: return "removed";
    case Phase::creating: return "creating";
    case Phase::stopped: return "stopped";
    case Phase::starting: return "starting";
    case Phase::ready: return "ready";
    case Phase::draining: return "draining";
    case Phase::pausing: return "pausing";
    case Phase::paused: return "paused";
    case Phase::stopping: return "stopping";
    case Phase::killing: return "killing";
    case Phase::removing: return "removing";
  }
  return "?";
}

Tier tier_of(Phase phase) {
  switch (phase) {
    case Phase::creating:
    case Phase::starting:
    case Phase::ready:
    case Phase::draining: return Tier::warm;
    case Phase::pausing:
    case Phase::paused: return Tier::paused;
    case Phase::stopped:
    case Phase::stopping:
    case Phase::killing: return Tier::stopped;
    case Phase::removed:
    case Phase::removing: return Tier::removed;
  }
  return Tier::removed;
}

Slot* ReplicaSet::find_slot(int index) {
  for (auto& s : slots_)
    if (s.index == index) return &s;
  return nullptr;
}

const Slot* ReplicaSet::find_slot(int index) const {
  for (const auto& s : slots_)
    if (s.index == index) return &s;
  return nullptr;
}

Slot* ReplicaSet::find_by_container(const std::string& id) {
  if (id.empty()) return nullptr;
  for (auto& s : slots_)
    if (s.replica_id == id || s.sandbox_id == id) return &s;
  return nullptr;
}

Slot& ReplicaSet::add_slot(int container_port) {
  int index = 0;
  while (find_slot(index)) ++index;
  Slot slot;
  slot.index = index;
  slot.container_port = container_port;
  slots_.push_back(slot);
  return slots_.back();
}

void ReplicaSet::erase_slot(int index) {
  std::erase_if(slots_, [&](const Slot& s) { return s.index == index; });
}

PhaseCounts ReplicaSet::counts() const {
  PhaseCounts c;
  for (const auto& s : slots_) {
    if (s.waking && s.phase != Phase::ready) {
      ++c.starting;  // a reserved slot counts as starting whatever step its wake is at
      continue;
    }
    switch (s.phase) {
      case Phase::creating:
      case Phase::starting: ++c.starting; break;
      case Phase::ready: ++c.ready; break;
      case Phase::draining: ++c.draining; break;
      case Phase::pausing:
      case Phase::paused: ++c.paused; break;
      case Phase::stopping:
      case Phase::killing: ++c.stopping; break;
      case Phase::stopped: ++c.stopped; break;
      default: break;
    }
  }
  return c;
}

int ReplicaSet::serving_or_starting(long revision) const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.revision == revision && (s.waking || s.phase == Phase::ready);
  }));
}

int ReplicaSet::ready(long revision) const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(),
                                        [&](const Slot& s) { return s.revision == revision && s.phase == Phase::ready; }));
}

WakePlan ReplicaSet::plan_wake(long revision, int container_port) const {
  auto usable = [&](const Slot& s) { return s.usable() && !s.waking && s.container_port == container_port; };
  auto first = [&](auto pred) -> const Slot* {
    for (const auto& s : slots_)
      if (pred(s)) return &s;
    return nullptr;
  };
  if (auto* s = first([&](const Slot& s) { return usable(s) && s.revision == revision && s.phase == Phase::paused; }))
    return {Tier::paused, s->index};
  if (auto* s = first([&](const Slot& s) { return usable(s) && s.revision == revision && s.phase == Phase::stopped; }))
    return {Tier::stopped, s->index};
  if (auto* s = first([&](const Slot& s) { return usable(s) && s.phase == Phase::removed; }))
    return {Tier::removed, s->index};
  // A stop in flight: its slot is busy, but a wake takes it over with a kill.
  if (auto* s = first([&](const Slot& s) {
        return s.sandbox == SandboxState::ready && !s.waking && s.revision == revision &&
               s.container_port == container_port && s.phase == Phase::stopping;
      }))
    return {Tier::stopped, s->index};
  if (auto* s = first([&](const Slot& s) {
        return s.revision == revision && s.container_port == container_port && !s.waking &&
               (s.phase == Phase::pausing || s.phase == Phase::removing || s.phase == Phase::killing);
      }))
    return {tier_of(s->phase), s->index, true};
  return {Tier::removed, -1};
}

std::optional<int> ReplicaSet::plan_retire(long current_revision) const {
  const Slot* best = nullptr;
  auto better = [&](const Slot& s) {
    if (!best) return true;
    bool s_old = s.revision != current_revision, best_old = best->revision != current_revision;
    if (s_old != best_old) return s_old;
    return s.phase_since > best->phase_since;
  };
  for (const auto& s : slots_)
    if (s.phase == Phase::ready && !s.busy && better(s)) best = &s;
  if (!best) return std::nullopt;
  return best->index;
}

}  // namespace svl::control
