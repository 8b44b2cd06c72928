#include "orchestrator/daemon/replica_set.hpp"

#include <algorithm>

namespace svl::orchestrator {

const char* to_string(ReplicaPhase phase) {
  switch (phase) {
    case ReplicaPhase::none: return "none";
    case ReplicaPhase::creating: return "creating";
    case ReplicaPhase::created: return "stopped";
    case ReplicaPhase::starting: return "starting";
    case ReplicaPhase::ready: return "ready";
    case ReplicaPhase::draining: return "draining";
    case ReplicaPhase::pausing: return "pausing";
    case ReplicaPhase::paused: return "paused";
    case ReplicaPhase::stopping: return "stopping";
    case ReplicaPhase::removing: return "removing";
    case ReplicaPhase::failed: return "failed";
  }
  return "?";
}

const char* to_string(WakeFrom from) {
  switch (from) {
    case WakeFrom::paused: return "paused";
    case WakeFrom::stopped: return "stopped";
    case WakeFrom::removed: return "removed";
    case WakeFrom::new_slot: return "new_slot";
    case WakeFrom::wait: return "wait";
  }
  return "?";
}

Slot* ReplicaSet::find_slot(int index) {
  for (auto& s : slots_)
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
  slot.sandbox_busy = true;
  slots_.push_back(slot);
  return slots_.back();
}

void ReplicaSet::erase_slot(int index) {
  std::erase_if(slots_, [&](const Slot& s) { return s.index == index; });
}

TierCounts ReplicaSet::counts() const {
  TierCounts c;
  for (const auto& s : slots_) {
    if (s.waking && s.phase == ReplicaPhase::none) {
      ++c.starting;  // its sandbox is being made
      continue;
    }
    switch (s.phase) {
      case ReplicaPhase::creating:
      case ReplicaPhase::starting: ++c.starting; break;
      case ReplicaPhase::ready: ++c.ready; break;
      case ReplicaPhase::draining: ++c.draining; break;
      case ReplicaPhase::pausing:
      case ReplicaPhase::paused: ++c.paused; break;
      case ReplicaPhase::created:
      case ReplicaPhase::stopping: ++c.stopped; break;
      default: break;
    }
  }
  return c;
}

int ReplicaSet::serving_or_starting(long revision) const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.revision == revision && (s.waking || s.phase == ReplicaPhase::ready || s.phase == ReplicaPhase::starting ||
                                      s.phase == ReplicaPhase::creating);
  }));
}

int ReplicaSet::ready(long revision) const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.revision == revision && s.phase == ReplicaPhase::ready;
  }));
}

ReplicaSet::Wake ReplicaSet::plan_wake(long revision, int container_port) const {
  auto usable = [&](const Slot& s) {
    return s.sandbox_ready && !s.sandbox_busy && !s.busy && s.container_port == container_port;
  };
  for (const auto& s : slots_)
    if (usable(s) && s.revision == revision && s.phase == ReplicaPhase::paused) return {WakeFrom::paused, s.index};
  for (const auto& s : slots_)
    if (usable(s) && s.revision == revision && s.phase == ReplicaPhase::created) return {WakeFrom::stopped, s.index};
  for (const auto& s : slots_)
    if (usable(s) && s.phase == ReplicaPhase::none) return {WakeFrom::removed, s.index};
  for (const auto& s : slots_)
    if (s.revision == revision && s.container_port == container_port && !s.waking &&
        (s.phase == ReplicaPhase::pausing || s.phase == ReplicaPhase::stopping || s.phase == ReplicaPhase::removing))
      return {WakeFrom::wait, s.index};
  return {WakeFrom::new_slot, -1};
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
    if (s.phase == ReplicaPhase::ready && !s.busy && better(s)) best = &s;
  if (!best) return std::nullopt;
  return best->index;
}

}  // namespace svl::orchestrator
