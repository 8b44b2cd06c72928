#pragma once
// One function's replicas as a state machine: inputs (demand, ticks, outcomes of its operations,
// runtime events) go in, steps come out. No I/O, no coroutines, no clock of its own: the caller
// passes `now` and the gateway's load, and carries the steps out.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "autoscaler/function_autoscaler.hpp"
#include "autoscaler/memory_budget.hpp"
#include "orchestrator/control/crash_loop.hpp"
#include "orchestrator/control/function_config.hpp"
#include "orchestrator/control/replica_set.hpp"
#include "orchestrator/control/steps.hpp"
#include "orchestrator/control/usage_meter.hpp"
#include "schedule/windows.hpp"

namespace svl::control {


// Which operation an outcome answers (the driver tells, from the step it carried out).
enum class OpKind { create_sandbox, create_replica, start, unpause, probe, pause, stop, kill, remove_replica, remove_slot, read_logs };

class FunctionCore;

// What a function needs of the others: room in the memory budget.
class MemoryGate {
public:
  virtual ~MemoryGate() = default;
  // Room for `need` more bytes for `f`; when `evict`, made by stopping idle replicas of others.
  virtual bool make_room(const FunctionCore& f, std::uint64_t need, bool evict, TimePoint now, Steps& out) = 0;
  virtual void cold_start_measured(const FunctionCore& f, double seconds) = 0;
};

// What every input may read besides its own arguments.
struct Context {
  const Load& load;
  TimePoint now;
  bool runtime_ok = true;
  MemoryGate* memory = nullptr;  // null: no budget
  Steps& out;
};

class FunctionCore {
public:
  FunctionCore(FunctionConfig config, std::uint64_t epoch, autoscaler::FunctionId budget_id, const CoreOptions& options,
               TimePoint now);

  // A new revision, spec or overrides: the route and the scaler follow.
  void apply(FunctionConfig config, TimePoint now, Steps& out);
  // A deploy: backoff forgotten, the revision proven with `initial` replicas.
  void deployed(Context& c);
  void set_proven(long revision) { proven_revision_ = revision; }
  // Scheduled capacity ([[scale.schedule]]) at the wall-clock time `wall`: the replicas a window
  // keeps ready, from ahead of its start (by wake_estimate() and a margin) to its end. `plan_at`
  // only works the plan out (a new revision or function); `schedule` also scales to it.
  void plan_at(schedule::sys_seconds wall);
  void schedule(schedule::sys_seconds wall, Context& c);

  void demand(Context& c);
  struct TickReport {
    std::uint64_t new_requests = 0;
    double container_seconds = 0;  // replicas running since the last tick, times its length
  };
  TickReport tick(Context& c);
  void timer(Context& c);
  void outcome(OpKind kind, const Outcome& o, Context& c);
  void event(const RuntimeEvent& e, Context& c);
  void drained(const std::string& replica_id, Context& c);
  void unreachable(const std::string& replica_id, Context& c);
  // Each ready replica of the current revision drains, then is killed and started again in
  // its container (svl dev's mounted files are read afresh); requests meanwhile are held.
  void restart(Context& c);
  // Stops this function's idle replicas to free memory for another (the budget's victim).
  void evict(Context& c);
  // Every container of the function, for its removal.
  std::vector<std::string> container_ids() const;

  // Adoption (start-up and resync).
  void adopt_sandbox(int slot, std::string id, int port, Reach reach, TimePoint now);
  void adopt_replica(int slot, std::string id, long revision, Phase phase, TimePoint now, Steps& out);

  // Read-only view (status, the memory planner, tests).
  const std::string& name() const { return config_.name; }
  std::uint64_t epoch() const { return epoch_; }
  const FunctionConfig& config() const { return config_; }
  const FunctionSpec& spec() const { return config_.spec; }
  long revision() const { return config_.revision; }
  long proven_revision() const { return proven_revision_; }
  // `svl scale` overrides win over the schedule, which wins over the spec's own min and max; a
  // dev function keeps one replica ready while svl dev runs.
  long effective_min() const {
    const long min = config_.min_override ? unscheduled_min() : std::max(unscheduled_min(), scheduled_min());
    return std::min(min, effective_max());
  }
  // Without the schedule: the autoscaler's own bound (the schedule's is applied over its decisions).
  long unscheduled_min() const {
    const long min = config_.min_override.value_or(config_.spec.scale.min);
    return config_.dev ? std::max(min, 1L) : min;
  }
  long effective_max() const {
    return config_.max_override.value_or(schedule_ && schedule_->in_force.max ? *schedule_->in_force.max
                                                                              : config_.spec.scale.max);
  }
  // The replicas the schedule keeps ready now (0: no window, or none open or about to open).
  long scheduled_min() const { return schedule_ ? static_cast<long>(schedule_->ready_min) : 0; }
  const std::vector<schedule::Window>& windows() const { return windows_; }
  // Worked out at the latest plan_at or schedule; nullopt without windows.
  const std::optional<schedule::Plan>& schedule_plan() const { return schedule_; }
  // How long a wake takes: the slowest measured from stopped or removed, else a guess.
  std::chrono::milliseconds wake_estimate() const;
  const ReplicaSet& replicas() const { return replicas_; }
  autoscaler::FunctionId budget_id() const { return budget_id_; }
  std::uint32_t desired() const { return desired_; }
  bool panic() const { return panic_; }
  const std::string& last_reason() const { return last_reason_; }
  const std::string& keep_alive_plan() const { return keep_alive_plan_; }
  const CrashLoop& crash_loop() const { return crash_; }
  struct Failure {
    std::string message;  // why the last start failed, shown to held requests and `svl up`
    long revision = 0;    // the revision that failed (0: cleared by a later success or rollback)
    std::string logs;
    int logs_pending = 0;  // log tails still being read: wait_ready reports them, not a blank
    TimePoint at{};
    bool current = false;  // no replica has become ready since
  };
  const Failure& failure() const { return failure_; }
  struct ColdStartRecord {
    Tier from = Tier::stopped;
    double seconds = 0;
  };
  const std::optional<ColdStartRecord>& last_cold_start() const { return last_cold_start_; }
  UsageMeter& usage() { return usage_; }
  // Holds memory (counted at its limit) for the budget: running, paused or on its way there.
  int replicas_holding_memory() const;
  // Has an idle loaded replica (ready or paused, nothing moving) the budget may evict.
  bool evictable(const Load& load) const;
  gateway::FunctionRoute route() const;

private:
  Op begin_op(Slot& s);
  void scale_to(std::uint32_t desired, std::string_view reason, Context& c);
  bool first_wake_in_flight() const;
  void begin_wake(WakePlan plan, Context& c);
  void advance_wake(Slot& s, Context& c);
  void became_ready(Slot& s, Context& c);
  void replica_failed(Slot& s, std::string reason, Context& c);
  void replica_gone(Slot& s, Context& c);
  void runtime_down(Slot& s, Phase back, const std::string& message, Context& c);
  void retire(Slot& s, Context& c);
  void move_idle(Slot& s, Tier tier, Context& c);
  void idle_move_done(Slot& s, Phase phase, Context& c);
  void remove_slot(Slot& s, Context& c);
  void apply_idle_tier(Context& c);
  void trim_idle_slots(Context& c);
  void build_windows(Steps& out);
  void decide(const autoscaler::FunctionDecision& d);
  gateway::ReplicaEndpoint endpoint(const Slot& s) const;
  autoscaler::Load scaler_load(const Load& load) const;

  const CoreOptions& options_;
  FunctionConfig config_;
  std::uint64_t epoch_;
  autoscaler::FunctionId budget_id_;
  long proven_revision_ = 0;  // last revision that ever became ready
  ReplicaSet replicas_;
  std::unique_ptr<autoscaler::FunctionAutoscaler> scaler_;
  std::uint32_t desired_ = 0;
  bool panic_ = false;
  Tier idle_tier_ = Tier::stopped;  // from the latest decision
  std::string last_reason_;
  std::string keep_alive_plan_;
  CrashLoop crash_;
  Failure failure_;
  std::optional<ColdStartRecord> last_cold_start_;
  double slowest_wake_seconds_ = 0;  // from stopped or removed
  std::vector<schedule::Window> windows_;  // from spec.scale.schedule
  std::optional<schedule::Plan> schedule_;
  UsageMeter usage_;
  std::uint64_t requests_seen_ = 0;
  TimePoint scale_out_after_{};  // burst_settle after a cheap wake
  std::map<int, Phase> rest_before_;  // a slot's phase before its idle move, to go back to on failure
};

}  // namespace svl::control
