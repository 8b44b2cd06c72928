#include "tests/control/sim_world.hpp"

// The world's outside: requests through the gateway's Dispatcher, deploys and removals, the
// daemon's crashes and restarts, and the seeded schedule that mixes them.

namespace svl::sim {

using namespace std::chrono_literals;
using namespace control;

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
  ++removals_[fn];
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
  if (roll < 590) {
    request(fn);
  } else if (roll < 600) {
    if (core_) {  // svl dev saved a mounted file
      log("restart (admin) " + fn);
      core_input([fn, this](Reconciler& r, Steps& o) { r.restart(fn, now_, o); });
    }
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

}  // namespace svl::sim
