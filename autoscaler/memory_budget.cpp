#include "autoscaler/memory_budget.hpp"

#include <algorithm>

namespace svl::autoscaler {

void MemoryBudget::set_function(FunctionId id, std::uint64_t memory_bytes, double cold_start_cost_s) {
  auto& e = entries_[id];
  e.memory = std::max<std::uint64_t>(1, memory_bytes);
  e.cold_cost = cold_start_cost_s;
  reprioritise(id, e);
}

void MemoryBudget::reprioritise(FunctionId id, Entry& e) {
  if (e.idle_loaded) evictable_.erase({e.priority, id});
  const double mb = static_cast<double>(e.memory) / double(1 << 20);
  e.priority = clock_ + static_cast<double>(e.frequency) * e.cold_cost / mb;
  if (e.idle_loaded) evictable_.insert({e.priority, id});
}

void MemoryBudget::on_invocations(FunctionId id, std::uint64_t count) {
  if (count == 0) return;
  auto& e = entries_[id];
  e.frequency += count;
  reprioritise(id, e);
}

void MemoryBudget::forget(FunctionId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.idle_loaded) evictable_.erase({it->second.priority, id});
  entries_.erase(it);
}

void MemoryBudget::set_idle_loaded(FunctionId id, bool loaded) {
  auto& e = entries_[id];
  if (e.idle_loaded == loaded) return;
  if (e.idle_loaded) evictable_.erase({e.priority, id});
  e.idle_loaded = loaded;
  if (loaded) evictable_.insert({e.priority, id});
}

double MemoryBudget::priority(FunctionId id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.priority;
}

std::vector<FunctionId> MemoryBudget::pick_victims(std::uint64_t held_bytes, std::uint64_t need_bytes,
                                                   FunctionId except) {
  std::vector<FunctionId> victims;
  std::uint64_t held = held_bytes;
  auto it = evictable_.begin();
  while (held + need_bytes > budget_ && it != evictable_.end()) {
    auto [prio, id] = *it;
    if (id == except) {
      ++it;
      continue;
    }
    it = evictable_.erase(it);
    auto& e = entries_[id];
    e.idle_loaded = false;
    e.frequency = 0;  // FaasCache: frequency restarts once a function's containers are all gone
    clock_ = std::max(clock_, prio);
    held -= std::min(held, e.memory);
    victims.push_back(id);
  }
  return victims;
}

}  // namespace svl::autoscaler
