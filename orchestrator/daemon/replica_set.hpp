#pragma once
// The replicas of one function as the daemon sees them, and the pure decisions made on them:
// which slot to wake next (cheapest tier first) and which replica to retire. No I/O here.
//
// A slot is a network sandbox (a tiny svl-pause container that owns a network namespace and
// the 127.0.0.1 published port) plus at most one replica container that joins that namespace.
// Keeping the sandbox means a wake never pays Docker's network setup (~80 ms start instead of
// ~260 ms), and the gateway's endpoint for the slot never changes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace svl::orchestrator {

enum class ReplicaPhase {
  none,      // no replica container in the slot (the "removed" tier)
  creating,  // create call in flight
  created,   // exists, never started or stopped: the "stopped" tier
  starting,  // start issued, readiness not yet proven
  ready,     // in the gateway, taking requests
  draining,  // out of the gateway, finishing in-flight requests
  pausing,
  paused,    // frozen (cgroup freezer): the "paused" tier, wakes in ~14 ms
  stopping,
  removing,
  failed,    // exited or could not start; cleaned up by the next plan
};

const char* to_string(ReplicaPhase phase);

// `wait`: a replica of the revision is between tiers (pausing, stopping, removing); waking it
// once that ends is cheaper than building a new slot.
enum class WakeFrom { paused, stopped, removed, new_slot, wait };
const char* to_string(WakeFrom from);

struct Slot {
  int index = 0;
  // Sandbox.
  std::string sandbox_id;
  int container_port = 0;   // the app's port inside the namespace
  std::uint16_t host_port = 0;
  bool sandbox_ready = false;
  bool sandbox_busy = false;  // being created or removed
  // Replica.
  std::string replica_id;
  long revision = 0;
  ReplicaPhase phase = ReplicaPhase::none;
  TimePoint phase_since{};
  bool busy = false;  // a Docker call on the replica is in flight
  bool waking = false;  // reserved by a wake that has not finished (counts as starting)
  bool oom_killed = false;  // the events stream said so; its exit is reported as such

  bool has_replica() const { return phase != ReplicaPhase::none; }
};

struct TierCounts {
  int starting = 0, ready = 0, draining = 0, paused = 0, stopped = 0;
};

class ReplicaSet {
public:
  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Slot>& slots() const { return slots_; }

  Slot* find_slot(int index);
  Slot* find_by_container(const std::string& id);  // replica or sandbox id
  Slot& add_slot(int container_port);               // index = lowest unused
  void erase_slot(int index);

  TierCounts counts() const;
  // Replicas of `revision` that are ready or on their way (starting, creating).
  int serving_or_starting(long revision) const;
  int ready(long revision) const;

  // The cheapest wake for one more replica of `revision` on `container_port`:
  // paused (unpause) < created/stopped (start) < empty slot with a sandbox (create+start)
  // < a new slot (sandbox too). Idle replicas of other revisions are not reused.
  struct Wake {
    WakeFrom from;
    int slot = -1;  // -1 for new_slot
  };
  Wake plan_wake(long revision, int container_port) const;

  // The ready replica to retire first on a scale-down: the most recently started one of an
  // old revision, else of the current one (LIFO keeps the longest-warm caches).
  std::optional<int> plan_retire(long current_revision) const;

private:
  std::vector<Slot> slots_;
};

}  // namespace svl::orchestrator
