#include "tests/control/sim_world.hpp"

// What must hold at every step, and once the world has settled.
#include <algorithm>

namespace svl::sim {

using namespace std::chrono_literals;
using namespace control;

// ---- invariants -----------------------------------------------------------------------------

// The spare pool: a spare is claimed by one function at most, ever; a claimed one never goes
// back; the pool stays within its bound.
std::string World::check_pool() {
  if (!core_ || !options_.sandbox_pool) return {};
  for (const auto& [fn, f] : core_->functions())
    for (const auto& s : f->replicas().slots()) {
      const Container* c = find(s.sandbox_id);
      if (!c || c->role != "pool") continue;
      const std::string who = fn + "#" + std::to_string(removals_[fn]);
      auto [it, fresh] = claimer_.emplace(s.sandbox_id, who);
      if (!fresh && it->second != who) return "pool sandbox " + s.sandbox_id + " claimed by " + it->second + " and by " + who;
    }
  for (const auto& [id, reach] : core_->pool().spares())
    if (auto it = claimer_.find(id); it != claimer_.end())
      return "pool sandbox " + id + ", claimed by " + it->second + ", is a spare again";
  const auto spares = core_->pool().spares().size() + static_cast<std::size_t>(core_->pool().creating());
  if (spares > static_cast<std::size_t>(options_.pool_max)) return std::to_string(spares) + " spares, past the bound";
  return {};
}

std::string World::check_always() {
  if (auto e = check_pool(); !e.empty()) return e;
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
  std::size_t spares = 0;
  for (const auto& [id, c] : containers_) {
    if (c.role == "pool") {
      if (!options_.sandbox_pool) return "pool sandbox " + id + " without the pool";
      auto owner = claimer_.find(id);
      if (owner == claimer_.end()) {  // a spare: the pool's
        if (!core_->pool().spares().count(id)) return "spare sandbox " + id + " is unknown to the pool";
        ++spares;
        continue;
      }
      const auto fn = owner->second.substr(0, owner->second.find('#'));
      const auto* f = core_->find(fn);
      const bool held = f && owner->second == fn + "#" + std::to_string(removals_[fn]) &&
                        std::any_of(f->replicas().slots().begin(), f->replicas().slots().end(), [&](const Slot& s) { return s.sandbox_id == id; });
      if (!held) return "pool sandbox " + id + " claimed by " + owner->second + " outlived its slot";
      continue;
    }
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
  if (options_.sandbox_pool && spares == 0 && !registry_.empty()) return "no spare sandbox once settled";
  // The removed tier holds nothing with the pool: a slot whose replica is removed gave its sandbox up.
  for (const auto& [fn, f] : core_->functions())
    for (const auto& s : f->replicas().slots())
      if (options_.sandbox_pool && !f->crash_loop().backing_off(now_) && s.phase == Phase::removed && !s.busy && !s.waking &&
          s.sandbox == SandboxState::ready)
        return "slot " + std::to_string(s.index) + " of " + fn + " keeps its sandbox in the removed tier";
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
