#include "autoscaler/portfolio_policy.hpp"

#include <cassert>
#include <cmath>

namespace svl::autoscaler {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

bool cold(Tier t) { return t == Tier::stopped || t == Tier::removed; }

}  // namespace

PortfolioPolicy::PortfolioPolicy(std::vector<PortfolioCandidate> candidates, PortfolioConfig config)
    : config_(std::move(config)) {
  assert(!candidates.empty());
  entries_.reserve(candidates.size());
  for (auto& c : candidates) entries_.push_back(Entry{std::move(c.label), std::move(c.policy)});
}

void PortfolioPolicy::replay(Entry& e, TimePoint to) {
  if (e.policy->busy() || !e.policy->idle_since()) return;
  while (e.replayed < to) {
    const KeepAliveDecision d = e.policy->decide(e.replayed);
    TimePoint next = to;
    if (d.next_transition && *d.next_transition > e.replayed && *d.next_transition < to) next = *d.next_transition;
    if (holds_memory(d.tier)) e.held_s += seconds(next - e.replayed);
    e.replayed = next;
  }
}

void PortfolioPolicy::replay_all(TimePoint to) {
  for (auto& e : entries_) replay(e, to);
}

void PortfolioPolicy::on_arrival(TimePoint now) {
  // Candidates that learn from arrivals must not see this one while their past is replayed.
  replay_all(now);
  for (auto& e : entries_) e.policy->on_arrival(now);
}

void PortfolioPolicy::on_busy(TimePoint now) {
  if (busy()) return;
  if (idle_since() && now >= *idle_since()) {
    replay_all(now);
    const double breakeven = config_.breakeven_s ? config_.breakeven_s() : 0;
    const double keep =
        last_scored_ ? std::exp2(-seconds(now - *last_scored_) / std::max(1.0, seconds(config_.half_life))) : 1;
    for (auto& e : entries_) {
      const bool was_cold = cold(e.policy->decide(now).tier);
      e.record = e.record * keep + e.held_s + (was_cold ? breakeven : 0);
      e.held_s = 0;
    }
    last_scored_ = now;
  }
  for (auto& e : entries_) e.policy->on_busy(now);
  KeepAlivePolicy::on_busy(now);
}

void PortfolioPolicy::on_idle(TimePoint now) {
  if (!busy()) return;
  for (auto& e : entries_) {
    e.policy->on_idle(now);
    e.replayed = now;
    e.held_s = 0;
  }
  leader_ = 0;
  for (std::size_t i = 1; i < entries_.size(); ++i)
    if (entries_[i].record < entries_[leader_].record) leader_ = i;
  KeepAlivePolicy::on_idle(now);
}

void PortfolioPolicy::on_evicted(TimePoint now) {
  // The real replica is gone, so the candidate it followed is replayed as evicted too.
  if (!busy()) {
    replay(entries_[leader_], now);
    entries_[leader_].policy->on_evicted(now);
  }
  KeepAlivePolicy::on_evicted(now);
}

IdleSchedule PortfolioPolicy::leader_schedule() const {
  const Entry& l = entries_[leader_];
  IdleSchedule s = l.policy->schedule();
  if (!l.label.empty()) s.rule = "following " + l.label + ": " + s.rule;
  return s;
}

IdleSchedule PortfolioPolicy::plan(TimePoint) { return leader_schedule(); }

std::optional<IdleSchedule> PortfolioPolicy::plan_more(TimePoint, TimePoint now) {
  // Only the leader's plan is needed now; the others are replayed when a call arrives.
  replay(entries_[leader_], now);
  entries_[leader_].policy->decide(now);  // lets the leader extend its own plan at `now`
  return leader_schedule();               // decide() ignores it when it has no window ahead
}

}  // namespace svl::autoscaler
