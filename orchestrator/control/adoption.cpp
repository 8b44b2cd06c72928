#include "orchestrator/control/adoption.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "orchestrator/control/names.hpp"

namespace svl::control {
namespace {

std::string label(const Observed& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? std::string() : it->second;
}

int number(const std::string& text, int fallback) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return fallback;
  return std::atoi(text.c_str());
}

}  // namespace

namespace {

bool tracked(const std::map<std::string, AdoptionView>& functions, const std::string& id) {
  for (const auto& [name, view] : functions)
    for (const auto& s : view.replicas->slots())
      if (s.sandbox_id == id || s.replica_id == id) return true;
  return false;
}

// The pool's sandboxes: a spare, a stray, or (seen as a sandbox of that function and slot) the
// home of the replica that joined it. Everything else as listed.
std::vector<Observed> sort_pool(const std::vector<Observed>& listed, const std::map<std::string, AdoptionView>& functions,
                                bool pool, const std::set<std::string>& leave, AdoptionPlan& plan) {
  std::map<std::string, const Observed*> joined;  // sandbox id -> the replica in it
  for (const auto& c : listed)
    if (label(c, names::role) == "replica" && !c.home.empty()) joined[c.home] = &c;
  std::vector<Observed> rest;
  for (const auto& c : listed) {
    if (leave.count(c.id)) continue;
    if (label(c, names::role) != "pool") {
      rest.push_back(c);
      continue;
    }
    if (tracked(functions, c.id)) continue;  // a resync: its slot has it
    if (auto j = joined.find(c.id); j != joined.end()) {
      Observed as = c;
      const std::string fn = label(*j->second, names::function);
      as.labels[names::role] = "sandbox";
      as.labels[names::function] = fn;
      as.labels[names::slot] = label(*j->second, names::slot);
      auto f = functions.find(fn);
      as.labels[names::port] = std::to_string(f == functions.end() ? 0 : f->second.port);
      rest.push_back(std::move(as));
      continue;
    }
    if (pool && !c.claimed && c.state == "running" && c.reach.known()) plan.spares.push_back({c.id, c.reach});
    else plan.strays.push_back(c.id);
  }
  return rest;
}

}  // namespace

AdoptionPlan plan_adoption(const std::vector<Observed>& all, const std::map<std::string, AdoptionView>& functions,
                           bool pool, const std::set<std::string>& leave) {
  AdoptionPlan plan;
  const std::vector<Observed> listed = sort_pool(all, functions, pool, leave, plan);
  std::set<std::pair<std::string, int>> adopted_slots;  // sandboxes adopted in this pass
  // Sandboxes first: a replica needs its slot.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& c : listed) {
      const std::string role = label(c, names::role);
      if ((pass == 0) != (role == "sandbox")) continue;
      const std::string fn = label(c, names::function);
      const int slot_index = number(label(c, names::slot), -1);
      auto f = functions.find(fn);
      if (f != functions.end() && f->second.removing) continue;  // its removal is under way
      if (f == functions.end() || slot_index < 0 || (role != "sandbox" && role != "replica")) {
        plan.strays.push_back(c.id);
        continue;
      }
      const AdoptionView& view = f->second;
      const Slot* slot = view.replicas->find_slot(slot_index);
      const bool known = std::any_of(view.replicas->slots().begin(), view.replicas->slots().end(),
                                     [&](const Slot& s) { return s.sandbox_id == c.id || s.replica_id == c.id; });
      if (known) continue;  // already tracked (a resync)
      if (role == "sandbox") {
        if (slot && slot->sandbox == SandboxState::creating) continue;  // the create in flight made it
        const int port = number(label(c, names::port), 0);
        if (slot || c.state != "running" || port != view.port || !c.reach.known() ||
            !adopted_slots.insert({fn, slot_index}).second) {
          plan.strays.push_back(c.id);
          continue;
        }
        plan.sandboxes.push_back({fn, slot_index, c.id, port, c.reach});
        continue;
      }
      const long revision = number(label(c, names::revision), 0);
      const bool slot_known = slot || adopted_slots.count({fn, slot_index});
      if (slot && slot->phase == Phase::creating && slot->replica_id.empty()) continue;  // created in flight
      if (revision != view.revision || !slot_known || (slot && (slot->has_replica() || slot->busy))) {
        plan.strays.push_back(c.id);
        continue;
      }
      Phase phase;
      if (c.state == "running") phase = Phase::ready;
      else if (c.state == "paused") phase = Phase::paused;
      else if (c.state == "created" || c.state == "exited") phase = Phase::stopped;
      else if (c.state == "stopping") phase = Phase::stopping;  // still in its grace: not ready
      else {
        plan.strays.push_back(c.id);
        continue;
      }
      plan.replicas.push_back({fn, slot_index, c.id, c.name, revision, phase});
    }
  }
  return plan;
}

}  // namespace svl::control
