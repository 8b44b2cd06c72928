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

const std::vector<std::string> kFunctions{"a", "b", "c"};
constexpr std::uint64_t kMemory = 64ull << 20;
constexpr auto kStartTimeout = 2s;
}  // namespace

World::World(std::uint64_t seed) : rng_(seed) {
  now_ = TimePoint{} + std::chrono::hours(1000);
  options_.instance = "sim";
  options_.tick = 1s;
  options_.stop_grace = 3s;
  options_.idle_slot_ttl = 5s;
  options_.memory_budget = 4 * kMemory;
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
            [&](step::Log& s) { log("core: " + s.line); },
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
              c.role = "sandbox";
              c.labels = s.spec.labels;
              c.function = s.spec.labels.at(names::function);
              c.state = "running";
              c.host_port = next_port_++;
              containers_[c.id] = c;
              Outcome o;
              o.op = s.op;
              o.id = c.id;
              o.host_port = c.host_port;
              complete(OpKind::create_sandbox, o, 0ms);
            });
          },
          [&](const step::CreateReplica& s) {
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
  for (const auto& [id, c] : containers_) out.push_back(Observed{id, id, c.labels, c.state, c.host_port});
  return out;
}

// ---- the gateway's side ---------------------------------------------------------------------

void World::answer(gateway::Token t, unsigned status) {
  auto& r = requests_[t];
  if (r.crashed) return;
  if (++r.answers > 1 && broken_.empty()) broken_ = "request " + std::to_string(t) + " answered twice";
  r.status = status;
  log("request " + std::to_string(t) + " of " + r.function + " answered " + std::to_string(status));
}

void World::request(const std::string& fn) {
  auto it = routes_.find(fn);
  if (!core_ || it == routes_.end()) return;  // unknown function: the gateway's 404, not held
  const auto t = next_token_++;
  requests_[t] = Request{fn, now_};
  log("request " + std::to_string(t) + " of " + fn);
  gateway::Actions a;
  it->second.dispatcher->request_arrived(t, now_, a);
  apply_actions(fn, a);
}

void World::gateway_tick(const std::string& fn) {
  auto it = routes_.find(fn);
  if (it == routes_.end()) return;
  gateway::Actions a;
  it->second.dispatcher->tick(now_, a);
  apply_actions(fn, a);
  if (auto d = it->second.dispatcher->next_deadline()) at(*d, [this, fn] { gateway_tick(fn); });
}

void World::apply_actions(const std::string& fn, gateway::Actions& actions) {
  using K = gateway::Action::Kind;
  for (auto& x : actions) {
    switch (x.kind) {
      case K::dispatch: {
        requests_[x.token].dispatched = true;
        routes_[fn].dispatched[x.token] = x.replica;
        Container* c = find(x.replica);
        if (!c || c->state != "running") {
          at(now_ + 1ms, [this, fn, t = x.token, rep = x.replica] {
            auto it = routes_.find(fn);
            if (it == routes_.end() || !it->second.dispatched.count(t)) return;
            it->second.dispatched.erase(t);
            requests_[t].dispatched = false;
            gateway::Actions a;
            it->second.dispatcher->connect_failed(t, rep, now_, a);
            apply_actions(fn, a);
            core_input([fn, rep, this](Reconciler& r, Steps& o) { r.unreachable(fn, rep, now_, o); });
          });
          break;
        }
        at(now_ + uniform(2, 60), [this, fn, t = x.token, rep = x.replica] {
          Container* c = find(rep);
          finish_request(fn, t, rep, c && c->state == "running" ? 200 : 502);
        });
        break;
      }
      case K::hold:
        if (auto d = routes_[fn].dispatcher->next_deadline()) at(*d, [this, fn] { gateway_tick(fn); });
        break;
      case K::reject_queue_full: answer(x.token, 503); break;
      case K::fail_timeout: answer(x.token, 504); break;
      case K::fail_held: answer(x.token, 503); break;
      case K::capacity_needed:
        core_input([fn, this](Reconciler& r, Steps& o) { r.demand(fn, now_, o); });
        break;
      case K::replica_drained:
        core_input([fn, rep = x.replica, this](Reconciler& r, Steps& o) { r.drained(fn, rep, now_, o); });
        break;
    }
  }
}

void World::finish_request(const std::string& fn, gateway::Token t, const std::string& replica, unsigned status) {
  auto it = routes_.find(fn);
  if (it != routes_.end() && it->second.dispatched.erase(t)) {
    gateway::Actions a;
    it->second.dispatcher->request_finished(t, replica, now_, a);
    apply_actions(fn, a);
  }
  answer(t, status);
}

// ---- the admin side and the daemon's life ---------------------------------------------------

void World::deploy(const std::string& fn) {
  if (!core_) return;
  if (core_->removing(fn)) {  // the admin operation waits for the removal to finish
    at(now_ + 50ms, [this, fn] { deploy(fn); });
    return;
  }
  auto& revs = registry_[fn];
  const long rev = revs.empty() ? 1 : revs.back() + 1;
  revs.push_back(rev);
  current_[fn] = rev;
  if (rev > 1 && chance(faults_.crash_at_start)) bad_revisions_.insert(fn + ":" + std::to_string(rev));
  log("deploy " + fn + " revision " + std::to_string(rev));
  const auto cfg = config(fn, rev);
  core_input([cfg, this](Reconciler& r, Steps& o) {
    if (!r.find(cfg.name)) r.load(cfg, false, now_, o);
    else r.apply(cfg, now_, o);
    r.deployed(cfg.name, now_, o);
  });
}

void World::remove(const std::string& fn) {
  if (!core_ || !registry_.count(fn)) return;
  registry_.erase(fn);  // the registry row goes first
  current_.erase(fn);
  overrides_.erase(fn);
  log("remove " + fn);
  Steps out;
  core_->remove(fn, now_, out);  // in the same turn of the control thread
  execute(std::move(out));
}

void World::start_daemon() {
  core_ = std::make_unique<Reconciler>(options_, [this](const std::string& fn) { return load(fn); });
  Steps out;
  for (const auto& [fn, rev] : current_) core_->load(config(fn, rev), true, now_, out);
  execute(std::move(out));
  const auto g = daemon_generation_;
  at(now_ + uniform(5, 30), [this, g] {
    if (g != daemon_generation_ || !core_) return;
    Steps o;
    core_->adopt(list(), now_, o);
    execute(std::move(o));
  });
  at(now_ + 1s, [this, g] { tick(g); });
}

void World::tick(std::uint64_t generation) {
  if (generation != daemon_generation_ || !core_) return;
  Steps out;
  core_->tick(now_, out);
  execute(std::move(out));
  at(now_ + 1s, [this, generation] { tick(generation); });
}

void World::crash_daemon() {
  log("daemon killed");
  ++daemon_generation_;
  core_.reset();
  for (auto& [t, r] : requests_)
    if (r.answers == 0) r.crashed = true;  // its connection closed with the process
  routes_.clear();
  at(now_ + uniform(100, 600), [this] {
    log("daemon restarted");
    start_daemon();
  });
}

void World::random_input() {
  if (!injecting_) return;
  const int roll = std::uniform_int_distribution<int>(0, 999)(rng_);
  const std::string fn = kFunctions[std::uniform_int_distribution<std::size_t>(0, kFunctions.size() - 1)(rng_)];
  Duration next = uniform(5, 80);
  if (roll < 600) {
    request(fn);
  } else if (roll < 630) {
    for (int i = 0; i < 20; ++i) request(fn);
  } else if (roll < 670) {
    deploy(fn);
  } else if (roll < 680) {
    remove(fn);
  } else if (roll < 690) {
    if (core_ && registry_.count(fn) && registry_[fn].size() > 1) {
      const long to = registry_[fn][registry_[fn].size() - 2];
      current_[fn] = to;
      log("rollback (admin) " + fn + " to " + std::to_string(to));
      const auto cfg = config(fn, to);
      core_input([cfg, this](Reconciler& r, Steps& o) {
        r.apply(cfg, now_, o);
        r.deployed(cfg.name, now_, o);
      });
    }
  } else if (roll < 710) {
    if (core_ && registry_.count(fn)) {
      const long min = std::uniform_int_distribution<long>(0, 1)(rng_), max = std::uniform_int_distribution<long>(1, 3)(rng_);
      overrides_[fn] = {min, std::max(min, max)};
      log("scale " + fn);
      const auto cfg = config(fn, current_[fn]);
      core_input([cfg, this](Reconciler& r, Steps& o) {
        r.apply(cfg, now_, o);
        r.deployed(cfg.name, now_, o);
      });
    }
  } else if (roll < 720) {
    log("docker unavailable");
    faults_.unavailable = 0.7;
    at(now_ + uniform(200, 2000), [this] {
      faults_.unavailable = 0;
      log("docker back");
      // The events stream reconnects, and the controller lists again.
      if (!core_) return;
      core_input([this](Reconciler& r, Steps& o) { r.adopt(list(), now_, o); });
    });
  } else if (roll < 730) {
    log("events stream dropped");
    events_flowing_ = false;
    at(now_ + uniform(100, 1500), [this] {
      events_flowing_ = true;
      log("events stream back");
      if (core_) core_input([this](Reconciler& r, Steps& o) { r.adopt(list(), now_, o); });
    });
  } else if (roll < 750) {
    std::vector<std::string> running;
    for (const auto& [id, c] : containers_)
      if (c.role == "replica" && c.state == "running") running.push_back(id);
    if (!running.empty()) {
      const auto& id = running[std::uniform_int_distribution<std::size_t>(0, running.size() - 1)(rng_)];
      const bool oom = chance(0.3);
      log("container " + id + (oom ? " killed for memory" : " died"));
      container_died(id, oom ? 137 : 1, oom);
    }
  } else if (roll < 755) {
    if (core_) crash_daemon();
  } else if (roll < 765) {
    for (const auto& [id, c] : containers_)
      if (c.role == "sandbox" && c.state == "running" && chance(0.3)) {
        log("sandbox " + id + " died");
        container_died(id, 137, false);
        break;
      }
  } else if (roll < 780) {
    faults_.failed = faults_.failed > 0 ? 0 : 0.05;
  } else if (roll < 850) {
    next = uniform(1000, 7000);  // a quiet spell: functions go down the tiers
  }
  at(now_ + next, [this] { random_input(); });
}

// ---- invariants -----------------------------------------------------------------------------

std::string World::check_always() {
  for (const auto& [fn, route] : routes_)
    if (!registry_.count(fn)) return "function " + fn + " has a route but no registry row";
  for (const auto& [t, r] : requests_) {
    if (r.answers > 1) return "request " + std::to_string(t) + " answered " + std::to_string(r.answers) + " times";
    if (r.answers == 0 && !r.crashed && !r.dispatched && now_ - r.arrived > kStartTimeout + 5ms)
      return "request " + std::to_string(t) + " of " + r.function + " held past its timeout";
  }
  return {};
}

std::string World::check_settled() {
  for (const auto& [t, r] : requests_)
    if (!r.crashed && r.answers != 1)
      return "request " + std::to_string(t) + " of " + r.function + " answered " + std::to_string(r.answers) + " times";
  if (!core_) return "the daemon is not running";
  for (const auto& [id, c] : containers_) {
    if (!registry_.count(c.function)) return "container " + id + " of " + c.function + ", which the registry does not hold";
    const auto* f = core_->find(c.function);
    const bool known = f && std::any_of(f->replicas().slots().begin(), f->replicas().slots().end(),
                                        [&](const Slot& s) { return s.sandbox_id == id || s.replica_id == id; });
    if (!known) return "container " + id + " (" + c.role + " of " + c.function + ", " + c.state + ") is unknown to the controller";
  }
  for (const auto& [fn, rev] : current_) {
    const auto* f = core_->find(fn);
    if (!f) return "function " + fn + " is in the registry but not in the controller";
    if (f->revision() != rev)
      return "function " + fn + " runs revision " + std::to_string(f->revision()) + ", the registry says " + std::to_string(rev);
  }
  if (core_->held_bytes() > *options_.memory_budget) return "memory budget exceeded once settled";
  return {};
}

std::string World::run(Duration duration) {
  for (const auto& fn : kFunctions) registry_[fn];
  registry_.clear();
  start_daemon();
  for (const auto& fn : kFunctions) deploy(fn);
  at(now_ + 10ms, [this] { random_input(); });
  const TimePoint stop_injecting = now_ + duration;
  at(stop_injecting, [this] {
    injecting_ = false;
    faults_ = Faults{};
    events_flowing_ = true;
    log("settling");
    if (!core_) start_daemon();
    else core_input([this](Reconciler& r, Steps& o) { r.adopt(list(), now_, o); });
  });
  const TimePoint end = stop_injecting + 40s;
  while (!queue_.empty() && broken_.empty()) {
    auto ev = queue_.top();
    if (ev.t > end) break;
    queue_.pop();
    now_ = ev.t;
    ev.a();
    ++steps_;
    if (broken_.empty())
      if (auto e = check_always(); !e.empty()) broken_ = e;
  }
  if (broken_.empty()) broken_ = check_settled();
  return broken_;
}

}  // namespace svl::sim
