#include "tests/control/sim_world.hpp"

#include "common/overloaded.hpp"

#include <algorithm>
#include <sstream>

#include "orchestrator/control/names.hpp"

namespace svl::sim {

using namespace std::chrono_literals;
using namespace control;
namespace names = control::names;

namespace {
using svl::overloaded;
constexpr std::uint64_t kMemory = 64ull << 20;
}  // namespace

World::World(std::uint64_t seed) : rng_(seed) {
  now_ = TimePoint{} + std::chrono::hours(1000);
  options_.instance = "sim";
  options_.tick = 1s;
  options_.stop_grace = 3s;
  options_.idle_slot_ttl = 5s;
  options_.memory_budget = 4 * kMemory;
  options_.sandbox_pool = seed % 2 == 0;  // half the schedules with the spare pool
  faults_.crash_at_start = 0.15;
}

Duration World::uniform(int lo_ms, int hi_ms) {
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(lo_ms, hi_ms)(rng_));
}
bool World::chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

void World::log(std::string line) {
  std::ostringstream t;
  t << std::chrono::duration_cast<std::chrono::milliseconds>(now_ - (TimePoint{} + std::chrono::hours(1000))).count()
    << "ms " << line;
  trace_.push_back(t.str());
  if (trace_.size() > 400) trace_.erase(trace_.begin(), trace_.begin() + 100);
}

void World::at(TimePoint t, Action a) { queue_.push(Event{std::max(t, now_), seq_++, std::move(a)}); }

void World::replace_named(const std::string& name) {
  for (auto it = containers_.begin(); it != containers_.end(); ++it)
    if (it->second.name == name) {
      const std::string id = it->first;
      container_died(id, 137, false);
      containers_.erase(id);
      return;
    }
}

Container* World::find(const std::string& id) {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : &it->second;
}

control::Load World::load(const std::string& fn) const {
  auto it = routes_.find(fn);
  if (it == routes_.end()) return {};
  auto l = it->second.dispatcher->load(now_);
  return control::Load{l.inflight, l.queued, l.concurrency_integral, l.requests_total, l.last_request_end};
}

control::FunctionConfig World::config(const std::string& fn, long revision) const {
  control::FunctionConfig c;
  c.name = fn;
  c.revision = revision;
  c.image = "img-" + fn + "-" + std::to_string(revision);
  c.spec.name = fn;
  c.spec.scale.policy = orchestrator::ScalePolicy::fixed;
  c.spec.scale.pause_after = 1s;
  c.spec.scale.idle_timeout = 2s;
  c.spec.scale.remove_after = 4s;
  c.spec.scale.max = 3;
  c.spec.scale.queue = 40;
  c.spec.scale.container_concurrency = 4;
  c.spec.health.start_timeout = kStartTimeout;
  c.spec.resources.memory_bytes = kMemory;
  if (auto o = overrides_.find(fn); o != overrides_.end()) {
    c.min_override = o->second.first;
    c.max_override = o->second.second;
  }
  return c;
}

// Inputs reach the core one at a time, each as its own event, as posts reach the control thread.
void World::core_input(std::function<void(Reconciler&, Steps&)> input) {
  const auto generation = daemon_generation_;
  at(now_, [this, generation, input = std::move(input)] {
    if (!core_ || generation != daemon_generation_) return;
    Steps out;
    input(*core_, out);
    execute(std::move(out));
  });
}

void World::execute(Steps steps) {
  for (auto& step : steps) {
    std::visit(
        overloaded{
            [&](step::Route& s) {
              auto& r = routes_[s.route.name];
              gateway::DispatchLimits limits{s.route.container_concurrency, s.route.max_queue, s.route.start_timeout};
              if (!r.dispatcher) {
                r.dispatcher = std::make_unique<gateway::Dispatcher>(limits, now_);
              } else {
                gateway::Actions a;
                r.dispatcher->set_limits(limits, now_, a);
                apply_actions(s.route.name, a);
              }
            },
            [&](step::Unroute& s) {
              auto it = routes_.find(s.function);
              if (it == routes_.end()) return;
              gateway::Actions a;
              it->second.dispatcher->fail_held(now_, a);
              for (auto& x : a)
                if (x.kind == gateway::Action::Kind::fail_held) answer(x.token, 404);
              routes_.erase(it);  // in-flight requests finish on their connections
            },
            [&](step::Serve& s) {
              if (auto it = routes_.find(s.function); it != routes_.end()) {
                gateway::Actions a;
                it->second.dispatcher->replica_added(s.endpoint.id, now_, a);
                apply_actions(s.function, a);
              }
            },
            [&](step::Drain& s) {
              if (auto it = routes_.find(s.function); it != routes_.end()) {
                gateway::Actions a;
                it->second.dispatcher->replica_draining(s.replica, now_, a);
                apply_actions(s.function, a);
              }
            },
            [&](step::Unserve& s) {
              if (auto it = routes_.find(s.function); it != routes_.end()) {
                gateway::Actions a;
                it->second.dispatcher->replica_removed(s.replica, now_, a);
                apply_actions(s.function, a);
              }
            },
            [&](step::FailHeld& s) {
              if (auto it = routes_.find(s.function); it != routes_.end()) {
                gateway::Actions a;
                it->second.dispatcher->fail_held(now_, a);
                for (auto& x : a)
                  if (x.kind == gateway::Action::Kind::fail_held) answer(x.token, 503);
              }
            },
            [&](step::Timer& s) {
              const auto g = daemon_generation_;
              at(s.at, [this, g, fn = s.function] {
                if (g == daemon_generation_) core_input([fn, this](Reconciler& c, Steps& o) { c.timer(fn, now_, o); });
              });
            },
            [&](step::RollBack& s) {
              if (!registry_.count(s.function)) return;
              current_[s.function] = s.to_revision;
              log("rollback " + s.function + " to " + std::to_string(s.to_revision));
              const auto cfg = config(s.function, s.to_revision);
              core_input([cfg, this](Reconciler& c, Steps& o) {
                c.apply(cfg, now_, o);
                o.push_back(step::Timer{cfg.name, now_});
              });
            },
            [&](step::Log& s) {
              if (s.line.starts_with("spare sandbox ")) ++claims_;
              log("core: " + s.line);
            },
            [&](step::Resync&) {
              const auto g = daemon_generation_;
              const bool down = chance(faults_.unavailable);
              at(now_ + (down ? 2000ms : uniform(5, 20)), [this, g, down] {
                if (g != daemon_generation_ || !core_) return;
                core_input([this, down](Reconciler& r, Steps& o) {
                  if (down) r.runtime_unavailable("Cannot connect to the Docker daemon", o);
                  else r.adopt(list(), now_, o);
                });
              });
            },
            [&](step::NotReady&) {},
            [&](step::ColdStart&) {},
            [&](step::Usage&) {},
            [&](step::ScaleEvent&) {},
            [&](auto& s) { runtime_step(Step{s}); },
        },
        step);
  }
  if (auto e = check_always(); !e.empty() && broken_.empty()) broken_ = e;
}

void World::complete(OpKind kind, Outcome o, Duration latency) {
  const auto generation = daemon_generation_;
  at(now_ + latency, [this, kind, o = std::move(o), generation] {
    if (generation != daemon_generation_) return;  // the daemon that asked died
    static const char* kinds[] = {"create_sandbox", "create_replica", "start", "unpause", "probe", "pause",
                                  "stop", "kill", "remove_replica", "remove_slot", "read_logs"};
    if (kind != OpKind::read_logs)
      log(std::string("  ") + kinds[static_cast<int>(kind)] + " " + o.op.function + "/" + std::to_string(o.op.slot) +
          "#" + std::to_string(o.op.generation) + (o.ok() ? " ok " + o.id : " failed: " + o.message));
    core_input([kind, o, this](Reconciler& c, Steps& out) { c.outcome(kind, o, now_, out); });
  });
}

void World::runtime_step(const Step& step) {
  const bool down = chance(faults_.unavailable), refused = !down && chance(faults_.failed);
  auto fault_outcome = [&](const Op& op, OpKind kind) {
    if (!down && !refused) return false;
    Outcome o;
    o.op = op;
    o.fault = down ? Fault::unavailable : Fault::failed;
    o.message = down ? "Cannot connect to the Docker daemon" : "refused";
    complete(kind, o, down ? 2000ms : uniform(1, 10));  // a timeout takes the client's whole budget
    return true;
  };
  std::visit(
      overloaded{
          [&](const step::CreateSandbox& s) {
            if (fault_outcome(s.op, OpKind::create_sandbox)) return;
            const auto lat = uniform(150, 300);
            at(now_ + lat, [this, s] {
              replace_named(s.spec.name);
              Container c;
              c.id = "c" + std::to_string(next_id_++);
              c.name = s.spec.name;
              c.labels = s.spec.labels;
              c.role = s.spec.labels.at(names::role);
              c.function = c.role == "pool" ? "" : s.spec.labels.at(names::function);
              c.state = "running";
              c.host_port = next_port_++;
              containers_[c.id] = c;
              Outcome o;
              o.op = s.op;
              o.id = c.id;
              o.reach.host_port = c.host_port;
              complete(OpKind::create_sandbox, o, 0ms);
            });
          },
          [&](const step::CreateReplica& s) {
            if (Container* home = find(s.spec.home)) home->claimed = true;  // noted before the call
            if (fault_outcome(s.op, OpKind::create_replica)) return;
            at(now_ + uniform(20, 50), [this, s] {
              Outcome o;
              o.op = s.op;
              Container* home = find(s.spec.home);
              if (!home || home->state != "running") {
                o.fault = Fault::failed;
                o.message = "cannot join network of a non running container";
              } else {
                replace_named(s.spec.name);
                Container c;
                c.id = "c" + std::to_string(next_id_++);
                c.name = s.spec.name;
                c.role = "replica";
                c.labels = s.spec.labels;
                c.function = s.spec.labels.at(names::function);
                c.revision = std::stol(s.spec.labels.at(names::revision));
                c.ignores_sigterm = chance(0.5);
                c.labels["home"] = s.spec.home;
                containers_[c.id] = c;
                o.id = c.id;
              }
              complete(OpKind::create_replica, o, 0ms);
            });
          },
          [&](const step::Start& s) {
            if (fault_outcome(s.op, OpKind::start)) return;
            at(now_ + uniform(40, 80), [this, s] {
              Outcome o;
              o.op = s.op;
              Container* c = find(s.id);
              if (!c) {
                o.fault = Fault::not_found;
              } else if (c->state == "created" || c->state == "exited") {
                c->state = "running";
                c->app_ready_at = now_ + uniform(10, 300);
                if (bad_revisions_.count(c->function + ":" + std::to_string(c->revision)))
                  at(now_ + uniform(5, 50), [this, id = c->id] { container_died(id, 3, false); });
              }
              complete(OpKind::start, o, 0ms);
            });
          },
          [&](const step::Unpause& s) {
            if (fault_outcome(s.op, OpKind::unpause)) return;
            at(now_ + uniform(3, 10), [this, s] {
              Outcome o;
              o.op = s.op;
              Container* c = find(s.id);
              if (!c) o.fault = Fault::not_found;
              else if (c->state != "paused") o.fault = Fault::conflict;
              else c->state = "running";
              complete(OpKind::unpause, o, 0ms);
            });
          },
          [&](const step::Pause& s) {
            if (fault_outcome(s.op, OpKind::pause)) return;
            at(now_ + uniform(3, 10), [this, s] {
              Outcome o;
              o.op = s.op;
              Container* c = find(s.id);
              if (!c) o.fault = Fault::not_found;
              else if (c->state != "running") o.fault = Fault::conflict;
              else c->state = "paused";
              complete(OpKind::pause, o, 0ms);
            });
          },
          [&](const step::Stop& s) {
            if (fault_outcome(s.op, OpKind::stop)) return;
            Container* c = find(s.id);
            if (c && c->state == "paused") c->state = "running";
            const auto lat = c && c->ignores_sigterm ? std::chrono::duration_cast<Duration>(s.grace) : uniform(10, 30);
            at(now_ + lat, [this, s] {
              Outcome o;
              o.op = s.op;
              Container* c = find(s.id);
              if (!c) o.fault = Fault::not_found;
              else if (c->state == "running") container_died(s.id, 0, false);
              complete(OpKind::stop, o, 0ms);
            });
          },
          [&](const step::Kill& s) {
            if (fault_outcome(s.op, OpKind::kill)) return;
            at(now_ + uniform(5, 15), [this, s] {
              Outcome o;
              o.op = s.op;
              Container* c = find(s.id);
              if (!c) o.fault = Fault::not_found;
              else if (c->state != "running" && c->state != "paused") o.fault = Fault::conflict;
              else container_died(s.id, 137, false);
              complete(OpKind::kill, o, 0ms);
            });
          },
          [&](const step::Remove& s) {
            const OpKind kind = s.slot ? OpKind::remove_slot : OpKind::remove_replica;
            if (fault_outcome(s.op, kind)) return;
            at(now_ + uniform(10, 40), [this, s, kind] {
              for (const auto& id : s.ids) {
                Container* c = find(id);
                if (!c) continue;
                if (c->state == "running" || c->state == "paused") container_died(id, 137, false);
                containers_.erase(id);
              }
              Outcome o;
              o.op = s.op;
              complete(kind, o, 0ms);
            });
          },
          [&](const step::ReadLogs& s) {
            Outcome o;
            o.op = s.op;
            o.text = "exiting at start\n";
            complete(OpKind::read_logs, o, uniform(5, 20));
          },
          [&](const step::Probe& s) { probe(s); },
          [&](const auto&) {},
      },
      step);
}

// Readiness: answered once the app listens, or not at all by the deadline.
void World::probe(step::Probe p) {
  const auto generation = daemon_generation_;
  at(now_ + 2ms, [this, p, generation] {
    if (generation != daemon_generation_) return;
    Container* c = find(p.endpoint.id);
    const bool ready = c && c->state == "running" && now_ >= c->app_ready_at;
    if (ready || now_ >= p.deadline || !c || c->state == "exited") {
      Outcome o;
      o.op = p.op;
      if (!ready) o.fault = Fault::failed;
      complete(OpKind::probe, o, 0ms);
      return;
    }
    auto next = std::min(c->app_ready_at, p.deadline);
    auto copy = p;
    at(next, [this, copy] { probe(copy); });
  });
}

void World::container_died(const std::string& id, int code, bool oom) {
  Container* c = find(id);
  if (!c || (c->state != "running" && c->state != "paused")) return;
  c->state = "exited";
  // The namespace owner gone: its replica loses its network and dies with it.
  if (c->role == "sandbox")
    for (auto& [other, r] : containers_)
      if (r.labels.count("home") && r.labels.at("home") == id && r.state == "running")
        at(now_, [this, other = other] { container_died(other, 137, false); });
  if (!events_flowing_) return;
  RuntimeEvent e;
  e.id = id;
  e.function = c->function;
  e.exit_code = code;
  if (oom) {
    RuntimeEvent o = e;
    o.kind = RuntimeEvent::Kind::oom;
    core_input([o, this](Reconciler& r, Steps& out) { r.event(o, now_, out); });
  }
  e.kind = RuntimeEvent::Kind::exited;
  core_input([e, this](Reconciler& r, Steps& out) { r.event(e, now_, out); });
}

std::vector<Observed> World::list() const {
  std::vector<Observed> out;
  for (const auto& [id, c] : containers_) {
    auto home = c.labels.find("home");
    out.push_back(Observed{id, id, c.labels, c.state, {c.host_port}, home == c.labels.end() ? "" : home->second, c.claimed});
  }
  return out;
}

}  // namespace svl::sim
