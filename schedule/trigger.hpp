#pragma once
// Cron-trigger bookkeeping ([[cron]]): which runs are due, as a small state machine that
// takes the run records and `now` and returns actions; the caller makes the calls and
// reports back when each ends. Concurrency as Kubernetes CronJob's concurrencyPolicy:
//   allow   - a run starts at each fire time, whatever is still running;
//   forbid  - a fire time while a run is still in flight is skipped;
//   replace - the run in flight is cancelled and a new one started.
// Fire times missed while the daemon was down are skipped and reported; with catch_up, the
// most recent of them runs once at start-up (as systemd's Persistent=). Fire times missed
// while running (a tick came late) run once, at the latest; the older ones are skipped.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "schedule/concurrency.hpp"
#include "schedule/zoned.hpp"

namespace svl::schedule {

using RunId = std::uint64_t;

// A run as the registry records it.
struct RunRecord {
  RunId id = 0;
  sys_seconds scheduled;              // the fire time it was for
  std::optional<sys_seconds> finished;  // nullopt: still in flight (or lost with the daemon)
};

namespace action {
struct StartRun {  // call the function now
  RunId id;
  sys_seconds scheduled;
  std::chrono::seconds lateness;  // now - scheduled
  bool catch_up = false;          // a run missed while the daemon was down, made up at start-up
};
struct CancelRun {  // concurrency = replace: cancel this run, a StartRun follows
  RunId id;
};
enum class SkipReason {
  still_running,  // concurrency = forbid and a run was in flight
  late,           // a later fire time had come too before this one was started
};
struct SkipRun {  // one action for a run of skipped fire times
  sys_seconds scheduled;  // the first skipped
  SkipReason reason;
  std::uint64_t count = 1;  // fire times skipped (late: those from `scheduled` to just before the latest)
};
struct MissedWhileDown {  // fire times that passed while the daemon was down (one action for all)
  sys_seconds first;
  sys_seconds last;
  std::uint64_t count;  // at most kMaxCounted; `more` when there were more
  bool more = false;
  bool caught_up = false;  // the last one runs now (a StartRun with catch_up follows)
};
struct AbandonRun {  // in flight when the daemon stopped: its call was lost with it
  RunId id;
};
}  // namespace action

using Action = std::variant<action::StartRun, action::CancelRun, action::SkipRun, action::MissedWhileDown,
                            action::AbandonRun>;

class Trigger {
public:
  static constexpr std::uint64_t kMaxCounted = 100000;

  Trigger(Schedule schedule, Concurrency concurrency, bool catch_up)
      : schedule_(std::move(schedule)), concurrency_(concurrency), catch_up_(catch_up) {}

  // Start-up (daemon start, or a deploy that adds the trigger). `records` are the trigger's
  // recorded runs (any order; ids are continued from the largest); `since` is the instant up
  // to which fire times are accounted for: the latest recorded run's fire time, or, with no
  // run yet, when the trigger was deployed (nullopt: now, nothing missed).
  std::vector<Action> resume(std::span<const RunRecord> records, std::optional<sys_seconds> since, sys_seconds now);

  // The fire times in (last one handled, now]: what to do about them.
  std::vector<Action> tick(sys_seconds now);

  // A run's call has ended (any status), or a cancel has taken effect.
  void finished(RunId id);

  // When tick() next has something to do.
  std::optional<sys_seconds> next_fire() const { return next_; }
  std::span<const RunId> running() const { return running_; }
  const Schedule& schedule() const { return schedule_; }
  Concurrency concurrency() const { return concurrency_; }

private:
  void start(sys_seconds scheduled, sys_seconds now, bool catch_up, std::vector<Action>& out);

  Schedule schedule_;
  Concurrency concurrency_;
  bool catch_up_;
  RunId next_id_ = 1;
  std::vector<RunId> running_;
  std::optional<sys_seconds> next_;  // the first fire time not yet handled
};

}  // namespace svl::schedule
