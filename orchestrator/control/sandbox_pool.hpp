#pragma once
// Spare sandboxes that belong to no function (issue 16; OpenWhisk's stem cells). Where sandboxes
// publish nothing (the netns data path) a sandbox is a bare network namespace: any function's
// replica can join it. A few are made off the wake path, and a wake that needs a new slot takes
// one instead of paying Docker's network setup: create + start of the replica in the spare.
//
// Recycled by replacement, never reused: a claimed spare belongs to its slot until the slot goes,
// then it is removed, not returned. Nothing a replica leaves in its namespace (sockets, conntrack
// entries, the /etc/hosts and /etc/resolv.conf it shares with the sandbox and may write as root)
// can reach another function.
//
// Pure, like the rest of the core: the reconciler feeds it (claims, outcomes of its own
// operations, events, adoption) and it returns steps; its operations carry kPoolEpoch.
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "orchestrator/control/function_config.hpp"
#include "orchestrator/control/steps.hpp"

namespace svl::control {

struct Spare {
  std::string id;
  Reach reach;
};

class SandboxPool {
public:
  explicit SandboxPool(const CoreOptions& options);
  bool enabled() const { return options_.sandbox_pool; }

  // A wake needs a new sandbox: a ready spare, which leaves the pool for good, or none (the wake
  // makes its own). Either way the wake counts toward the pool's size.
  std::optional<Spare> claim(TimePoint now);
  // How many spares to hold: the wakes that needed a sandbox in the last pool_window, within
  // [1, pool_max] while any function is deployed (`wanted`), else 0.
  int target(bool wanted, TimePoint now) const;
  // Toward the target: one create at a time and only while no wake is under way (`quiet`: a
  // spare is never made on a wake's path), the surplus removed, failed removals tried again.
  void plan(bool wanted, bool quiet, TimePoint now, Steps& out);
  // Outcomes of the pool's own operations (is_pool_op).
  void created(const Outcome& o, Steps& out);
  void removed(const Outcome& o);
  // A spare exited or went: it is forgotten (and removed); the next plan replaces it.
  bool event(const RuntimeEvent& e, Steps& out);
  // A listed spare (start-up, resync): back into the pool.
  void adopt(const std::string& id, const Reach& reach);

  bool knows(const std::string& id) const;  // a spare, or one being removed
  const std::map<std::string, Reach>& spares() const { return spares_; }
  int creating() const { return static_cast<int>(creating_.size()); }
  std::uint64_t claimed_total() const { return claimed_; }

private:
  void remove(const std::string& id, Steps& out);

  const CoreOptions& options_;
  std::string tag_;  // tells this daemon's spare names from another's
  std::map<std::string, Reach> spares_;   // ready, unclaimed
  std::set<int> creating_;                // operation numbers of creates in flight
  std::map<int, std::string> removing_;   // operation number -> id
  std::set<int> retry_;
  std::deque<TimePoint> wakes_;
  int next_op_ = 0;
  std::uint64_t claimed_ = 0;
};

}  // namespace svl::control
