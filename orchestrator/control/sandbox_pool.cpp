#include "orchestrator/control/sandbox_pool.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "orchestrator/control/names.hpp"

namespace svl::control {

SandboxPool::SandboxPool(const CoreOptions& options) : options_(options) {
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(std::hash<std::string>{}(options.instance)));
  tag_ = tag;
}

std::optional<Spare> SandboxPool::claim(TimePoint now) {
  if (!enabled()) return std::nullopt;
  wakes_.push_back(now);
  if (spares_.empty()) return std::nullopt;
  auto it = spares_.begin();
  Spare spare{it->first, it->second};
  spares_.erase(it);
  ++claimed_;
  return spare;
}

int SandboxPool::target(bool wanted, TimePoint now) const {
  if (!enabled() || !wanted) return 0;
  const auto recent = std::count_if(wakes_.begin(), wakes_.end(), [&](TimePoint t) { return now - t <= options_.pool_window; });
  return std::clamp(static_cast<int>(recent), 1, std::max(1, options_.pool_max));
}

void SandboxPool::remove(const std::string& id, Steps& out) {
  const int op = next_op_++;
  removing_[op] = id;
  out.push_back(step::Remove{Op{"", kPoolEpoch, op, 0}, {id}});
}

void SandboxPool::plan(bool wanted, bool quiet, TimePoint now, Steps& out) {
  while (!wakes_.empty() && now - wakes_.front() > options_.pool_window) wakes_.pop_front();
  for (int op : retry_)
    if (auto it = removing_.find(op); it != removing_.end()) out.push_back(step::Remove{Op{"", kPoolEpoch, op, 0}, {it->second}});
  retry_.clear();
  const int want = target(wanted, now);
  while (static_cast<int>(spares_.size()) > want) {  // the newest go first (std::map: the largest name)
    const std::string id = std::prev(spares_.end())->first;
    spares_.erase(std::prev(spares_.end()));
    remove(id, out);
  }
  if (!quiet || !creating_.empty() || static_cast<int>(spares_.size()) >= want) return;
  const int op = next_op_++;
  creating_.insert(op);
  std::map<std::string, std::string> labels{{names::managed, "true"}, {names::role, "pool"}, {names::instance, options_.instance}};
  if (auto eq = options_.extra_label.find('='); eq != std::string::npos)
    labels[options_.extra_label.substr(0, eq)] = options_.extra_label.substr(eq + 1);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  out.push_back(step::CreateSandbox{Op{"", kPoolEpoch, op, 0},
                                    SandboxSpec{names::pool_sandbox_name(tag_, ms * 1000 + op % 1000), labels, 0}});
}

void SandboxPool::created(const Outcome& o, Steps& out) {
  creating_.erase(o.op.slot);
  if (!o.ok() || o.id.empty()) {  // nothing of a failed create is left behind
    out.push_back(step::Log{"could not make a spare sandbox: " + o.message});
    return;
  }
  if (std::any_of(removing_.begin(), removing_.end(), [&](const auto& r) { return r.second == o.id; })) return;
  spares_.emplace(o.id, o.reach);  // already there when a resync adopted it first
}

void SandboxPool::removed(const Outcome& o) {
  if (o.ok() || o.fault == Fault::not_found) removing_.erase(o.op.slot);
  else if (removing_.count(o.op.slot)) retry_.insert(o.op.slot);
}

bool SandboxPool::event(const RuntimeEvent& e, Steps& out) {
  if (std::any_of(removing_.begin(), removing_.end(), [&](const auto& r) { return r.second == e.id; })) return true;
  auto it = spares_.find(e.id);
  if (it == spares_.end()) return false;
  spares_.erase(it);
  if (e.kind != RuntimeEvent::Kind::destroyed) remove(e.id, out);
  return true;
}

void SandboxPool::adopt(const std::string& id, const Reach& reach) {
  if (!knows(id)) spares_.emplace(id, reach);
}

bool SandboxPool::knows(const std::string& id) const {
  return spares_.count(id) > 0 ||
         std::any_of(removing_.begin(), removing_.end(), [&](const auto& r) { return r.second == id; });
}

}  // namespace svl::control
