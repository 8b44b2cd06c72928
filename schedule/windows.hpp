#pragma once
// Scheduled capacity ([[scale.schedule]]): windows that keep `min` replicas ready on a
// timetable. A window is open from its most recent start until the next end after it, so
// one already open at deploy or daemon start is in force at once. Where windows overlap,
// the one with the highest min is in force (the first in the file on a tie), and its max,
// if it sets one, replaces the function's. Pure: `now` is passed in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "schedule/zoned.hpp"

namespace svl::schedule {

struct Window {
  Schedule start;
  Schedule end;
  std::int64_t min = 0;
  std::optional<std::int64_t> max;
};

struct WindowState {
  bool open = false;
  std::optional<sys_seconds> opened_at;  // open: its most recent start
  std::optional<sys_seconds> change_at;  // open: the next end; closed: the next start
};
WindowState window_state(const Window& window, sys_seconds now);

struct InForce {
  std::optional<std::size_t> window;  // index of the window in force; nullopt: none is open
  std::int64_t min = 0;               // its min; 0 when none is open (the function's own applies)
  std::optional<std::int64_t> max;    // its max, when it sets one
  std::optional<sys_seconds> since;   // when it opened
  // The next instant at which the window in force, its min or its max changes (a start or
  // end that changes nothing is passed over); nullopt when nothing changes for 64 events.
  std::optional<sys_seconds> next_change;

  bool same_capacity(const InForce& o) const { return window == o.window && min == o.min && max == o.max; }
};
InForce in_force(std::span<const Window> windows, sys_seconds now);

// Replicas for a window must be started ahead of its start, by the function's measured
// wake time plus a margin, so that they are ready at the start.
inline constexpr std::chrono::milliseconds kDefaultLeadMargin = std::chrono::seconds(5);

struct Lead {
  std::chrono::seconds lead{0};           // wake estimate + margin, rounded up to whole seconds
  std::optional<sys_seconds> starts_at;   // the next change that raises min above the min in force now
  std::optional<sys_seconds> begin_at;    // starts_at - lead: when to start the replicas for it
  std::optional<std::size_t> window;      // the window in force from starts_at
  std::int64_t min = 0;                   // its min
  bool in_lead = false;                   // begin_at <= now < starts_at: keep `min` ready already
};
Lead lead_for(std::span<const Window> windows, sys_seconds now, std::chrono::milliseconds wake_estimate,
              std::chrono::milliseconds margin = kDefaultLeadMargin);

// Everything the control core needs at `now`, in one call.
struct Plan {
  InForce in_force;
  Lead lead;
  std::int64_t ready_min = 0;             // replicas to keep ready now: in force, or ahead of a start
  std::optional<sys_seconds> next_wake;   // look again then: the next change or lead, whichever first
};
Plan plan(std::span<const Window> windows, sys_seconds now, std::chrono::milliseconds wake_estimate,
          std::chrono::milliseconds margin = kDefaultLeadMargin);

}  // namespace svl::schedule
