#pragma once
// The reconcile core of one daemon: every function's state machine, the memory budget across
// them, adoption and the runtime's events. Inputs in, steps out; no I/O, no coroutines, no
// clock of its own. The controller feeds it; the replica driver carries its steps out and feeds
// the outcomes back.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "autoscaler/memory_budget.hpp"
#include "orchestrator/control/function_core.hpp"
#include "orchestrator/control/sandbox_pool.hpp"
#include "orchestrator/control/steps.hpp"

namespace svl::control {

class Reconciler final : MemoryGate {
public:
  // The gateway's load of a function now (held and in-flight requests), read on every input.
  using LoadSource = std::function<Load(const std::string& function)>;

  Reconciler(CoreOptions options, LoadSource loads);

  // From the registry. `load`: a function known at start-up (`proven`: it served before) or newly
  // deployed; `apply`: a new revision, a rollback or new overrides of a known one.
  void load(FunctionConfig config, bool proven, TimePoint now, Steps& out);
  void apply(FunctionConfig config, TimePoint now, Steps& out);
  void deployed(const std::string& name, TimePoint now, Steps& out);
  // Forgets the function at once (no new request reaches it) and removes its containers; a new
  // deploy of the name waits until removing() is false.
  void remove(const std::string& name, TimePoint now, Steps& out);
  bool removing(const std::string& name) const { return tombstones_.count(name) > 0; }

  void demand(const std::string& name, TimePoint now, Steps& out);
  void tick(TimePoint now, Steps& out);
  // Scheduled capacity at the wall-clock time `wall` (every tick): windows opening, ahead of a
  // start, or closing. Functions loaded or applied later are planned at the latest `wall`.
  void schedule(schedule::sys_seconds wall, TimePoint now, Steps& out);
  void timer(const std::string& name, TimePoint now, Steps& out);
  void outcome(OpKind kind, const Outcome& o, TimePoint now, Steps& out);
  void event(const RuntimeEvent& e, TimePoint now, Steps& out);
  void drained(const std::string& name, const std::string& replica_id, TimePoint now, Steps& out);
  void unreachable(const std::string& name, const std::string& replica_id, TimePoint now, Steps& out);
  // svl dev saved a file below a mounted folder: restart the serving replicas' processes.
  // False when the function is unknown.
  bool restart(const std::string& name, TimePoint now, Steps& out);
  // The containers the runtime lists for this instance (start-up and after a reconnect).
  void adopt(const std::vector<Observed>& listed, TimePoint now, Steps& out);
  bool adopted() const { return adopted_; }
  // The runtime could not be reached (or could again).
  void runtime_unavailable(const std::string& message, Steps& out);
  void runtime_available() { runtime_ok_ = true; }
  // The daemon stops: every held request is answered now.
  void shutdown(Steps& out);

  const FunctionCore* find(const std::string& name) const;
  FunctionCore* find(const std::string& name);
  const std::map<std::string, std::unique_ptr<FunctionCore>>& functions() const { return functions_; }
  bool runtime_ok() const { return runtime_ok_; }
  const CoreOptions& options() const { return options_; }
  const SandboxPool& pool() const { return pool_; }
  // Bytes held by replicas that run or are paused (at their limits), and the budget.
  std::uint64_t held_bytes() const;
  std::optional<std::uint64_t> budget() const { return options_.memory_budget; }

private:
  // MemoryGate.
  bool make_room(const FunctionCore& f, std::uint64_t need, bool evict, TimePoint now, Steps& out) override;
  void cold_start_measured(const FunctionCore& f, double seconds) override;
  bool make_room_for(const FunctionCore* f, std::uint64_t need, bool evict, TimePoint now, Steps& out);

  template <class F>
  void with(const std::string& name, TimePoint now, Steps& out, F&& f);

  CoreOptions options_;
  LoadSource loads_;
  SandboxPool pool_{options_};
  std::map<std::string, std::unique_ptr<FunctionCore>> functions_;
  // A removed function whose containers are still being removed; a removal that failed (the
  // runtime away) is tried again at the next tick.
  struct Tombstone {
    std::uint64_t epoch = 0;
    std::map<int, std::vector<std::string>> pending;  // slot -> its containers
    std::set<int> retry;
  };
  std::map<std::string, Tombstone> tombstones_;
  // Removals nobody waits for (strays, what a stale create made), kept until they succeed.
  void track_orphans(Steps& out, std::size_t from);
  // A wake's new sandbox from the pool: its CreateSandbox answered at once with a spare.
  void claim_spares(FunctionCore& f, Context& c, std::size_t from);
  std::map<int, std::vector<std::string>> orphans_;
  std::set<int> orphan_retry_;
  int next_orphan_batch_ = 0;
  std::uint64_t next_epoch_ = 1;
  autoscaler::FunctionId next_budget_id_ = 1;
  std::optional<autoscaler::MemoryBudget> budget_;
  bool runtime_ok_ = true;
  std::optional<schedule::sys_seconds> wall_;  // the latest schedule()'s
  // No wake starts before the first adoption: a new slot could hide a sandbox that exists.
  bool adopted_ = false;
};

}  // namespace svl::control
