#include "orchestrator/control/function_core.hpp"

#include <algorithm>
#include <cmath>

#include "orchestrator/control/autoscaling.hpp"
#include "orchestrator/control/container_specs.hpp"
#include "orchestrator/control/idle_ladder.hpp"
#include "gateway/svl_calls.hpp"
#include "orchestrator/spec/spec_schedule.hpp"

namespace svl::control {
namespace {

double seconds_between(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

FunctionCore::FunctionCore(FunctionConfig config, std::uint64_t epoch, autoscaler::FunctionId budget_id,
                           const CoreOptions& options, TimePoint now)
    : options_(options), config_(std::move(config)), epoch_(epoch), budget_id_(budget_id), usage_(now) {
  scaler_ = make_autoscaler(config_.spec, unscheduled_min(), effective_max(), options_.tick, now);
  Steps ignored;  // windows were checked at deploy; one tzdata has lost since is logged at the next apply
  build_windows(ignored);
}

void FunctionCore::apply(FunctionConfig config, TimePoint now, Steps& out) {
  config_ = std::move(config);
  scaler_ = make_autoscaler(config_.spec, unscheduled_min(), effective_max(), options_.tick, now);
  build_windows(out);
  out.push_back(step::Route{route()});
}

void FunctionCore::build_windows(Steps& out) {
  windows_.clear();
  schedule_.reset();
  auto windows = orchestrator::capacity_windows(config_.spec.scale);
  if (!windows) {
    out.push_back(step::Log{name() + ": [[scale.schedule]] ignored: " + windows.error().message});
    return;
  }
  windows_ = std::move(*windows);
}

std::chrono::milliseconds FunctionCore::wake_estimate() const {
  constexpr auto unmeasured = std::chrono::seconds(10);
  if (slowest_wake_seconds_ <= 0) return unmeasured;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(slowest_wake_seconds_ * 1000)));
}

void FunctionCore::plan_at(schedule::sys_seconds wall) {
  if (!windows_.empty()) schedule_ = schedule::plan(windows_, wall, wake_estimate());
}

void FunctionCore::schedule(schedule::sys_seconds wall, Context& c) {
  if (windows_.empty()) return;
  const long min = effective_min(), max = effective_max();
  const bool opened = schedule_ && schedule_->in_force.window;
  plan_at(wall);
  const bool opens = schedule_->in_force.window.has_value();
  if (opens != opened)
    c.out.push_back(step::Log{name() + ": scheduled window " +
                              (opens ? std::to_string(*schedule_->in_force.window + 1) + " opened, min " +
                                           std::to_string(schedule_->in_force.min)
                                     : std::string("closed")) +
                              (config_.min_override ? " (svl scale's min " + std::to_string(*config_.min_override) +
                                                          " wins over it)"
                                                    : "")});
  if (min == effective_min() && max == effective_max() && desired_ >= static_cast<std::uint32_t>(min)) return;
  if (crash_.backing_off(c.now) || !c.runtime_ok) return;
  // Raised: started now (ready, not paused). Lowered: the policy's next tick lets them go.
  scale_to(desired_, "schedule", c);
}

gateway::FunctionRoute FunctionCore::route() const {
  gateway::FunctionRoute r;
  r.name = config_.name;
  r.container_concurrency = static_cast<std::uint32_t>(config_.spec.scale.container_concurrency);
  r.max_queue = static_cast<std::size_t>(config_.spec.scale.queue);
  r.start_timeout = config_.spec.health.start_timeout;
  r.upstream_timeout = config_.spec.http.timeout;
  r.max_body = config_.spec.http.max_body_bytes;
  r.custom_domains = config_.spec.custom_domains;
  for (const auto& cron : config_.spec.cron)
    if (cron.private_path)
      if (auto path = gateway::comparable_path(cron.path)) r.private_paths.push_back(std::move(*path));
  return r;
}

void FunctionCore::deployed(Context& c) {
  crash_.reset();
  const long initial =
      std::clamp<long>(std::max<long>(config_.spec.scale.initial, effective_min()), 0, effective_max());
  if (initial > 0 && replicas_.serving_or_starting(revision()) < initial)
    scale_to(static_cast<std::uint32_t>(initial), "deploy", c);
}

autoscaler::Load FunctionCore::scaler_load(const Load& load) const {
  return autoscaler::Load{load.concurrency_integral, load.inflight, load.queued,
                          static_cast<std::uint32_t>(replicas_.ready(revision()))};
}

void FunctionCore::decide(const autoscaler::FunctionDecision& d) {
  panic_ = d.panic;
  idle_tier_ = d.idle_tier;
  keep_alive_plan_ = d.keep_alive_plan;
  // A function never invoked has nothing to learn from: keep its container (a fast start).
  if (d.idle_reason == autoscaler::KeepAliveReason::never_invoked && idle_tier_ == Tier::removed)
    idle_tier_ = Tier::stopped;
}

void FunctionCore::demand(Context& c) {
  if (crash_.backing_off(c.now)) {
    c.out.push_back(step::FailHeld{name(), step::HeldFailure::crash_loop, failure_.message});
    return;
  }
  if (!c.runtime_ok) {
    c.out.push_back(step::FailHeld{name(), step::HeldFailure::runtime_unavailable, "function " + name() + " cannot be woken: Docker is unavailable"});
    return;
  }
  auto d = scaler_->on_demand(c.now, scaler_load(c.load));
  decide(d);
  scale_to(std::max<std::uint32_t>(d.desired_ready, 1), autoscaler::to_string(d.scale_reason), c);
}

void FunctionCore::timer(Context& c) {
  if (crash_.backing_off(c.now)) return;
  if (c.load.queued > 0 || c.now >= scale_out_after_) scale_to(std::max<std::uint32_t>(desired_, c.load.queued > 0 ? 1 : 0), "timer", c);
}

bool FunctionCore::first_wake_in_flight() const {
  if (replicas_.ready(revision()) > 0) return false;
  return std::any_of(replicas_.slots().begin(), replicas_.slots().end(),
                     [&](const Slot& s) { return s.waking && !s.prewarm && s.revision == revision(); });
}

void FunctionCore::scale_to(std::uint32_t desired, std::string_view reason, Context& c) {
  // The schedule's min is applied here, over the policy's decisions (its own bound is unscheduled_min()).
  if (static_cast<long>(desired) < effective_min() && effective_min() > unscheduled_min()) reason = "schedule";
  desired = static_cast<std::uint32_t>(std::clamp<long>(desired, effective_min(), std::max<long>(effective_max(), 1)));
  if (desired != desired_) {
    c.out.push_back(step::ScaleEvent{name(), desired > desired_, std::string(reason)});
    desired_ = desired;
  }
  last_reason_ = std::string(reason);
  for (int i = replicas_.serving_or_starting(revision()); i < static_cast<int>(desired); ++i) {
    auto plan = replicas_.plan_wake(revision(), config_.spec.port);
    if (plan.wait) break;  // the transition's end wakes it (idle_move_done)
    // A burst from zero: more wakes would crowd dockerd while the first is under way and slow
    // the first answer. They follow once it is ready (became_ready scales again).
    if (first_wake_in_flight()) break;
    if (c.now < scale_out_after_) break;  // the burst_settle timer asks again
    // Past the memory budget, idle replicas of others make room; if they cannot, the first
    // replica still starts (a request waits for it), further ones do not.
    if (plan.from != Tier::paused && c.memory &&
        !c.memory->make_room(*this, config_.spec.resources.memory_bytes, true, c.now, c.out) && i > 0)
      break;
    begin_wake(plan, c);
  }
  // Scale down only ready replicas; never below what the current revision needs. Old-revision
  // replicas leave once the current revision serves.
  int ready_current = replicas_.ready(revision());
  int ready_old = 0;
  for (const auto& s : replicas_.slots())
    if (s.phase == Phase::ready && s.revision != revision()) ++ready_old;
  const int excess = (ready_current > 0 ? ready_old : 0) + std::max(0, ready_current - static_cast<int>(desired));
  for (int i = 0; i < excess; ++i) {
    auto victim = replicas_.plan_retire(revision());
    if (!victim) break;
    Slot* s = replicas_.find_slot(*victim);
    if (s->revision == revision() && ready_current <= static_cast<int>(desired)) break;
    if (s->revision == revision()) --ready_current;
    retire(*s, c);
  }
}

Op FunctionCore::begin_op(Slot& s) {
  s.busy = true;
  return Op{name(), epoch_, s.index, ++s.generation};
}

void FunctionCore::begin_wake(WakePlan plan, Context& c) {
  Slot& s = plan.slot < 0 ? replicas_.add_slot(config_.spec.port) : *replicas_.find_slot(plan.slot);
  s.waking = true;
  s.prewarm = false;
  s.wake_from = plan.slot < 0 ? Tier::removed : plan.from;
  s.wake_started = c.now;
  if (s.phase == Phase::removed) s.revision = revision();
  advance_wake(s, c);
}

// The next step of a wake, from wherever the slot is now.
void FunctionCore::advance_wake(Slot& s, Context& c) {
  s.phase_since = c.now;
  if (s.sandbox == SandboxState::none) {
    s.sandbox = SandboxState::creating;
    c.out.push_back(step::CreateSandbox{begin_op(s), sandbox_spec_for(config_, options_, s)});
    return;
  }
  switch (s.phase) {
    case Phase::paused:
      s.phase = Phase::starting;
      c.out.push_back(step::Unpause{begin_op(s), s.replica_id});
      return;
    case Phase::stopped:
      s.phase = Phase::starting;
      c.out.push_back(step::Start{begin_op(s), s.replica_id});
      return;
    case Phase::removed:
      s.phase = Phase::creating;
      s.revision = revision();
      c.out.push_back(step::CreateReplica{begin_op(s), replica_spec_for(config_, options_, s)});
      return;
    case Phase::stopping:
      // A stop may wait out the app's whole grace (an app that ignores SIGTERM): a request
      // does not. Kill it, then start it again. The stop's own outcome is stale from here on.
      s.phase = Phase::killing;
      c.out.push_back(step::Kill{begin_op(s), s.replica_id});
      return;
    default:
      return;  // in flight already
  }
}

void FunctionCore::became_ready(Slot& s, Context& c) {
  s.phase = Phase::ready;
  s.phase_since = c.now;
  s.busy = false;
  const bool was_wake = s.waking;
  s.waking = false;
  crash_.succeeded();
  failure_.current = false;
  proven_revision_ = std::max(proven_revision_, s.revision);
  if (failure_.revision == s.revision) failure_.revision = 0;
  c.out.push_back(step::NotReady{name(), ""});
  c.out.push_back(step::Serve{name(), endpoint(s)});
  if (was_wake) {
    const double secs = seconds_between(s.wake_started, c.now);
    c.out.push_back(step::ColdStart{name(), s.wake_from, secs});
    last_cold_start_ = ColdStartRecord{s.wake_from, secs};
    if (s.wake_from != Tier::paused) slowest_wake_seconds_ = std::max(slowest_wake_seconds_, secs);
    usage_.cold_start(s.wake_from);
    if (c.memory && s.wake_from != Tier::paused) c.memory->cold_start_measured(*this, secs);
    // A cheap wake whose replica takes the whole held burst (the Serve above releases it to this
    // replica unless container_concurrency caps it): let that burst be answered before more wakes
    // crowd dockerd and the CPUs; they follow after burst_settle if still wanted. The load was
    // read before Serve ran, so what is queued now is what the replica is about to take.
    const auto cap = static_cast<std::size_t>(config_.spec.scale.container_concurrency);
    const bool takes_burst = cap == 0 || c.load.queued <= cap;
    if ((s.wake_from == Tier::paused || s.wake_from == Tier::stopped) && takes_burst &&
        desired_ > static_cast<std::uint32_t>(replicas_.serving_or_starting(revision()))) {
      scale_out_after_ = c.now + options_.burst_settle;
      c.out.push_back(step::Timer{name(), scale_out_after_});
    }
  }
  // A new revision serving: the old one's idle replicas are removed, its ready ones drained.
  scale_to(std::max<std::uint32_t>(desired_, 1), "revision_ready", c);
  for (auto& other : replicas_.slots())
    if (other.revision != revision() && !other.busy && (other.phase == Phase::paused || other.phase == Phase::stopped))
      move_idle(other, Tier::removed, c);
}

void FunctionCore::retire(Slot& s, Context& c) {
  s.phase = Phase::draining;
  s.phase_since = c.now;
  s.busy = true;
  ++s.generation;
  c.out.push_back(step::Drain{name(), s.replica_id});
}

void FunctionCore::drained(const std::string& replica_id, Context& c) {
  Slot* s = replicas_.find_by_container(replica_id);
  if (!s || s->phase != Phase::draining) return;
  c.out.push_back(step::Unserve{name(), replica_id});
  if (s->waking) {  // a restart: its wake goes on with a kill; the container and its sandbox stay
    s->phase = Phase::stopping;
    return advance_wake(*s, c);
  }
  const Tier tier = drained_tier(replicas_, s->revision != revision(), idle_tier_);
  s->busy = false;
  s->phase = Phase::ready;  // a move that fails (the runtime away) puts it back into service
  move_idle(*s, tier, c);
}

void FunctionCore::restart(Context& c) {
  for (auto& s : replicas_.slots())
    if (s.phase == Phase::ready && !s.busy && s.revision == revision()) {
      // Reserved for its own wake from now (a draining slot that is waking is a restart): a
      // request meanwhile waits for it, not a new slot.
      s.waking = true;
      s.wake_from = Tier::stopped;
      s.wake_started = c.now;
      retire(s, c);
    }
}

void FunctionCore::unreachable(const std::string& replica_id, Context& c) {
  Slot* s = replicas_.find_by_container(replica_id);
  if (!s || s->phase != Phase::ready || s->busy) return;
  // The runtime reports a death; an unreachable replica that still runs is taken out of
  // rotation and probed again.
  c.out.push_back(step::Unserve{name(), replica_id});
  s->phase = Phase::starting;
  s->prewarm = false;
  c.out.push_back(step::Probe{begin_op(*s), endpoint(*s), config_.spec.health.path, c.now + config_.spec.health.start_timeout});
}

void FunctionCore::move_idle(Slot& s, Tier tier, Context& c) {
  rest_before_[s.index] = s.phase;
  s.phase_since = c.now;
  switch (tier) {
    case Tier::warm:
    case Tier::paused:
      if (s.phase == Phase::stopped) {  // pre-warm: start, prove ready, then freeze
        s.phase = Phase::starting;
        s.prewarm = true;
        s.waking = true;
        s.wake_started = c.now;
        c.out.push_back(step::Start{begin_op(s), s.replica_id});
      } else {
        s.phase = Phase::pausing;
        c.out.push_back(step::Pause{begin_op(s), s.replica_id});
      }
      return;
    case Tier::stopped: {
      const bool paused = s.phase == Phase::paused;
      s.phase = Phase::stopping;
      s.prewarm = s.waking = false;
      c.out.push_back(step::Stop{begin_op(s), s.replica_id, paused, options_.stop_grace});
      return;
    }
    case Tier::removed:
      s.phase = Phase::removing;
      s.prewarm = s.waking = false;
      c.out.push_back(step::Remove{begin_op(s), {s.replica_id}});
      return;
  }
}

void FunctionCore::idle_move_done(Slot& s, Phase phase, Context& c) {
  s.phase = phase;
  s.phase_since = c.now;
  s.busy = false;
  s.prewarm = false;
  if (phase != Phase::starting) s.waking = false;
  rest_before_.erase(s.index);
  // A drained replica that could not be moved (the runtime away) still runs: serve with it.
  if (phase == Phase::ready) c.out.push_back(step::Serve{name(), endpoint(s)});
  // A request that arrived mid-transition waited for it: wake now.
  if (c.load.queued > 0) scale_to(std::max<std::uint32_t>(desired_, 1), "after_transition", c);
}

void FunctionCore::remove_slot(Slot& s, Context& c) {
  auto op = begin_op(s);
  c.out.push_back(step::Remove{op, {s.replica_id, s.sandbox_id}, true});
}

void FunctionCore::evict(Context& c) {
  c.out.push_back(step::Log{"memory budget: stopping the idle replicas of " + name() + " to make room"});
  c.out.push_back(step::ScaleEvent{name(), false, "memory_budget"});
  scaler_->on_evicted(c.now);  // its policy keeps it unloaded until it is called again
  idle_tier_ = Tier::stopped;
  desired_ = 0;
  for (auto& s : replicas_.slots()) {
    if (s.busy) continue;
    if (s.phase == Phase::paused) move_idle(s, Tier::stopped, c);
    else if (s.phase == Phase::ready) retire(s, c);  // drained, then stopped
  }
}

FunctionCore::TickReport FunctionCore::tick(Context& c) {
  const auto counts = replicas_.counts();
  TickReport report;
  report.container_seconds =
      usage_.account(c.now, counts.ready + counts.starting + counts.draining, config_.spec.resources.memory_bytes);
  const std::uint64_t new_requests = c.load.requests_total - std::min(c.load.requests_total, requests_seen_);
  requests_seen_ = c.load.requests_total;
  report.new_requests = new_requests;
  usage_.requests(new_requests);
  // The policy learns which minutes see calls (cron-like functions are pre-warmed for them).
  if (new_requests > 0) scaler_->on_arrivals(c.now);
  // Requests that started and finished between two ticks are invisible in the sampled load.
  if (new_requests > 0 && c.load.inflight + c.load.queued == 0) {
    auto at = std::min<TimePoint>(c.now, c.load.last_request_end);
    scaler_->on_invocation_start(at);
    scaler_->on_invocation_end(at);
  }
  std::vector<int> unfinished;  // removals of slots that failed: again
  for (const auto& s : replicas_.slots())
    if (s.sandbox == SandboxState::removing && !s.busy) unfinished.push_back(s.index);
  for (int index : unfinished) remove_slot(*replicas_.find_slot(index), c);
  if (crash_.backing_off(c.now) || !c.runtime_ok) return report;
  auto d = scaler_->on_tick(c.now, scaler_load(c.load));
  decide(d);
  scale_to(d.desired_ready, d.desired_ready == 0 ? autoscaler::to_string(d.idle_reason) : autoscaler::to_string(d.scale_reason), c);
  apply_idle_tier(c);
  trim_idle_slots(c);
  return report;
}

void FunctionCore::apply_idle_tier(Context& c) {
  const auto fits = [&] {
    return !c.memory || c.memory->make_room(*this, config_.spec.resources.memory_bytes, false, c.now, c.out);
  };
  for (const auto& m : plan_idle_moves(replicas_, revision(), idle_tier_, fits)) move_idle(*replicas_.find_slot(m.slot), m.to, c);
}

void FunctionCore::trim_idle_slots(Context& c) {
  for (int index : plan_slot_trim(replicas_, effective_min(), c.now, options_.idle_slot_ttl, options_.sandbox_pool)) {
    Slot* s = replicas_.find_slot(index);
    s->sandbox = SandboxState::removing;
    remove_slot(*s, c);
  }
}

int FunctionCore::replicas_holding_memory() const {
  return static_cast<int>(std::count_if(replicas_.slots().begin(), replicas_.slots().end(), [](const Slot& s) {
    return s.waking || s.phase == Phase::starting || s.phase == Phase::ready || s.phase == Phase::draining ||
           s.phase == Phase::pausing || s.phase == Phase::paused;
  }));
}

bool FunctionCore::evictable(const Load& load) const {
  bool holds = false, moving = false;
  for (const auto& s : replicas_.slots()) {
    holds |= s.phase == Phase::ready || s.phase == Phase::paused;
    moving |= s.busy || s.waking;
  }
  return holds && !moving && load.inflight + load.queued == 0 && effective_min() == 0;
}

std::vector<std::string> FunctionCore::container_ids() const {
  std::vector<std::string> ids;
  for (const auto& s : replicas_.slots()) {
    if (!s.replica_id.empty()) ids.push_back(s.replica_id);
    if (!s.sandbox_id.empty()) ids.push_back(s.sandbox_id);
  }
  return ids;
}

void FunctionCore::adopt_sandbox(int slot, std::string id, int port, Reach reach, TimePoint now) {
  Slot s;
  s.index = slot;
  s.sandbox_id = std::move(id);
  s.container_port = port;
  s.reach = std::move(reach);
  s.sandbox = SandboxState::ready;
  s.phase_since = now;
  replicas_.slots().push_back(std::move(s));
}

void FunctionCore::adopt_replica(int slot, std::string id, long revision, Phase phase, TimePoint now, Steps& out) {
  Slot* s = replicas_.find_slot(slot);
  if (!s) return;
  s->replica_id = std::move(id);
  s->revision = revision;
  s->phase = phase;
  s->phase_since = now;
  // A running replica was serving when the previous daemon died: serve with it at once (the
  // gateway retries elsewhere if its connection fails before a byte is sent).
  if (phase == Phase::ready) out.push_back(step::Serve{name(), endpoint(*s)});
  // One that was being stopped finishes now: its grace was running out anyway.
  if (phase == Phase::stopping) {
    s->phase = Phase::killing;
    out.push_back(step::Kill{begin_op(*s), s->replica_id});
  }
}

gateway::ReplicaEndpoint FunctionCore::endpoint(const Slot& s) const {
  if (!s.reach.netns.empty())
    return gateway::ReplicaEndpoint{s.replica_id, "127.0.0.1", static_cast<std::uint16_t>(s.container_port),
                                    s.reach.netns, s.reach.netns_inode};
  return gateway::ReplicaEndpoint{s.replica_id, options_.gateway_host, s.reach.host_port};
}

}  // namespace svl::control
