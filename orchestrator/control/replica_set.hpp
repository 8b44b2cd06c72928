#pragma once
// The replicas of one function as the control plane sees them, and the pure choices made on them:
// which slot a wake takes (cheapest tier first) and which replica retires first. No I/O here.
//
// A slot is a home for one replica: on Docker, a network sandbox (a tiny svl-pause container that
// owns a network namespace and the published port) plus at most one replica container joined to
// it, so a wake never pays Docker's network setup and the gateway's endpoint never changes.
//
// One vocabulary for the ladder: `Tier` (warm > paused > stopped > removed) says where a replica
// rests; `Phase` says where it is now, at rest or on its way between two tiers (tier_of()).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/keepalive.hpp"
#include "common/clock.hpp"

namespace svl::control {

using Tier = autoscaler::Tier;

enum class Phase {
  removed,   // no replica container in the slot
  creating,  // create in flight
  stopped,   // exists, not running (created, or exited)
  starting,  // start (or unpause) in flight, or readiness not yet proven
  ready,     // in the gateway, taking requests
  draining,  // out of the gateway's rotation, finishing in-flight requests
  pausing,
  paused,    // frozen (cgroup freezer)
  stopping,  // stop in flight: the process may run until its grace ends
  killing,   // a wake would not wait out a stop: SIGKILL in flight
  removing,
};
const char* to_string(Phase phase);
using autoscaler::to_string;  // of a Tier
// The tier a replica is in or is moving down to (a wake's starting phases count as warm).
Tier tier_of(Phase phase);

// Where the gateway reaches a sandbox's replicas: a port published on the host, or the app's own
// port on the loopback of the sandbox's network namespace (`netns`, its /proc path; `netns_inode`
// is what that path must still name, so a recycled pid is never entered).
struct Reach {
  std::uint16_t host_port = 0;
  std::string netns{};
  std::uint64_t netns_inode = 0;
  bool known() const { return host_port != 0 || !netns.empty(); }
};

// The sandbox's own lifecycle: made on a slot's first wake, kept across its replica's tiers.
enum class SandboxState { none, creating, ready, removing };

struct Slot {
  int index = 0;
  // Sandbox.
  std::string sandbox_id;
  int container_port = 0;  // the app's port inside the namespace
  Reach reach;
  SandboxState sandbox = SandboxState::none;
  // Replica.
  std::string replica_id;
  long revision = 0;
  Phase phase = Phase::removed;
  TimePoint phase_since{};
  // Every operation on the slot takes a new generation; an outcome carrying an older one is stale
  // and changes nothing, so a coroutine left over from an earlier attempt can never act on this one.
  std::uint64_t generation = 0;
  bool busy = false;    // an operation on the slot is in flight
  bool waking = false;  // reserved by a wake that has not finished (counts as starting)
  Tier wake_from = Tier::removed;  // where that wake started (its cold-start tier)
  TimePoint wake_started{};
  bool prewarm = false;     // started to be paused ahead of a predicted call, not for a request
  bool oom_killed = false;  // the runtime said so; the exit is reported as such

  bool has_replica() const { return phase != Phase::removed && phase != Phase::creating; }
  bool usable() const { return sandbox == SandboxState::ready && !busy; }
};

struct PhaseCounts {
  int starting = 0, ready = 0, draining = 0, paused = 0, stopping = 0, stopped = 0;
};

// A wake: which tier it starts from and in which slot (-1: a new slot). `wait` means a replica of
// the revision is between tiers (pausing, removing) and waking it once that ends is cheaper.
struct WakePlan {
  Tier from = Tier::removed;
  int slot = -1;
  bool wait = false;
};

class ReplicaSet {
public:
  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Slot>& slots() const { return slots_; }

  Slot* find_slot(int index);
  const Slot* find_slot(int index) const;
  Slot* find_by_container(const std::string& id);  // replica or sandbox id
  Slot& add_slot(int container_port);               // index = lowest unused
  void erase_slot(int index);

  PhaseCounts counts() const;
  // Replicas of `revision` that are ready or on their way (reserved by a wake).
  int serving_or_starting(long revision) const;
  int ready(long revision) const;

  // The cheapest wake for one more replica of `revision` on `container_port`: paused (unpause)
  // < stopped (start) < an empty sandbox (create + start) < stopping (kill, then start: a stop
  // may take its whole grace) < a new slot (sandbox too). Idle replicas of other revisions are
  // not reused.
  WakePlan plan_wake(long revision, int container_port) const;

  // The ready replica to retire first on a scale-down: the most recently started one of an
  // old revision, else of the current one (LIFO keeps the longest-warm caches).
  std::optional<int> plan_retire(long current_revision) const;

private:
  std::vector<Slot> slots_;
};

}  // namespace svl::control
