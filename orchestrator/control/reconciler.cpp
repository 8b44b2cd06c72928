#include "orchestrator/control/reconciler.hpp"

#include "orchestrator/control/adoption.hpp"

namespace svl::control {

Reconciler::Reconciler(CoreOptions options, LoadSource loads) : options_(std::move(options)), loads_(std::move(loads)) {
  if (options_.memory_budget) budget_.emplace(*options_.memory_budget);
}

template <class F>
void Reconciler::with(const std::string& name, TimePoint now, Steps& out, F&& f) {
  auto it = functions_.find(name);
  if (it == functions_.end()) return;
  const Load load = loads_(name);
  Context c{load, now, runtime_ok_, budget_ ? this : nullptr, out};
  const std::size_t from = out.size();
  f(*it->second, c);
  claim_spares(*it->second, c, from);
  track_orphans(out, from);
}

void Reconciler::claim_spares(FunctionCore& f, Context& c, std::size_t from) {
  if (!pool_.enabled()) return;
  for (std::size_t i = from; i < c.out.size();) {
    auto* create = std::get_if<step::CreateSandbox>(&c.out[i]);
    if (!create || create->op.function != f.name() || create->op.epoch != f.epoch()) {
      ++i;
      continue;
    }
    auto spare = pool_.claim(c.now);
    if (!spare) {
      ++i;
      continue;
    }
    Outcome o;
    o.op = create->op;
    o.id = spare->id;
    o.reach = spare->reach;
    c.out.erase(c.out.begin() + static_cast<std::ptrdiff_t>(i));
    c.out.push_back(step::Log{"spare sandbox " + o.id.substr(0, 12) + " claimed by " + f.name() + " slot " + std::to_string(o.op.slot)});
    f.outcome(OpKind::create_sandbox, o, c);  // its wake goes on at once: the replica's create
  }
}

void Reconciler::track_orphans(Steps& out, std::size_t from) {
  for (std::size_t i = from; i < out.size(); ++i) {
    auto* r = std::get_if<step::Remove>(&out[i]);
    if (!r || !r->op.function.empty() || r->op.slot >= 0) continue;
    r->op.slot = next_orphan_batch_++;
    orphans_[r->op.slot] = r->ids;
  }
}

const FunctionCore* Reconciler::find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}
FunctionCore* Reconciler::find(const std::string& name) {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}

void Reconciler::load(FunctionConfig config, bool proven, TimePoint now, Steps& out) {
  const std::string name = config.name;
  auto core = std::make_unique<FunctionCore>(std::move(config), next_epoch_++, next_budget_id_++, options_, now);
  if (proven) core->set_proven(core->revision());
  if (wall_) core->plan_at(*wall_);
  if (budget_) budget_->set_function(core->budget_id(), core->spec().resources.memory_bytes, 0.25);
  out.push_back(step::Route{core->route()});
  functions_[name] = std::move(core);
}

void Reconciler::apply(FunctionConfig config, TimePoint now, Steps& out) {
  auto* f = find(config.name);
  if (!f) return;
  f->apply(std::move(config), now, out);
  if (wall_) f->plan_at(*wall_);
  if (budget_)
    budget_->set_function(f->budget_id(), f->spec().resources.memory_bytes,
                          f->last_cold_start() ? f->last_cold_start()->seconds : 0.25);
}

void Reconciler::deployed(const std::string& name, TimePoint now, Steps& out) {
  if (!adopted_) return;
  with(name, now, out, [](FunctionCore& f, Context& c) { f.deployed(c); });
}

void Reconciler::remove(const std::string& name, TimePoint, Steps& out) {
  auto it = functions_.find(name);
  if (it == functions_.end()) return;
  auto& f = *it->second;
  out.push_back(step::Unroute{name});
  Tombstone tomb{f.epoch(), {}, {}};
  for (const auto& s : f.replicas().slots()) {
    std::vector<std::string> ids;
    if (!s.replica_id.empty()) ids.push_back(s.replica_id);
    if (!s.sandbox_id.empty()) ids.push_back(s.sandbox_id);
    if (ids.empty()) continue;
    out.push_back(step::Remove{Op{name, f.epoch(), s.index, 0}, ids, true});
    tomb.pending[s.index] = std::move(ids);
  }
  if (budget_) budget_->forget(f.budget_id());
  functions_.erase(it);
  if (!tomb.pending.empty()) tombstones_[name] = std::move(tomb);
}

void Reconciler::schedule(schedule::sys_seconds wall, TimePoint now, Steps& out) {
  wall_ = wall;
  if (!adopted_) return;
  for (const auto& [name, f] : functions_)
    if (!f->windows().empty()) with(name, now, out, [wall](FunctionCore& core, Context& c) { core.schedule(wall, c); });
}

void Reconciler::demand(const std::string& name, TimePoint now, Steps& out) {
  if (!adopted_) return;  // adopt() asks again
  with(name, now, out, [](FunctionCore& f, Context& c) { f.demand(c); });
}

void Reconciler::timer(const std::string& name, TimePoint now, Steps& out) {
  if (!adopted_) return;
  with(name, now, out, [](FunctionCore& f, Context& c) { f.timer(c); });
}

void Reconciler::tick(TimePoint now, Steps& out) {
  if (!adopted_) return;
  // Nothing else would prove the runtime back when no events come and nothing is tried.
  if (!runtime_ok_) out.push_back(step::Resync{});
  for (auto& [name, f] : functions_) {
    const Load load = loads_(name);
    Context c{load, now, runtime_ok_, budget_ ? this : nullptr, out};
    const std::size_t from = out.size();
    const auto report = f->tick(c);
    claim_spares(*f, c, from);
    if (budget_) budget_->on_invocations(f->budget_id(), report.new_requests);
    out.push_back(step::Usage{name, report.container_seconds,
                              report.container_seconds * static_cast<double>(f->spec().resources.memory_bytes)});
  }
  for (auto& [name, t] : tombstones_) {
    for (int slot : t.retry) out.push_back(step::Remove{Op{name, t.epoch, slot, 0}, t.pending[slot], true});
    t.retry.clear();
  }
  for (int batch : orphan_retry_) out.push_back(step::Remove{Op{"", 0, batch, 0}, orphans_[batch]});
  orphan_retry_.clear();
  if (pool_.enabled() && runtime_ok_) {
    bool quiet = true;  // a spare is never made while a wake is under way: it would slow that wake
    for (const auto& [name, f] : functions_)
      for (const auto& s : f->replicas().slots()) quiet &= !s.waking;
    pool_.plan(!functions_.empty(), quiet, now, out);
  }
  // A wake went past the budget when nothing was idle at that moment: idle replicas are
  // stopped as soon as there are some.
  if (budget_ && runtime_ok_ && held_bytes() > budget_->budget()) make_room_for(nullptr, 0, true, now, out);
}

void Reconciler::outcome(OpKind kind, const Outcome& o, TimePoint now, Steps& out) {
  if (o.ok()) runtime_ok_ = true;  // whatever failed before, the runtime answers again
  if (is_pool_op(o.op)) {
    if (kind == OpKind::create_sandbox) pool_.created(o, out);
    else pool_.removed(o);
    if (o.fault == Fault::unavailable) runtime_unavailable(o.message, out);
    return;
  }
  if (o.op.function.empty()) {  // strays and orphans: nobody waits, but they must go
    if (o.ok() || o.fault == Fault::not_found) orphans_.erase(o.op.slot);
    else if (orphans_.count(o.op.slot)) orphan_retry_.insert(o.op.slot);
    return;
  }
  if (auto t = tombstones_.find(o.op.function); t != tombstones_.end() && t->second.epoch == o.op.epoch) {
    if (kind == OpKind::remove_slot && (o.ok() || o.fault == Fault::not_found)) t->second.pending.erase(o.op.slot);
    else if (kind == OpKind::remove_slot) t->second.retry.insert(o.op.slot);
    if (t->second.pending.empty()) tombstones_.erase(t);
  }
  if (o.fault == Fault::unavailable) runtime_unavailable(o.message, out);
  auto* f = find(o.op.function);
  if (!f || f->epoch() != o.op.epoch) {
    // The function was removed (or removed and deployed again) while this create ran.
    if ((kind == OpKind::create_replica || kind == OpKind::create_sandbox) && o.ok() && !o.id.empty()) {
      out.push_back(step::Remove{Op{}, {o.id}});
      track_orphans(out, out.size() - 1);
    }
    return;
  }
  with(o.op.function, now, out, [&](FunctionCore& fc, Context& c) { fc.outcome(kind, o, c); });
}

void Reconciler::event(const RuntimeEvent& e, TimePoint now, Steps& out) {
  if (!e.function.empty()) return with(e.function, now, out, [&](FunctionCore& f, Context& c) { f.event(e, c); });
  // No function label: a spare of the pool, or one a function has claimed.
  if (pool_.event(e, out)) return;
  for (const auto& [name, f] : functions_)
    for (const auto& s : f->replicas().slots())
      if (s.sandbox_id == e.id) {
        const std::string fn = name;
        return with(fn, now, out, [&](FunctionCore& fc, Context& c) { fc.event(e, c); });
      }
}

void Reconciler::drained(const std::string& name, const std::string& replica_id, TimePoint now, Steps& out) {
  with(name, now, out, [&](FunctionCore& f, Context& c) { f.drained(replica_id, c); });
}

void Reconciler::unreachable(const std::string& name, const std::string& replica_id, TimePoint now, Steps& out) {
  with(name, now, out, [&](FunctionCore& f, Context& c) { f.unreachable(replica_id, c); });
}

bool Reconciler::restart(const std::string& name, TimePoint now, Steps& out) {
  if (!find(name)) return false;
  with(name, now, out, [&](FunctionCore& f, Context& c) { f.restart(c); });
  return true;
}

void Reconciler::adopt(const std::vector<Observed>& listed, TimePoint now, Steps& out) {
  runtime_ok_ = true;
  std::map<std::string, AdoptionView> views;
  for (const auto& [name, f] : functions_) views[name] = {f->revision(), f->spec().port, &f->replicas(), false};
  ReplicaSet none;
  std::set<std::string> leave;  // on their way out already, or the pool's
  for (const auto& [name, t] : tombstones_) {
    views[name] = {0, 0, &none, true};
    for (const auto& [slot, ids] : t.pending) leave.insert(ids.begin(), ids.end());
  }
  for (const auto& [batch, ids] : orphans_) leave.insert(ids.begin(), ids.end());
  for (const auto& c : listed)
    if (pool_.knows(c.id)) leave.insert(c.id);
  auto plan = plan_adoption(listed, views, pool_.enabled(), leave);
  for (const auto& s : plan.spares) pool_.adopt(s.id, s.reach);
  if (!plan.spares.empty()) out.push_back(step::Log{"adopted " + std::to_string(plan.spares.size()) + " spare sandbox(es)"});
  for (const auto& s : plan.sandboxes) {
    find(s.function)->adopt_sandbox(s.slot, s.id, s.port, s.reach, now);
    out.push_back(step::Log{"adopted sandbox " + s.id + " of " + s.function + " slot " + std::to_string(s.slot)});
  }
  for (const auto& r : plan.replicas) {
    find(r.function)->adopt_replica(r.slot, r.id, r.revision, r.phase, now, out);
    out.push_back(step::Log{"adopted " + std::string(to_string(r.phase)) + " replica " + r.name + " of " + r.function});
  }
  if (!adopted_) {
    adopted_ = true;
    for (const auto& [name, f] : functions_)  // requests held while nothing could start
      if (loads_(name).queued > 0) demand(name, now, out);
  }
  if (!plan.strays.empty()) {
    out.push_back(step::Remove{Op{}, plan.strays});
    track_orphans(out, out.size() - 1);
    out.push_back(step::Log{"removed " + std::to_string(plan.strays.size()) + " stray container(s) of this daemon"});
  }
}

void Reconciler::runtime_unavailable(const std::string& message, Steps& out) {
  if (runtime_ok_) out.push_back(step::Log{"Docker is unavailable: " + message});
  runtime_ok_ = false;
  for (const auto& [name, f] : functions_)
    if (loads_(name).queued > 0)
      out.push_back(step::FailHeld{name, step::HeldFailure::runtime_unavailable, "function " + name + " cannot be woken: Docker is unavailable (" + message + ")"});
}

void Reconciler::shutdown(Steps& out) {
  for (const auto& [name, f] : functions_)
    out.push_back(step::FailHeld{name, step::HeldFailure::shutting_down, "svl is shutting down; retry shortly"});
}

std::uint64_t Reconciler::held_bytes() const {
  std::uint64_t held = 0;
  for (const auto& [name, f] : functions_)
    held += static_cast<std::uint64_t>(f->replicas_holding_memory()) * f->spec().resources.memory_bytes;
  return held;
}

bool Reconciler::make_room(const FunctionCore& f, std::uint64_t need, bool evict, TimePoint now, Steps& out) {
  return make_room_for(&f, need, evict, now, out);
}

void Reconciler::cold_start_measured(const FunctionCore& f, double seconds) {
  if (budget_) budget_->set_function(f.budget_id(), f.spec().resources.memory_bytes, seconds);
}

// Past the budget, idle replicas of other functions (nothing in flight or held, min 0) are
// stopped, lowest FaasCache priority first.
bool Reconciler::make_room_for(const FunctionCore* f, std::uint64_t need, bool evict, TimePoint now, Steps& out) {
  if (!budget_) return true;
  const std::uint64_t held = held_bytes();
  if (held + need <= budget_->budget()) return true;
  if (!evict) return false;
  std::map<autoscaler::FunctionId, FunctionCore*> by_id;
  for (auto& [name, g] : functions_) {
    by_id[g->budget_id()] = g.get();
    budget_->set_idle_loaded(g->budget_id(), g.get() != f && g->evictable(loads_(name)));
  }
  std::uint64_t freed = 0;
  for (auto id : budget_->pick_victims(held, need, f ? f->budget_id() : autoscaler::FunctionId{0})) {
    auto* victim = by_id[id];
    for (const auto& s : victim->replicas().slots())
      if (s.phase == Phase::ready || s.phase == Phase::paused) freed += victim->spec().resources.memory_bytes;
    const Load load = loads_(victim->name());
    Context c{load, now, runtime_ok_, this, out};
    victim->evict(c);
  }
  return held - std::min(held, freed) + need <= budget_->budget();
}

}  // namespace svl::control
