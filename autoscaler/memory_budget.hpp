#pragma once
// A memory budget for the whole box. When loading a replica would exceed it, idle replicas of other
// functions are evicted in order of FaasCache's Greedy-Dual priority (Fuerst & Sharma, ASPLOS 2021):
//   priority = clock + frequency x cold_start_cost / memory
// The lowest priority goes first; the clock then advances to the victim's priority, so functions
// not used for a while age out. Functions are named by a dense id the caller chooses.
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace svl::autoscaler {

using FunctionId = std::uint32_t;

class MemoryBudget {
public:
  explicit MemoryBudget(std::uint64_t budget_bytes) : budget_(budget_bytes) {}

  // A function's replica size and how long its cold start takes (seconds).
  void set_function(FunctionId id, std::uint64_t memory_bytes, double cold_start_cost_s);
  // An invocation: raises the function's frequency and refreshes its priority.
  void on_invocation(FunctionId id) { on_invocations(id, 1); }
  // `count` invocations at once (the daemon samples request counters on its tick).
  void on_invocations(FunctionId id, std::uint64_t count);
  // Drops a function that no longer exists.
  void forget(FunctionId id);
  // Whether the function has an idle loaded replica (evictable) holding memory.
  void set_idle_loaded(FunctionId id, bool loaded);

  // Victims to evict so that `held_bytes + need_bytes` fits, never `except` (the one that needs
  // the memory). May return too few if nothing else is evictable: the caller decides.
  std::vector<FunctionId> pick_victims(std::uint64_t held_bytes, std::uint64_t need_bytes, FunctionId except);

  std::uint64_t budget() const { return budget_; }
  double priority(FunctionId id) const;
  double clock() const { return clock_; }

private:
  struct Entry {
    std::uint64_t memory = 1;
    double cold_cost = 0.25;
    std::uint64_t frequency = 0;
    double priority = 0;
    bool idle_loaded = false;
  };
  void reprioritise(FunctionId id, Entry& e);

  std::uint64_t budget_;
  double clock_ = 0;
  std::unordered_map<FunctionId, Entry> entries_;
  std::set<std::pair<double, FunctionId>> evictable_;  // (priority, id) of idle loaded replicas
};

}  // namespace svl::autoscaler
