#include "orchestrator/daemon/controller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <array>
#include <cmath>
#include <utility>
#include <iostream>

#include "orchestrator/daemon/autoscaling.hpp"
#include "orchestrator/daemon/names.hpp"
#include "orchestrator/docker/async_asio.hpp"
#include "orchestrator/spec/spec_json.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

// Every Docker call's lambda is a named local before it is co_awaited: GCC 12 miscompiles
// non-trivial temporaries inside a co_await expression (they are copied bitwise and destroyed
// twice), which corrupted the heap here.

namespace {

void log(const std::string& line) { std::clog << "svl: " << line << std::endl; }

double seconds_between(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }

// Consecutive start failures tolerated before a function backs off.
constexpr int kFailuresBeforeBackoff = 3;
constexpr auto kMaxBackoff = 60s;

}  // namespace

struct Controller::FunctionState {
  std::string name;
  std::uint64_t epoch = 0;
  long revision = 0;           // current revision (registry)
  long proven_revision = 0;    // last revision that ever became ready
  FunctionSpec spec;
  std::string image;
  std::optional<long> min_override, max_override;
  ReplicaSet replicas;
  std::unique_ptr<autoscaler::FunctionAutoscaler> scaler;
  std::uint32_t desired = 0;
  bool panic = false;
  autoscaler::Tier idle_tier = autoscaler::Tier::stopped;  // from the latest decision
  std::string last_reason;
  std::string keep_alive_plan;  // the keep-alive policy's plan for the current idle period
  // Crash loop.
  int consecutive_failures = 0;
  TimePoint backoff_until{};
  std::string failure;          // why the last start failed, shown to held requests and `svl up`
  long failed_revision = 0;
  std::string failure_logs;
  TimePoint failure_at{};
  bool failure_current = false;  // no replica has become ready since `failure`
  int failure_logs_pending = 0;  // log tails still being read: wait_ready reports them, not a blank
  // Cold starts.
  std::optional<std::pair<std::string, double>> last_cold_start;  // tier, seconds
  TimePoint last_cold_start_at{};
  // Usage.
  std::uint64_t requests_seen = 0;
  double pending_container_seconds = 0, pending_gb_seconds = 0;
  std::uint64_t pending_requests = 0;
  std::array<std::int64_t, 3> pending_cold_starts{};  // paused, stopped, removed
  TimePoint last_accounted{};
  TimePoint scale_out_after{};  // burst_settle after a cheap wake
  autoscaler::FunctionId budget_id = 0;

  long effective_min() const { return min_override.value_or(spec.scale.min); }
  long effective_max() const { return max_override.value_or(spec.scale.max); }
};

Controller::Controller(asio::io_context& ctl, ControllerOptions options, Registry& registry,
                       docker::AsyncClient& docker, gateway::Gateway& gateway, Metrics& metrics, const Clock& clock)
    : ctl_(ctl),
      options_(std::move(options)),
      registry_(registry),
      docker_(docker),
      gateway_(gateway),
      metrics_(metrics),
      clock_(clock),
      tick_timer_(ctl) {
  if (options_.memory_budget) budget_.emplace(*options_.memory_budget);
}

Controller::~Controller() { stop(); }

Controller::FunctionState* Controller::find(const std::string& name) {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}
const Controller::FunctionState* Controller::find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------------------------------------
// Start-up: sandbox image, registry, adoption, events, tick.

awaitable<void> Controller::start() {
  co_await ensure_sandbox_image();
  auto records = registry_.list_functions();
  if (!records) throw std::runtime_error("registry: " + records.error().message);
  for (const auto& record : *records) load_function(record);
  co_await adopt();
  docker::EventWatcherOptions watch;
  watch.client = options_.docker;
  watch.filter.labels = {std::string(names::instance) + "=" + options_.instance};
  events_ = std::make_unique<docker::EventWatcher>(
      watch, [this](const docker::Event& e) { asio::post(ctl_, [this, e] { on_docker_event(e); }); },
      [this](bool reconnect) {
        if (!reconnect) return;
        asio::post(ctl_, [this] {
          metrics_.events_reconnect();
          docker_ok_ = true;
          log("Docker events stream reconnected; resynchronising");
          asio::co_spawn(ctl_, adopt(), asio::detached);
        });
      },
      [this](const docker::Error& error) { asio::post(ctl_, [this, error] { docker_failed(error); }); });
  asio::co_spawn(ctl_, tick_loop(), asio::detached);
}

void Controller::stop() {
  stopping_ = true;
  tick_timer_.cancel();
  if (events_) events_->stop();
  events_.reset();
}

awaitable<void> Controller::ensure_sandbox_image() {
  auto inspect = [image = options_.sandbox_image](docker::Client& c) { return c.inspect_image(image); };
  auto found = co_await docker::async_call(docker_, inspect, use_awaitable);
  if (found) co_return;
  throw std::runtime_error("sandbox image " + options_.sandbox_image + " is missing: " + found.error().describe());
}

void Controller::load_function(const FunctionRecord& record) {
  auto state = std::make_unique<FunctionState>();
  state->name = record.name;
  state->epoch = next_epoch_++;
  state->min_override = record.min_override;
  state->max_override = record.max_override;
  state->last_accounted = clock_.now();
  state->budget_id = next_budget_id_++;
  auto* f = state.get();
  functions_[record.name] = std::move(state);
  metrics_.register_function(record.name);
  apply_revision(*f, record.current);
  f->proven_revision = record.current.number;  // it was current before: it served once
}

void Controller::apply_revision(FunctionState& f, const Revision& rev) {
  f.revision = rev.number;
  f.spec = rev.spec;
  f.image = rev.image_id;
  f.scaler = make_autoscaler(f.spec, f.effective_min(), f.effective_max(), options_.tick, clock_.now());
  gateway_.upsert_function(route_of(f));
  if (budget_) budget_->set_function(f.budget_id, f.spec.resources.memory_bytes, f.last_cold_start ? f.last_cold_start->second : 0.25);
}

gateway::FunctionRoute Controller::route_of(const FunctionState& f) const {
  gateway::FunctionRoute route;
  route.name = f.name;
  route.container_concurrency = static_cast<std::uint32_t>(f.spec.scale.container_concurrency);
  route.max_queue = static_cast<std::size_t>(f.spec.scale.queue);
  route.start_timeout = f.spec.health.start_timeout;
  route.upstream_timeout = f.spec.http.timeout;
  route.max_body = f.spec.http.max_body_bytes;
  return route;
}

docker::Labels Controller::labels_for(const FunctionState& f, int slot, const char* role) const {
  docker::Labels labels{{names::managed, "true"},
                        {names::function, f.name},
                        {names::role, role},
                        {names::slot, std::to_string(slot)},
                        {names::instance, options_.instance}};
  if (std::string(role) == "replica") labels[names::revision] = std::to_string(f.revision);
  if (std::string(role) == "sandbox") labels[names::port] = std::to_string(f.spec.port);
  if (auto eq = options_.extra_label.find('='); eq != std::string::npos)
    labels[options_.extra_label.substr(0, eq)] = options_.extra_label.substr(eq + 1);
  return labels;
}

// Adopts this daemon's containers: running sandboxes and current-revision replicas are kept
// as they are (no restart, no dropped request); everything else of ours is removed.
awaitable<void> Controller::adopt() {
  auto list = [label = std::string(names::instance) + "=" + options_.instance](docker::Client& c) {
    docker::ListOptions opts;
    opts.label_filters = {label};
    return c.list_containers(opts);
  };
  auto listed = co_await docker::async_call(docker_, list, use_awaitable);
  if (!listed) {
    docker_failed(listed.error());
    co_return;
  }
  docker_ok_ = true;
  std::vector<std::string> strays;
  // Sandboxes first: replicas need their slot.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& c : *listed) {
      const auto role = c.labels.count(names::role) ? c.labels.at(names::role) : "";
      if ((pass == 0) != (role == "sandbox")) continue;
      auto* f = find(c.labels.count(names::function) ? c.labels.at(names::function) : "");
      int slot_index = c.labels.count(names::slot) ? std::atoi(c.labels.at(names::slot).c_str()) : -1;
      if (!f || slot_index < 0) {
        strays.push_back(c.id);
        continue;
      }
      Slot* known = f->replicas.find_by_container(c.id);
      if (known) continue;  // already tracked (a resync)
      if (role == "sandbox") {
        int port = c.labels.count(names::port) ? std::atoi(c.labels.at(names::port).c_str()) : 0;
        if (c.state != "running" || port != f->spec.port || f->replicas.find_slot(slot_index)) {
          strays.push_back(c.id);
          continue;
        }
        auto docker_op_0 = [id = c.id](docker::Client& cl) { return cl.inspect_container(id); };
        auto info = co_await docker::async_call(docker_, docker_op_0,
                                                use_awaitable);
        f = find(c.labels.at(names::function));
        if (!f || !info || !info->host_port(port)) {
          strays.push_back(c.id);
          continue;
        }
        Slot slot;
        slot.index = slot_index;
        slot.sandbox_id = c.id;
        slot.container_port = port;
        slot.host_port = static_cast<std::uint16_t>(*info->host_port(port));
        slot.sandbox_ready = true;
        f->replicas.slots().push_back(slot);
      } else {
        long rev = c.labels.count(names::revision) ? std::atol(c.labels.at(names::revision).c_str()) : 0;
        Slot* slot = f->replicas.find_slot(slot_index);
        if (rev != f->revision || !slot || slot->has_replica()) {
          strays.push_back(c.id);
          continue;
        }
        slot->replica_id = c.id;
        slot->revision = rev;
        slot->phase_since = clock_.now();
        if (c.state == "running") {
          // Adopted as ready straight away: it was serving when the previous daemon died, and
          // the gateway retries elsewhere if its connection fails before a byte is sent.
          slot->phase = ReplicaPhase::ready;
          gateway_.add_replica(f->name, gateway::ReplicaEndpoint{slot->replica_id, "127.0.0.1", slot->host_port});
          log("adopted running replica " + c.names.front() + " of " + f->name);
        } else if (c.state == "paused") {
          slot->phase = ReplicaPhase::paused;
        } else if (c.state == "created" || c.state == "exited") {
          slot->phase = ReplicaPhase::created;
        } else {
          slot->replica_id.clear();
          slot->phase = ReplicaPhase::none;
          strays.push_back(c.id);
        }
      }
    }
  }
  co_await remove_containers(strays);
  if (!strays.empty()) log("removed " + std::to_string(strays.size()) + " stray container(s) of this daemon");
  for (auto& [name, f] : functions_) publish_metrics(*f);
}

// ---------------------------------------------------------------------------------------------
// Scaling decisions.

void Controller::capacity_needed(const std::string& function, std::size_t) {
  {
    std::lock_guard lock(demand_mu_);
    if (!demand_posted_.insert(function).second) return;
  }
  asio::post(ctl_, [this, function] {
    {
      std::lock_guard lock(demand_mu_);
      demand_posted_.erase(function);
    }
    on_demand(function);
  });
}

void Controller::replica_drained(const std::string& function, const std::string& replica_id) {
  asio::post(ctl_, [this, function, replica_id] {
    auto* f = find(function);
    if (!f) return;
    Slot* slot = f->replicas.find_by_container(replica_id);
    if (!slot || slot->phase != ReplicaPhase::draining) return;
    asio::co_spawn(ctl_, after_drain(function, f->epoch, slot->index), asio::detached);
  });
}

void Controller::replica_unreachable(const std::string& function, const std::string& replica_id) {
  asio::post(ctl_, [this, function, replica_id] {
    auto* f = find(function);
    if (!f) return;
    Slot* slot = f->replicas.find_by_container(replica_id);
    if (!slot || slot->phase != ReplicaPhase::ready) return;
    // The events stream reports a death; an unreachable replica that is still running is
    // taken out of rotation and probed again.
    gateway_.remove_replica(function, replica_id);
    slot->phase = ReplicaPhase::starting;
    slot->busy = true;
    auto epoch = f->epoch;
    int index = slot->index;
    asio::co_spawn(ctl_, [this, function, epoch, index]() -> awaitable<void> {
      auto* f = find(function);
      if (!f) co_return;
      bool ok = co_await probe(function, epoch, index, clock_.now() + f->spec.health.start_timeout);
      f = find(function);
      if (!f || f->epoch != epoch) co_return;
      Slot* s = f->replicas.find_slot(index);
      if (!s || s->phase != ReplicaPhase::starting) co_return;
      s->busy = false;
      if (ok) {
        s->phase = ReplicaPhase::ready;
        gateway_.add_replica(function, gateway::ReplicaEndpoint{s->replica_id, "127.0.0.1", s->host_port});
      } else {
        replica_failed(*f, *s, "replica stopped answering its readiness probe");
      }
    }, asio::detached);
  });
}

void Controller::remember(FunctionState& f, const autoscaler::FunctionDecision& decision) {
  f.panic = decision.panic;
  f.idle_tier = decision.idle_tier;
  f.keep_alive_plan = decision.keep_alive_plan;
  // A function never invoked has nothing to learn from: keep its container (a fast start)
  // rather than remove it.
  if (decision.idle_reason == autoscaler::KeepAliveReason::never_invoked && f.idle_tier == autoscaler::Tier::removed)
    f.idle_tier = autoscaler::Tier::stopped;
}

void Controller::on_demand(const std::string& name) {
  auto* f = find(name);
  if (!f || !f->scaler || stopping_) return;
  auto now = clock_.now();
  if (f->backoff_until > now) {
    gateway_.fail_held(name, 503, f->failure);
    metrics_.rejected(name, RejectReason::crash_loop);
    return;
  }
  if (!docker_ok_) {
    gateway_.fail_held(name, 503, "function " + name + " cannot be woken: Docker is unavailable");
    metrics_.rejected(name, RejectReason::docker_unavailable);
    return;
  }
  auto load = gateway_.load(name);
  autoscaler::Load in{load.concurrency_integral, load.inflight, load.queued,
                      static_cast<std::uint32_t>(f->replicas.ready(f->revision))};
  auto decision = f->scaler->on_demand(now, in);
  remember(*f, decision);
  scale_to(*f, std::max<std::uint32_t>(decision.desired_ready, 1), autoscaler::to_string(decision.scale_reason));
}

void Controller::scale_to(FunctionState& f, std::uint32_t desired, std::string_view reason) {
  desired = static_cast<std::uint32_t>(std::clamp<long>(desired, f.effective_min(), std::max<long>(f.effective_max(), 1)));
  int have = f.replicas.serving_or_starting(f.revision);
  if (desired != f.desired) {
    metrics_.scale_event(f.name, desired > f.desired ? ScaleDirection::up : ScaleDirection::down, reason);
    f.desired = desired;
  }
  f.last_reason = std::string(reason);
  for (int i = have; i < static_cast<int>(desired); ++i) {
    auto plan = f.replicas.plan_wake(f.revision, f.spec.port);
    if (plan.from == WakeFrom::wait) break;  // move_idle wakes it again when the transition ends
    // A burst from zero: more wakes (a start is ~60 ms of dockerd and CPU, a new slot ~250 ms)
    // would crowd dockerd while the first wake is under way, and slow the first answer. They
    // follow once it is ready: wake() scales to `desired` again then.
    if (first_wake_in_flight(f)) break;
    if (clock_.now() < f.scale_out_after) break;  // settle_then_scale() retries
    // Past the memory budget: idle replicas of other functions make room. If they cannot, the
    // first replica still starts (a request waits for it), further ones do not.
    if (plan.from != WakeFrom::paused && !make_room(&f, f.spec.resources.memory_bytes, true) && i > 0) break;
    Slot& reserved = plan.from == WakeFrom::new_slot ? f.replicas.add_slot(f.spec.port) : *f.replicas.find_slot(plan.slot);
    plan.slot = reserved.index;
    reserved.busy = true;  // reserved for this wake
    reserved.waking = true;
    reserved.revision = f.revision;
    asio::co_spawn(ctl_, wake(f.name, f.epoch, plan, f.revision), asio::detached);
  }
  // Scale down only ready replicas; never below what the current revision needs.
  int ready_current = f.replicas.ready(f.revision);
  int ready_old = 0;
  for (const auto& s : f.replicas.slots())
    if (s.phase == ReplicaPhase::ready && s.revision != f.revision) ++ready_old;
  // Old-revision replicas leave once the current revision serves.
  int excess = (ready_current > 0 ? ready_old : 0) + std::max(0, ready_current - static_cast<int>(desired));
  for (int i = 0; i < excess; ++i) {
    auto victim = f.replicas.plan_retire(f.revision);
    if (!victim) break;
    if (Slot* s = f.replicas.find_slot(*victim); s && (s->revision != f.revision || ready_current > static_cast<int>(desired))) {
      if (s->revision == f.revision) --ready_current;
      retire(f, *s);
    }
  }
  publish_metrics(f);
}

bool Controller::first_wake_in_flight(const FunctionState& f) const {
  for (const auto& s : f.replicas.slots())
    if (s.waking && s.revision == f.revision && f.replicas.ready(f.revision) == 0) return true;
  return false;
}

std::uint64_t Controller::held_bytes() const {
  std::uint64_t held = 0;
  for (const auto& [name, f] : functions_)
    for (const auto& s : f->replicas.slots())
      if (s.waking || s.phase == ReplicaPhase::starting || s.phase == ReplicaPhase::ready ||
          s.phase == ReplicaPhase::draining || s.phase == ReplicaPhase::pausing || s.phase == ReplicaPhase::paused)
        held += f->spec.resources.memory_bytes;
  return held;
}

bool Controller::make_room(FunctionState* f, std::uint64_t need, bool allow_evict) {
  if (!budget_) return true;
  const std::uint64_t held = held_bytes();
  if (held + need <= budget_->budget()) return true;
  if (!allow_evict) return false;
  // Evictable: functions with nothing in flight or held whose replicas hold memory idly.
  std::map<autoscaler::FunctionId, FunctionState*> by_id;
  for (auto& [name, g] : functions_) {
    by_id[g->budget_id] = g.get();
    bool holds = false, moving = false;
    for (const auto& s : g->replicas.slots()) {
      holds |= s.phase == ReplicaPhase::ready || s.phase == ReplicaPhase::paused;
      moving |= s.busy || s.waking;
    }
    auto load = gateway_.load(name);
    budget_->set_idle_loaded(g->budget_id, g.get() != f && holds && !moving && load.inflight + load.queued == 0 &&
                                               g->effective_min() == 0);
  }
  std::uint64_t freed = 0;
  for (auto id : budget_->pick_victims(held, need, f ? f->budget_id : autoscaler::FunctionId{0})) {
    auto* victim = by_id[id];
    for (const auto& s : victim->replicas.slots())
      if (s.phase == ReplicaPhase::ready || s.phase == ReplicaPhase::paused) freed += victim->spec.resources.memory_bytes;
    evict(*victim);
  }
  return held - std::min(held, freed) + need <= budget_->budget();
}

void Controller::evict(FunctionState& victim) {
  log("memory budget: stopping the idle replicas of " + victim.name + " to make room");
  metrics_.scale_event(victim.name, ScaleDirection::down, "memory_budget");
  victim.scaler->on_evicted(clock_.now());  // its policy keeps it unloaded until it is called again
  victim.idle_tier = autoscaler::Tier::stopped;
  victim.desired = 0;
  for (auto& s : victim.replicas.slots()) {
    if (s.busy) continue;
    if (s.phase == ReplicaPhase::paused) {
      s.busy = true;
      asio::co_spawn(ctl_, move_idle(victim.name, victim.epoch, s.index, autoscaler::Tier::stopped), asio::detached);
    } else if (s.phase == ReplicaPhase::ready) {
      retire(victim, s);  // drained, then stopped (after_drain follows idle_tier)
    }
  }
  publish_metrics(victim);
}

void Controller::retire(FunctionState& f, Slot& slot) {
  slot.phase = ReplicaPhase::draining;
  slot.phase_since = clock_.now();
  slot.busy = true;
  gateway_.drain_replica(f.name, slot.replica_id);
}

awaitable<void> Controller::tick_loop() {
  while (!stopping_) {
    tick_timer_.expires_after(options_.tick);
    boost::system::error_code ec;
    co_await tick_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec || stopping_) co_return;
    try {
      tick(clock_.now());
    } catch (const std::exception& e) {
      log(std::string("tick failed: ") + e.what());
    }
  }
}

void Controller::tick(TimePoint now) {
  for (auto& [name, fp] : functions_) {
    auto& f = *fp;
    if (!f.scaler) continue;
    auto load = gateway_.load(name);
    // Metering: replicas that run (not paused) are billed for their time and memory limit.
    auto counts = f.replicas.counts();
    double dt = seconds_between(f.last_accounted, now);
    f.last_accounted = now;
    int running = counts.ready + counts.starting + counts.draining;
    f.pending_container_seconds += running * dt;
    f.pending_gb_seconds += running * dt * (static_cast<double>(f.spec.resources.memory_bytes) / (1ull << 30));
    const std::uint64_t new_requests = load.requests_total - std::min(load.requests_total, f.requests_seen);
    f.pending_requests += new_requests;
    // The policy learns which minutes see calls (cron-like functions are pre-warmed for them).
    if (new_requests > 0 && f.scaler) f.scaler->on_arrivals(now);
    // Requests that started and finished between two ticks are invisible in the load the
    // policy samples: tell it about that activity, at the time the last one ended.
    if (new_requests > 0 && load.inflight + load.queued == 0 && f.scaler) {
      auto at = std::min<TimePoint>(now, load.last_request_end);
      f.scaler->on_invocation_start(at);
      f.scaler->on_invocation_end(at);
    }
    metrics_.usage(name, running * dt, running * dt * static_cast<double>(f.spec.resources.memory_bytes));
    f.requests_seen = load.requests_total;
    if (budget_) budget_->on_invocations(f.budget_id, new_requests);

    if (f.backoff_until > now || !docker_ok_) continue;
    autoscaler::Load in{load.concurrency_integral, load.inflight, load.queued,
                        static_cast<std::uint32_t>(f.replicas.ready(f.revision))};
    auto decision = f.scaler->on_tick(now, in);
    remember(f, decision);
    scale_to(f, decision.desired_ready,
             decision.desired_ready == 0 ? autoscaler::to_string(decision.idle_reason) : autoscaler::to_string(decision.scale_reason));
    apply_idle_tier(f, now);
    trim_idle_slots(f, now);
    metrics_.set_load(name, load.inflight, load.queued);
  }
  // A wake went past the budget when nothing was idle at that moment (a victim was mid-transition):
  // idle replicas are stopped as soon as there are some.
  if (budget_ && docker_ok_ && held_bytes() > budget_->budget()) make_room(nullptr, 0, true);
  if (seconds_between(last_usage_flush_, now) >= 10) flush_usage(now);
}

void Controller::flush_usage(TimePoint now) {
  last_usage_flush_ = now;
  for (auto& [name, f] : functions_) {
    if (f->pending_requests == 0 && f->pending_container_seconds == 0 && f->pending_cold_starts == std::array<std::int64_t, 3>{}) continue;
    UsageCounters delta;
    delta.requests = static_cast<std::int64_t>(f->pending_requests);
    delta.container_seconds = f->pending_container_seconds;
    delta.gb_seconds = f->pending_gb_seconds;
    delta.cold_starts_paused = std::exchange(f->pending_cold_starts[0], 0);
    delta.cold_starts_stopped = std::exchange(f->pending_cold_starts[1], 0);
    delta.cold_starts_removed = std::exchange(f->pending_cold_starts[2], 0);
    if (auto st = registry_.add_usage(name, delta, std::chrono::system_clock::now()); !st) {
      log("could not record usage of " + name + ": " + st.error().message);
      continue;
    }
    f->pending_requests = 0;
    f->pending_container_seconds = f->pending_gb_seconds = 0;
  }
}

// Idle replicas (not serving) move down the tiers as the keep-alive policy says; a stopped
// replica the policy wants paused is pre-warmed: started, proven ready, then frozen.
void Controller::apply_idle_tier(FunctionState& f, TimePoint) {
  const auto target = f.idle_tier;
  int paused = 0;
  for (const auto& s : f.replicas.slots())
    if (s.revision == f.revision && (s.phase == ReplicaPhase::paused || s.phase == ReplicaPhase::pausing)) ++paused;
  for (auto& s : f.replicas.slots()) {
    if (s.busy) continue;
    const bool is_paused = s.phase == ReplicaPhase::paused, is_stopped = s.phase == ReplicaPhase::created;
    if (!is_paused && !is_stopped) continue;
    std::optional<autoscaler::Tier> move;
    if (s.revision != f.revision) {
      move = autoscaler::Tier::removed;  // an old revision's idle container has no future
    } else if (target == autoscaler::Tier::removed) {
      move = autoscaler::Tier::removed;
    } else if (target == autoscaler::Tier::stopped && is_paused) {
      move = autoscaler::Tier::stopped;
    } else if (target == autoscaler::Tier::paused && is_paused && paused > 1) {
      move = autoscaler::Tier::stopped;  // one frozen replica is enough to absorb the next request
      --paused;
    } else if (target == autoscaler::Tier::paused && is_stopped && paused == 0 &&
               make_room(&f, f.spec.resources.memory_bytes, false)) {
      move = autoscaler::Tier::paused;  // pre-warm ahead of the predicted arrival, if memory allows
      ++paused;
    }
    if (!move) continue;
    s.busy = true;
    asio::co_spawn(ctl_, move_idle(f.name, f.epoch, s.index, *move), asio::detached);
  }
}

// Surplus slots (beyond one, or min) idle in the stopped or removed tier for idle_slot_ttl go,
// sandbox and all, the most recently added first. Once the policy has removed every replica
// (min 0), the last sandbox goes too: the function then holds nothing at all.
void Controller::trim_idle_slots(FunctionState& f, TimePoint now) {
  auto& slots = f.replicas.slots();
  long count = static_cast<long>(slots.size());
  const bool all_removed = std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.phase == ReplicaPhase::none; });
  const long keep = f.effective_min() == 0 && all_removed ? 0 : std::max<long>(1, f.effective_min());
  for (auto it = slots.rbegin(); it != slots.rend() && count > keep; ++it) {
    Slot& s = *it;
    if (s.busy || s.waking || s.sandbox_busy) continue;
    if (s.phase != ReplicaPhase::created && s.phase != ReplicaPhase::none) continue;
    if (now - s.phase_since < options_.idle_slot_ttl) continue;
    s.busy = s.sandbox_busy = true;
    --count;
    asio::co_spawn(ctl_, remove_slot(f.name, f.epoch, s.index), asio::detached);
  }
}

awaitable<void> Controller::remove_slot(std::string name, std::uint64_t epoch, int slot_index) {
  auto* f = find(name);
  if (!f || f->epoch != epoch) co_return;
  Slot* s = f->replicas.find_slot(slot_index);
  if (!s) co_return;
  std::vector<std::string> ids{s->replica_id, s->sandbox_id};  // a named local: GCC 12 and co_await temporaries
  const bool removed = co_await remove_containers(std::move(ids));
  f = find(name);
  if (!f || f->epoch != epoch) co_return;
  s = f->replicas.find_slot(slot_index);
  if (!s) co_return;
  if (removed || !s->sandbox_ready) {
    f->replicas.erase_slot(slot_index);
  } else {
    s->busy = s->sandbox_busy = false;  // Docker away: try again at a later tick
  }
  publish_metrics(*f);
}

awaitable<bool> Controller::remove_containers(std::vector<std::string> ids) {
  bool gone = true;
  for (const auto& id : ids) {
    if (id.empty()) continue;
    auto remove = [id](docker::Client& c) { return c.remove_container(id, {.force = true}); };
    auto r = co_await docker::async_call(docker_, remove, use_awaitable);
    gone = gone && (r || r.error().code == docker::Errc::not_found);
  }
  co_return gone;
}

awaitable<docker::Result<std::string>> Controller::create_replacing(docker::ContainerSpec spec) {
  auto create = [spec](docker::Client& c) { return c.create_container(spec); };
  auto created = co_await docker::async_call(docker_, create, use_awaitable);
  if (!created && created.error().code == docker::Errc::conflict) {
    auto remove = [n = spec.name](docker::Client& c) { return c.remove_container(n, {.force = true}); };
    co_await docker::async_call(docker_, remove, use_awaitable);
    created = co_await docker::async_call(docker_, create, use_awaitable);
  }
  co_return created;
}

// ---------------------------------------------------------------------------------------------
// The wake path.

awaitable<void> Controller::wake(std::string name, std::uint64_t epoch, ReplicaSet::Wake plan, long revision) {
  const auto t0 = clock_.now();
  // However this wake ends, its reservation ends with it.
  struct Unreserve {
    Controller* self;
    const std::string& name;
    std::uint64_t epoch;
    int slot;
    ~Unreserve() {
      auto* f = self->find(name);
      if (!f || f->epoch != epoch) return;
      if (Slot* s = f->replicas.find_slot(slot)) s->waking = false;
    }
  } unreserve{this, name, epoch, plan.slot};
  auto refind = [&]() -> std::pair<FunctionState*, Slot*> {
    auto* f = find(name);
    if (!f || f->epoch != epoch) return {nullptr, nullptr};
    return {f, f->replicas.find_slot(plan.slot)};
  };
  if (plan.from == WakeFrom::new_slot) {
    if (!co_await ensure_sandbox(name, epoch, plan.slot)) co_return;
  }
  auto [f, s] = refind();
  if (!s) co_return;
  s->busy = true;
  s->revision = revision;
  s->phase_since = t0;

  if (plan.from == WakeFrom::paused) {
    s->phase = ReplicaPhase::starting;
    auto docker_op_2 = [id = s->replica_id](docker::Client& c) { return c.unpause_container(id); };
    auto r = co_await docker::async_call(docker_, docker_op_2,
                                         use_awaitable);
    std::tie(f, s) = refind();
    if (!s) co_return;
    if (!r) {
      if (docker_down(*f, *s, r.error(), ReplicaPhase::paused)) co_return;
      replica_failed(*f, *s, "could not unpause the replica: " + r.error().message);
      co_return;
    }
  } else {
    if (plan.from == WakeFrom::removed || plan.from == WakeFrom::new_slot || s->replica_id.empty()) {
      s->phase = ReplicaPhase::creating;
      docker::ContainerSpec spec;
      spec.name = names::replica_name(name, s->index, revision);
      spec.image = f->image;
      spec.env = f->spec.env;
      spec.env["PORT"] = std::to_string(f->spec.port);
      spec.labels = labels_for(*f, s->index, "replica");
      spec.network_mode = "container:" + s->sandbox_id;
      spec.memory_bytes = static_cast<std::int64_t>(f->spec.resources.memory_bytes);
      spec.nano_cpus = static_cast<std::int64_t>(std::llround(f->spec.resources.cpus * 1e9));
      spec.pids_limit = f->spec.resources.pids;
      spec.no_new_privileges = true;
      spec.stop_timeout_s = static_cast<int>(options_.stop_grace.count());
      auto created = co_await create_replacing(spec);
      std::tie(f, s) = refind();
      if (!s) co_return;
      if (!created) {
        s->phase = ReplicaPhase::none;
        if (docker_down(*f, *s, created.error(), ReplicaPhase::none)) co_return;
        replica_failed(*f, *s, "could not create the replica: " + created.error().message);
        co_return;
      }
      s->replica_id = *created;
    }
    s->phase = ReplicaPhase::starting;
    auto docker_op_6 = [id = s->replica_id](docker::Client& c) { return c.start_container(id); };
    auto started = co_await docker::async_call(docker_, docker_op_6,
                                               use_awaitable);
    std::tie(f, s) = refind();
    if (!s) co_return;
    if (!started) {
      if (docker_down(*f, *s, started.error(), ReplicaPhase::created)) co_return;
      replica_failed(*f, *s, "could not start the replica: " + started.error().message);
      co_return;
    }
    bool ready = co_await probe(name, epoch, plan.slot, t0 + f->spec.health.start_timeout);
    std::tie(f, s) = refind();
    if (!s) co_return;
    if (s->phase != ReplicaPhase::starting) co_return;  // it died meanwhile: already handled
    if (!ready) {
      replica_failed(*f, *s, "the replica did not answer " + f->spec.health.path + " within " +
                                 std::to_string(f->spec.health.start_timeout.count()) + " ms");
      co_return;
    }
  }
  s->phase = ReplicaPhase::ready;
  s->phase_since = clock_.now();
  s->busy = false;
  f->consecutive_failures = 0;
  f->failure_current = false;
  f->proven_revision = std::max(f->proven_revision, revision);
  if (f->failed_revision == revision) f->failed_revision = 0;
  gateway_.set_not_ready_reason(name, "");
  gateway_.add_replica(name, gateway::ReplicaEndpoint{s->replica_id, "127.0.0.1", s->host_port});
  double secs = seconds_between(t0, clock_.now());
  const char* tier = plan.from == WakeFrom::paused ? "paused" : plan.from == WakeFrom::stopped ? "stopped" : "removed";
  metrics_.cold_start(name, plan.from == WakeFrom::paused    ? WakeTier::paused
                            : plan.from == WakeFrom::stopped ? WakeTier::stopped
                                                             : WakeTier::removed,
                      secs);
  f->last_cold_start = std::make_pair(std::string(tier), secs);
  if (budget_ && plan.from != WakeFrom::paused) budget_->set_function(f->budget_id, f->spec.resources.memory_bytes, secs);
  ++f->pending_cold_starts[plan.from == WakeFrom::paused ? 0 : plan.from == WakeFrom::stopped ? 1 : 2];
  f->last_cold_start_at = clock_.now();
  // A cheap wake that took the whole held burst: let that burst be answered before more wakes
  // crowd dockerd and the CPUs; they follow after burst_settle if still wanted.
  if (plan.from != WakeFrom::new_slot && plan.from != WakeFrom::removed && gateway_.load(name).queued == 0 &&
      f->desired > static_cast<std::uint32_t>(f->replicas.serving_or_starting(f->revision))) {
    f->scale_out_after = clock_.now() + options_.burst_settle;
    asio::co_spawn(ctl_, settle_then_scale(name, epoch), asio::detached);
  }
  // A new revision serving: the old one's replicas are drained and removed.
  scale_to(*f, std::max<std::uint32_t>(f->desired, 1), "revision_ready");
  for (auto& other : f->replicas.slots()) {
    if (other.revision != f->revision && !other.busy &&
        (other.phase == ReplicaPhase::paused || other.phase == ReplicaPhase::created)) {
      other.busy = true;
      asio::co_spawn(ctl_, move_idle(name, epoch, other.index, autoscaler::Tier::removed), asio::detached);
    }
  }
  publish_metrics(*f);
}

awaitable<void> Controller::settle_then_scale(std::string name, std::uint64_t epoch) {
  asio::steady_timer timer(ctl_, options_.burst_settle);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  auto* f = find(name);
  if (ec || stopping_ || !f || f->epoch != epoch) co_return;
  scale_to(*f, std::max<std::uint32_t>(f->desired, 1), "burst_settled");
}

awaitable<bool> Controller::ensure_sandbox(std::string name, std::uint64_t epoch, int slot_index) {
  auto* f = find(name);
  if (!f || f->epoch != epoch) co_return false;
  docker::ContainerSpec spec;
  spec.name = names::sandbox_name(name, slot_index);
  spec.image = options_.sandbox_image;
  spec.labels = labels_for(*f, slot_index, "sandbox");
  spec.publish_port = f->spec.port;
  spec.memory_bytes = 16 << 20;
  spec.pids_limit = 8;
  spec.stop_timeout_s = 1;
  auto created = co_await create_replacing(spec);
  std::optional<docker::ContainerInfo> info;
  std::string error;
  if (created) {
    auto docker_op_10 = [id = *created](docker::Client& c) { return c.start_container(id); };
    auto started = co_await docker::async_call(docker_, docker_op_10,
                                               use_awaitable);
    if (started) {
      auto docker_op_11 = [id = *created](docker::Client& c) { return c.inspect_container(id); };
      auto inspected = co_await docker::async_call(docker_, docker_op_11,
                                                   use_awaitable);
      if (inspected && inspected->host_port(spec.publish_port.value_or(0))) info = *inspected;
      else error = inspected ? "sandbox has no published port" : inspected.error().message;
    } else {
      docker_failed(started.error());
      error = started.error().message;
    }
  } else {
    docker_failed(created.error());
    error = created.error().message;
  }
  f = find(name);
  if (!f || f->epoch != epoch) co_return false;
  Slot* s = f->replicas.find_slot(slot_index);
  if (!s) co_return false;
  s->sandbox_busy = false;
  if (!info) {
    if (created) {
      std::vector<std::string> ids{*created};
      asio::co_spawn(ctl_, remove_containers(std::move(ids)), asio::detached);
    }
    f->replicas.erase_slot(slot_index);
    f->failure = "could not create the network sandbox for " + name + ": " + error;
    f->failure_at = clock_.now();
    f->failure_current = true;
    gateway_.set_not_ready_reason(name, f->failure);
    if (!docker_ok_) gateway_.fail_held(name, 503, "function " + name + " cannot be woken: Docker is unavailable (" + error + ")");
    co_return false;
  }
  s->sandbox_id = info->id;
  s->host_port = static_cast<std::uint16_t>(*info->host_port(*spec.publish_port));
  s->sandbox_ready = true;
  co_return true;
}

// Polls the replica's readiness path through the sandbox's published port. Rounds are short so
// that a container that died meanwhile (events stream) ends the wait at once.
awaitable<bool> Controller::probe(std::string name, std::uint64_t epoch, int slot_index, TimePoint deadline) {
  for (;;) {
    auto* f = find(name);
    if (!f || f->epoch != epoch) co_return false;
    Slot* s = f->replicas.find_slot(slot_index);
    if (!s || s->phase != ReplicaPhase::starting) co_return false;
    auto now = clock_.now();
    if (now >= deadline) co_return false;
    auto round_end = std::min(deadline, now + std::chrono::milliseconds(250));
    gateway::ReplicaEndpoint endpoint{s->replica_id, "127.0.0.1", s->host_port};
    bool ok = co_await asio::async_initiate<decltype(use_awaitable), void(bool)>(
        [&](auto handler) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          gateway_.probe_ready(endpoint, f->spec.health.path, options_.probe_interval, round_end,
                               [this, shared](bool ready, std::string) {
                                 asio::post(ctl_, [shared, ready]() mutable { (*shared)(ready); });
                               });
        },
        use_awaitable);
    if (ok) co_return true;
  }
}

awaitable<void> Controller::after_drain(std::string name, std::uint64_t epoch, int slot_index) {
  auto* f = find(name);
  if (!f || f->epoch != epoch) co_return;
  Slot* s = f->replicas.find_slot(slot_index);
  if (!s) co_return;
  gateway_.remove_replica(name, s->replica_id);
  // Drained replicas of the current revision go to the idle tier the policy wants now;
  // those of old revisions are removed.
  auto tier = s->revision != f->revision ? autoscaler::Tier::removed : f->idle_tier;
  // One idle replica is kept in the policy's tier; extra ones are stopped (a cheap start later).
  if (tier == autoscaler::Tier::paused || tier == autoscaler::Tier::warm) {
    auto counts = f->replicas.counts();
    if (counts.paused > 0) tier = autoscaler::Tier::stopped;
  }
  if (tier == autoscaler::Tier::warm) tier = autoscaler::Tier::paused;
  s->phase = ReplicaPhase::ready;  // move_idle starts from a running replica
  co_await move_idle(name, epoch, slot_index, tier);
}

awaitable<void> Controller::move_idle(std::string name, std::uint64_t epoch, int slot_index, autoscaler::Tier tier) {
  auto refind = [&]() -> Slot* {
    auto* f = find(name);
    if (!f || f->epoch != epoch) return nullptr;
    return f->replicas.find_slot(slot_index);
  };
  Slot* s = refind();
  if (!s) co_return;
  const std::string id = s->replica_id;
  const auto from = s->phase;
  s->busy = true;
  auto done = [&](ReplicaPhase phase) {
    if (Slot* x = refind()) {
      x->phase = phase;
      x->phase_since = clock_.now();
      x->busy = false;
      if (phase == ReplicaPhase::none) x->replica_id.clear();
      // A drained replica that could not be stopped (Docker away) still runs: serve with it.
      if (phase == ReplicaPhase::ready)
        gateway_.add_replica(name, gateway::ReplicaEndpoint{x->replica_id, "127.0.0.1", x->host_port});
      publish_metrics(*find(name));
      // A request that arrived mid-transition waited for it: wake now.
      if (gateway_.load(name).queued > 0) on_demand(name);
    }
  };
  switch (tier) {
    case autoscaler::Tier::warm:
    case autoscaler::Tier::paused: {
      if (from == ReplicaPhase::created) {
        // Pre-warm: start, prove ready, then freeze, so the next wake costs ~14 ms.
        s->phase = ReplicaPhase::starting;
        auto docker_op_13 = [id](docker::Client& c) { return c.start_container(id); };
        auto started = co_await docker::async_call(docker_, docker_op_13, use_awaitable);
        auto* f = find(name);
        if (!started || !f) {
          done(ReplicaPhase::created);
          co_return;
        }
        bool ok = co_await probe(name, epoch, slot_index, clock_.now() + f->spec.health.start_timeout);
        if (!ok) {
          if (Slot* x = refind(); x && x->phase == ReplicaPhase::starting) done(ReplicaPhase::created);
          co_return;
        }
      }
      if (Slot* x = refind()) x->phase = ReplicaPhase::pausing;
      auto docker_op_14 = [id](docker::Client& c) { return c.pause_container(id); };
      auto r = co_await docker::async_call(docker_, docker_op_14, use_awaitable);
      done(r ? ReplicaPhase::paused : ReplicaPhase::created);
      co_return;
    }
    case autoscaler::Tier::stopped: {
      if (Slot* x = refind()) x->phase = ReplicaPhase::stopping;
      if (from == ReplicaPhase::paused) {
        auto docker_op_15 = [id](docker::Client& c) { return c.unpause_container(id); };
        co_await docker::async_call(docker_, docker_op_15, use_awaitable);
      }
      auto grace = options_.stop_grace;
      auto docker_op_16 = [id, grace](docker::Client& c) { return c.stop_container(id, grace); };
      auto r = co_await docker::async_call(docker_, docker_op_16, use_awaitable);
      done(r ? ReplicaPhase::created : from);
      co_return;
    }
    case autoscaler::Tier::removed: {
      if (Slot* x = refind()) x->phase = ReplicaPhase::removing;
      auto docker_op_17 = [id](docker::Client& c) { return c.remove_container(id, {.force = true}); };
      auto r = co_await docker::async_call(docker_, docker_op_17,
                                           use_awaitable);
      done(r || r.error().code == docker::Errc::not_found ? ReplicaPhase::none : from);
      co_return;
    }
  }
}

void Controller::replica_failed(FunctionState& f, Slot& slot, std::string reason) {
  const bool was_ready = slot.phase == ReplicaPhase::ready || slot.phase == ReplicaPhase::draining;
  if (!slot.replica_id.empty()) gateway_.remove_replica(f.name, slot.replica_id);
  slot.phase = slot.replica_id.empty() ? ReplicaPhase::none : ReplicaPhase::created;
  slot.busy = false;
  ++f.consecutive_failures;
  f.failure = was_ready ? "a replica of " + f.name + " (revision " + std::to_string(slot.revision) + ") failed: " + reason
                        : "function " + f.name + " (revision " + std::to_string(slot.revision) +
                              ") did not become ready: " + reason;
  f.failure_at = clock_.now();
  f.failure_current = true;
  f.failed_revision = slot.revision;
  log(f.failure);
  gateway_.set_not_ready_reason(f.name, f.failure);
  const auto now = clock_.now();
  const auto epoch = f.epoch;
  const std::string name = f.name;
  // Keep the logs' tail for `svl up` and `svl status`.
  if (!slot.replica_id.empty()) {
    ++f.failure_logs_pending;
    asio::co_spawn(ctl_, [this, name, epoch, id = slot.replica_id]() -> awaitable<void> {
      auto tail = co_await logs_tail(id, 20);
      if (auto* f = find(name); f && f->epoch == epoch) {
        f->failure_logs = tail;
        --f->failure_logs_pending;
      }
    }, asio::detached);
  }
  // A revision that never served falls back to the one that did.
  if (slot.revision == f.revision && f.proven_revision != 0 && f.proven_revision != f.revision && !was_ready) {
    long bad = f.revision;
    if (auto back = registry_.rollback(f.name, f.proven_revision)) {
      apply_revision(f, back->current);
      log("revision " + std::to_string(bad) + " of " + f.name + " failed; revision " + std::to_string(f.revision) +
          " keeps serving");
      f.consecutive_failures = 0;
    } else {
      log("could not roll back " + f.name + ": " + back.error().message);
    }
  }
  if (f.consecutive_failures >= kFailuresBeforeBackoff) {
    const std::chrono::milliseconds backoff = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(500 << std::min(f.consecutive_failures - kFailuresBeforeBackoff, 8)), kMaxBackoff);
    f.backoff_until = now + backoff;
    f.failure += " (failed " + std::to_string(f.consecutive_failures) + " times in a row; next try in " +
                 std::to_string(backoff.count()) + " ms)";
    gateway_.fail_held(f.name, 503, f.failure);
    metrics_.rejected(f.name, RejectReason::crash_loop);
    asio::co_spawn(ctl_, [this, name, epoch, backoff]() -> awaitable<void> {
      asio::steady_timer timer(ctl_, backoff);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      auto* f = find(name);
      if (!f || f->epoch != epoch) co_return;
      if (gateway_.load(name).queued > 0) on_demand(name);
    }, asio::detached);
  } else if (gateway_.load(f.name).queued > 0 || f.desired > 0) {
    // Try again at once: a single crash should not fail a held request.
    asio::post(ctl_, [this, name] {
      if (auto* f = find(name)) scale_to(*f, std::max<std::uint32_t>(f->desired, 1), "retry_after_failure");
    });
  }
  publish_metrics(f);
}

awaitable<std::string> Controller::logs_tail(std::string container_id, int lines) {
  auto read = [container_id, lines](docker::Client& c) {
    docker::LogsOptions opts;
    opts.tail = lines;
    return c.logs(container_id, opts);
  };
  auto logs = co_await docker::async_call(docker_, read, use_awaitable);
  if (!logs) co_return std::string();
  std::string out;
  for (const auto& line : logs->lines) out += line.text + "\n";
  co_return out;
}

void Controller::on_docker_event(const docker::Event& event) {
  auto* f = find(event.attribute(names::function));
  if (!f) return;
  Slot* s = f->replicas.find_by_container(event.id);
  if (!s) return;
  if (event.action == docker::EventAction::oom) {
    s->oom_killed = true;  // its "die" follows
    return;
  }
  if (event.action != docker::EventAction::die && event.action != docker::EventAction::destroy) return;
  if (event.id == s->sandbox_id) {
    // The namespace is gone: the slot is unusable. Its replica (if any) goes too.
    log("sandbox of " + f->name + " slot " + std::to_string(s->index) + " exited; recreating on demand");
    if (!s->replica_id.empty()) gateway_.remove_replica(f->name, s->replica_id);
    auto epoch = f->epoch;
    int index = s->index;
    s->sandbox_ready = false;
    s->busy = true;
    s->phase = ReplicaPhase::removing;
    asio::co_spawn(ctl_, remove_slot(f->name, epoch, index), asio::detached);
    return;
  }
  switch (s->phase) {
    case ReplicaPhase::starting:
    case ReplicaPhase::ready:
    case ReplicaPhase::draining: {
      std::string reason = "container exited with code " + std::to_string(event.exit_code.value_or(-1));
      if (s->oom_killed)
        reason += " (out of memory: over its limit of " + std::to_string(f->spec.resources.memory_bytes >> 20) + " MiB)";
      s->oom_killed = false;
      replica_failed(*f, *s, reason);
      break;
    }
    default:
      break;  // an exit we asked for (stop, remove)
  }
}

// Docker itself failed, not the function: the slot goes back to where it was, nothing counts
// toward a crash loop, and held requests get a 503 saying Docker is unavailable. Returns false
// for any other error.
bool Controller::docker_down(FunctionState& f, Slot& slot, const docker::Error& error, ReplicaPhase back) {
  if (error.code != docker::Errc::unreachable && error.code != docker::Errc::timeout) return false;
  slot.phase = back;
  slot.busy = false;
  docker_failed(error);
  publish_metrics(f);
  return true;
}

void Controller::docker_failed(const docker::Error& error) {
  if (error.code == docker::Errc::unreachable || error.code == docker::Errc::timeout) {
    if (docker_ok_) log("Docker is unavailable: " + error.message);
    docker_ok_ = false;
    for (auto& [name, f] : functions_) {
      if (gateway_.load(name).queued > 0) {
        gateway_.fail_held(name, 503, "function " + name + " cannot be woken: Docker is unavailable (" + error.message + ")");
        metrics_.rejected(name, RejectReason::docker_unavailable);
      }
    }
  }
}

void Controller::publish_metrics(FunctionState& f) {
  auto c = f.replicas.counts();
  metrics_.set_replicas(f.name, ReplicaState::starting, c.starting);
  metrics_.set_replicas(f.name, ReplicaState::ready, c.ready);
  metrics_.set_replicas(f.name, ReplicaState::draining, c.draining);
  metrics_.set_replicas(f.name, ReplicaState::paused, c.paused);
  metrics_.set_replicas(f.name, ReplicaState::stopped, c.stopped);
  metrics_.set_desired(f.name, f.desired, f.panic);
}

// ---------------------------------------------------------------------------------------------
// Admin operations.

awaitable<std::variant<DeployOutcome, ControlError>> Controller::deploy(FunctionSpec spec, std::string image,
                                                                        std::string source_dir, bool force) {
  auto docker_op_19 = [image](docker::Client& c) { return c.inspect_image(image); };
  auto inspected = co_await docker::async_call(docker_, docker_op_19,
                                               use_awaitable);
  if (!inspected) {
    if (inspected.error().code == docker::Errc::not_found)
      co_return ControlError{400, "image: " + image + " does not exist in the local Docker engine (build it first, e.g. with `svl up`)"};
    co_return ControlError{503, "image: cannot inspect " + image + ": " + inspected.error().message};
  }
  auto put = registry_.put_revision(spec.name, spec, inspected->id, source_dir, PutRevisionOptions{force});
  if (!put) {
    const auto& e = put.error();
    co_return ControlError{e.code == RegistryErrc::name_taken ? 409u : e.code == RegistryErrc::invalid ? 400u : 500u,
                           e.message};
  }
  auto record = registry_.get_function(spec.name);
  if (!record) co_return ControlError{500, "registry: " + record.error().message};
  auto* f = find(spec.name);
  if (!f) {
    load_function(*record);
    f = find(spec.name);
    f->proven_revision = 0;  // not proven until a replica is ready
  } else if (put->created || f->revision != put->revision) {
    apply_revision(*f, record->current);
  }
  f->backoff_until = {};
  f->consecutive_failures = 0;
  // Prove the revision: at least `initial` replicas (bounded by min/max) start now.
  auto initial = std::clamp<long>(std::max<long>(f->spec.scale.initial, f->effective_min()), 0, f->effective_max());
  if (initial > 0 && f->replicas.serving_or_starting(f->revision) < initial)
    scale_to(*f, static_cast<std::uint32_t>(initial), "deploy");
  co_return DeployOutcome{put->revision, put->created};
}

awaitable<std::optional<ControlError>> Controller::wait_ready(std::string name, long revision,
                                                               std::chrono::milliseconds timeout) {
  auto deadline = clock_.now() + timeout;
  asio::steady_timer timer(ctl_);
  for (;;) {
    auto* f = find(name);
    if (!f) co_return ControlError{404, "function " + name + " does not exist"};
    long want = revision ? revision : f->revision;
    if (f->replicas.ready(want) > 0) co_return std::nullopt;
    const bool failed =
        f->failed_revision == want && (f->replicas.serving_or_starting(want) == 0 || f->revision != want);
    // The failed replica's log tail is still being read: answer with it, not without it.
    const bool logs_read = f->failure_logs_pending == 0 || clock_.now() >= deadline;
    if (failed && logs_read) {
      nlohmann::json details{{"logs", f->failure_logs}, {"revision", want}, {"serving_revision", f->revision}};
      std::string message = f->failure;
      if (f->revision != want) message += "; revision " + std::to_string(f->revision) + " keeps serving";
      co_return ControlError{503, message, details};
    }
    if (!failed && f->replicas.serving_or_starting(want) == 0 && want == f->revision &&
        f->backoff_until <= clock_.now())
      scale_to(*f, std::max<std::uint32_t>(f->desired, 1), "wait_ready");
    if (clock_.now() >= deadline)
      co_return ControlError{504, "function " + name + " revision " + std::to_string(want) + " did not become ready within " +
                                      std::to_string(timeout.count()) + " ms"};
    timer.expires_after(10ms);
    co_await timer.async_wait(use_awaitable);
  }
}

awaitable<std::optional<ControlError>> Controller::remove(std::string name) {
  auto* f = find(name);
  if (!f) co_return ControlError{404, "function " + name + " does not exist"};
  gateway_.remove_function(name);
  auto slots = f->replicas.slots();
  if (budget_) budget_->forget(f->budget_id);
  functions_.erase(name);  // any coroutine still running for it sees a new epoch and stops
  for (const auto& s : slots) {
    std::vector<std::string> ids{s.replica_id, s.sandbox_id};
    co_await remove_containers(std::move(ids));
  }
  if (auto st = registry_.delete_function(name); !st) co_return ControlError{500, "registry: " + st.error().message};
  metrics_.forget_function(name);
  co_return std::nullopt;
}

std::variant<long, ControlError> Controller::rollback(const std::string& name, std::optional<long> revision) {
  auto* f = find(name);
  if (!f) return ControlError{404, "function " + name + " does not exist"};
  auto back = registry_.rollback(name, revision);
  if (!back) return ControlError{back.error().code == RegistryErrc::not_found ? 404u : 400u, back.error().message};
  apply_revision(*f, back->current);
  f->failed_revision = 0;
  f->consecutive_failures = 0;
  f->backoff_until = {};
  if (f->replicas.ready(f->revision) == 0 && f->replicas.counts().ready > 0) scale_to(*f, 1, "rollback");
  return f->revision;
}

std::variant<nlohmann::json, ControlError> Controller::set_scale(const std::string& name, std::optional<long> min,
                                                                 std::optional<long> max) {
  auto* f = find(name);
  if (!f) return ControlError{404, "function " + name + " does not exist"};
  long new_min = min.value_or(f->effective_min()), new_max = max.value_or(f->effective_max());
  if (new_min < 0) return ControlError{400, "min: must be 0 or more"};
  if (new_max < 1) return ControlError{400, "max: must be 1 or more"};
  if (new_min > new_max) return ControlError{400, "min: " + std::to_string(new_min) + " is above max " + std::to_string(new_max)};
  if (auto st = registry_.set_scale(name, new_min, new_max); !st)
    return ControlError{st.error().code == RegistryErrc::invalid ? 400u : 500u, st.error().message};
  f->min_override = new_min;
  f->max_override = new_max;
  f->scaler = make_autoscaler(f->spec, new_min, new_max, options_.tick, clock_.now());
  if (f->replicas.serving_or_starting(f->revision) < new_min) scale_to(*f, static_cast<std::uint32_t>(new_min), "min_scale");
  return nlohmann::json{{"name", name}, {"min", new_min}, {"max", new_max}};
}

nlohmann::json Controller::status(const std::string& name, bool detailed) const {
  const auto* f = find(name);
  if (!f) return nullptr;
  auto c = f->replicas.counts();
  auto load = gateway_.load(name);
  std::string state;
  if (f->backoff_until > clock_.now()) state = "crash-loop";
  else if (c.ready > 0) state = "ready";
  else if (c.starting > 0) state = "starting";
  else if (c.paused > 0) state = "paused";
  else state = "scaled-to-zero";
  nlohmann::json j{
      {"name", name},
      {"revision", f->revision},
      {"image", f->image},
      {"state", state},
      {"replicas", {{"starting", c.starting}, {"ready", c.ready}, {"draining", c.draining}, {"paused", c.paused}, {"stopped", c.stopped}}},
      {"desired", f->desired},
      {"panic", f->panic},
      {"reason", f->last_reason},
      {"min", f->effective_min()},
      {"max", f->effective_max()},
      {"policy", std::string(to_string(f->spec.scale.policy))},
      {"inflight", load.inflight},
      {"queued", load.queued},
      {"requests", load.requests_total},
      {"urls", {"http://" + name + "." + options_.domains.front() + ":" + std::to_string(options_.gateway_port) + "/",
                "http://" + options_.gateway_host + ":" + std::to_string(options_.gateway_port) + "/fn/" + name + "/"}},
  };
  j["keep_alive_plan"] = f->keep_alive_plan.empty() ? nlohmann::json(nullptr) : nlohmann::json(f->keep_alive_plan);
  j["last_cold_start"] = nullptr;
  if (f->last_cold_start)
    j["last_cold_start"] = {{"tier", f->last_cold_start->first}, {"seconds", f->last_cold_start->second}};
  // Why it cannot serve now; and the last failure, kept after a replica has served again.
  j["not_ready_reason"] = f->failure_current ? nlohmann::json(f->failure) : nlohmann::json(nullptr);
  j["last_failure"] = nullptr;
  if (!f->failure.empty())
    j["last_failure"] = {{"message", f->failure}, {"seconds_ago", seconds_between(f->failure_at, clock_.now())}};
  if (detailed) {
    j["spec"] = to_json(f->spec);
    j["revisions"] = nlohmann::json::array();
    if (auto revisions = registry_.list_revisions(name))
      for (const auto& r : *revisions)
        j["revisions"].push_back({{"revision", r.number}, {"image", r.image_id},
                                  {"created_at", std::chrono::duration_cast<std::chrono::seconds>(r.created_at.time_since_epoch()).count()},
                                  {"current", r.number == f->revision}});
    j["replica_list"] = nlohmann::json::array();
    for (const auto& s : f->replicas.slots())
      j["replica_list"].push_back({{"slot", s.index}, {"phase", to_string(s.phase)}, {"revision", s.revision},
                                   {"container", s.replica_id}, {"sandbox", s.sandbox_id}, {"host_port", s.host_port}});
    if (!f->failure_logs.empty()) j["failure_logs"] = f->failure_logs;
  }
  return j;
}

nlohmann::json Controller::list() const {
  nlohmann::json out{{"functions", nlohmann::json::array()}};
  for (const auto& [name, f] : functions_) out["functions"].push_back(status(name, false));
  return out;
}

std::vector<std::string> Controller::replica_container_ids(const std::string& name) const {
  std::vector<std::string> ids;
  if (const auto* f = find(name))
    for (const auto& s : f->replicas.slots())
      if (!s.replica_id.empty()) ids.push_back(s.replica_id);
  return ids;
}

}  // namespace svl::orchestrator
