#include "autoscaler/keepalive.hpp"

#include <algorithm>

#include "common/units.hpp"

namespace svl::autoscaler {

std::string_view to_string(Tier t) {
  switch (t) {
    case Tier::warm: return "warm";
    case Tier::paused: return "paused";
    case Tier::stopped: return "stopped";
    case Tier::removed: return "removed";
  }
  return "unknown";
}

bool holds_memory(Tier t) { return t == Tier::warm || t == Tier::paused; }

std::string_view to_string(KeepAliveReason r) {
  switch (r) {
    case KeepAliveReason::never_invoked: return "never_invoked";
    case KeepAliveReason::busy: return "busy";
    case KeepAliveReason::keep_alive: return "keep_alive";
    case KeepAliveReason::pause_after: return "pause_after";
    case KeepAliveReason::idle_timeout: return "idle_timeout";
    case KeepAliveReason::prewarm_wait: return "prewarm_wait";
    case KeepAliveReason::prewarmed: return "prewarmed";
    case KeepAliveReason::retention_expired: return "retention_expired";
    case KeepAliveReason::evicted: return "evicted";
  }
  return "unknown";
}

namespace {

// Keeps the offsets ordered whatever a policy returns.
void normalise(IdleSchedule& s) {
  s.keep_until = std::max(s.keep_until, Duration::zero());
  if (s.prewarm_until <= s.prewarm_at || s.prewarm_until <= s.keep_until) {
    s.prewarm_at = s.prewarm_until = s.keep_until;  // no (useful) pre-warm
  } else if (s.prewarm_at <= s.keep_until) {
    s.keep_until = s.prewarm_until;  // the windows touch: one window
    s.prewarm_at = s.prewarm_until = s.keep_until;
  }
  s.remove_at = std::max(s.remove_at, s.prewarm_until);
}

}  // namespace

void KeepAlivePolicy::cap(IdleSchedule& s) const {
  if (!new_cap_ || idle_times_ >= new_cap_->idle_times) return;
  const Duration limit = new_cap_->keep;
  const Duration loaded_end = std::max(s.keep_until, s.prewarm_until);
  if (loaded_end <= limit) return;
  s.keep_until = std::min(s.keep_until, limit);
  if (s.prewarm_at >= limit) s.prewarm_at = s.prewarm_until = s.keep_until;
  s.prewarm_until = std::min(s.prewarm_until, limit);
  s.remove_at -= loaded_end - std::max(s.keep_until, s.prewarm_until);  // the same retention once stopped
  s.rule += "; new function: stopped by " +
            format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(limit));
}

void KeepAlivePolicy::on_busy(TimePoint now) {
  if (busy_) return;
  if (idle_since_ && now >= *idle_since_) {
    learn(now - *idle_since_);
    ++idle_times_;
  }
  busy_ = true;
  evicted_ = false;
}

void KeepAlivePolicy::on_idle(TimePoint now) {
  if (!busy_) return;
  busy_ = false;
  evicted_ = false;
  idle_since_ = now;
  planned_all_ = false;
  schedule_ = plan(now);
  normalise(schedule_);
  cap(schedule_);
  normalise(schedule_);
}

void KeepAlivePolicy::on_evicted(TimePoint) {
  if (!busy_) evicted_ = true;
}

KeepAliveDecision KeepAlivePolicy::decide(TimePoint now) {
  KeepAliveDecision d;
  if (busy_) {
    d.tier = Tier::warm;
    d.reason = KeepAliveReason::busy;
    return d;
  }
  if (!idle_since_) {
    d.tier = Tier::removed;
    d.reason = KeepAliveReason::never_invoked;
    return d;
  }
  const TimePoint t0 = *idle_since_;
  const Duration elapsed = now - t0;
  if (!evicted_ && !planned_all_ && elapsed >= std::max(schedule_.keep_until, schedule_.prewarm_until)) {
    auto more = plan_more(t0, now);
    if (more) cap(*more);
    if (more && more->prewarm_until > elapsed) {
      more->keep_until = std::min(more->keep_until, elapsed);
      if (more->prewarm_at < elapsed) more->prewarm_at = elapsed;
      normalise(*more);
      schedule_ = *more;
    } else {
      planned_all_ = true;
    }
  }
  const IdleSchedule& s = schedule_;
  d.detail = s.rule;
  const bool has_prewarm = s.prewarm_until > s.prewarm_at;
  if (evicted_) {
    d.reason = KeepAliveReason::evicted;
    if (elapsed < s.remove_at) {
      d.tier = Tier::stopped;
      d.next_transition = t0 + s.remove_at;
    } else {
      d.tier = Tier::removed;
    }
    return d;
  }
  if (elapsed < s.keep_until) {
    d.next_transition = t0 + s.keep_until;
    if (s.pause_at && elapsed >= *s.pause_at) {
      d.tier = Tier::paused;
      d.reason = KeepAliveReason::pause_after;
    } else {
      d.tier = Tier::warm;
      d.reason = KeepAliveReason::keep_alive;
      if (s.pause_at && *s.pause_at < s.keep_until) d.next_transition = t0 + *s.pause_at;
    }
    return d;
  }
  if (has_prewarm && elapsed < s.prewarm_at) {
    d.tier = Tier::stopped;
    d.reason = KeepAliveReason::prewarm_wait;
    d.next_transition = t0 + s.prewarm_at;
    d.prewarm_at = t0 + s.prewarm_at;
    return d;
  }
  if (has_prewarm && elapsed < s.prewarm_until) {
    d.tier = s.prewarm_paused ? Tier::paused : Tier::warm;
    d.reason = KeepAliveReason::prewarmed;
    d.next_transition = t0 + s.prewarm_until;
    return d;
  }
  if (elapsed < s.remove_at) {
    d.tier = Tier::stopped;
    d.reason = KeepAliveReason::idle_timeout;
    d.next_transition = t0 + s.remove_at;
    return d;
  }
  d.tier = Tier::removed;
  d.reason = KeepAliveReason::retention_expired;
  return d;
}

IdleSchedule FixedPolicy::plan(TimePoint) {
  IdleSchedule s;
  s.pause_at = config_.pause_after;
  s.keep_until = config_.idle_timeout;
  s.remove_at = config_.idle_timeout + config_.stopped_retention;
  s.rule = "fixed idle_timeout=" +
           format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(config_.idle_timeout));
  return s;
}

}  // namespace svl::autoscaler
