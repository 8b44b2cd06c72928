#include "schedule/windows.hpp"

#include <algorithm>

namespace svl::schedule {
namespace {

using namespace std::chrono;

constexpr int kMaxEvents = 64;

// The window in force at now, without looking ahead.
InForce pick(std::span<const Window> windows, sys_seconds now, std::optional<sys_seconds>* next_event) {
  InForce out;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const WindowState s = window_state(windows[i], now);
    if (next_event && s.change_at && (!*next_event || *s.change_at < **next_event)) *next_event = s.change_at;
    if (!s.open) continue;
    if (!out.window || windows[i].min > out.min) {
      out.window = i;
      out.min = windows[i].min;
      out.max = windows[i].max;
      out.since = s.opened_at;
    }
  }
  return out;
}

// The first event after now at which the capacity in force differs from `current`, with
// what is in force then.
std::optional<std::pair<sys_seconds, InForce>> next_change(std::span<const Window> windows, sys_seconds now,
                                                            const InForce& current) {
  sys_seconds t = now;
  for (int i = 0; i < kMaxEvents; ++i) {
    std::optional<sys_seconds> event;
    pick(windows, t, &event);
    if (!event) return std::nullopt;
    const InForce then = pick(windows, *event, nullptr);
    if (!then.same_capacity(current)) return std::pair{*event, then};
    t = *event;
  }
  return std::nullopt;
}

}  // namespace

WindowState window_state(const Window& window, sys_seconds now) {
  WindowState out;
  const auto started = window.start.prev(now);
  const auto ended = window.end.prev(now);
  // Open from the most recent start until the next end strictly after it.
  out.open = started && (!ended || *ended <= *started);
  if (out.open) {
    out.opened_at = started;
    out.change_at = window.end.next(now);
  } else {
    out.change_at = window.start.next(now);
  }
  return out;
}

InForce in_force(std::span<const Window> windows, sys_seconds now) {
  InForce out = pick(windows, now, nullptr);
  if (auto change = next_change(windows, now, out)) out.next_change = change->first;
  return out;
}

Lead lead_for(std::span<const Window> windows, sys_seconds now, milliseconds wake_estimate, milliseconds margin) {
  Lead out;
  out.lead = ceil<seconds>(std::max(wake_estimate, milliseconds{0}) + std::max(margin, milliseconds{0}));
  const InForce current = pick(windows, now, nullptr);
  sys_seconds t = now;
  for (int i = 0; i < kMaxEvents; ++i) {
    auto change = next_change(windows, t, pick(windows, t, nullptr));
    if (!change) break;
    if (change->second.min > current.min) {
      out.starts_at = change->first;
      out.begin_at = change->first - out.lead;
      out.window = change->second.window;
      out.min = change->second.min;
      out.in_lead = *out.begin_at <= now;
      break;
    }
    t = change->first;
  }
  return out;
}

Plan plan(std::span<const Window> windows, sys_seconds now, milliseconds wake_estimate, milliseconds margin) {
  Plan out;
  out.in_force = in_force(windows, now);
  out.lead = lead_for(windows, now, wake_estimate, margin);
  out.ready_min = out.lead.in_lead ? std::max(out.in_force.min, out.lead.min) : out.in_force.min;
  out.next_wake = out.in_force.next_change;
  if (out.lead.begin_at && *out.lead.begin_at > now && (!out.next_wake || *out.lead.begin_at < *out.next_wake))
    out.next_wake = out.lead.begin_at;
  return out;
}

}  // namespace svl::schedule
