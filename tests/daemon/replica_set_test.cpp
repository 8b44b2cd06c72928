#include <doctest/doctest.h>

#include "orchestrator/daemon/replica_set.hpp"

using svl::orchestrator::ReplicaPhase;
using svl::orchestrator::ReplicaSet;
using svl::orchestrator::WakeFrom;

namespace {
svl::orchestrator::Slot& ready_slot(ReplicaSet& set, ReplicaPhase phase, long revision, int port = 8080) {
  auto& s = set.add_slot(port);
  s.sandbox_busy = false;
  s.sandbox_ready = true;
  s.sandbox_id = "sb" + std::to_string(s.index);
  s.phase = phase;
  s.revision = revision;
  if (phase != ReplicaPhase::none) s.replica_id = "r" + std::to_string(s.index);
  return s;
}
}  // namespace

TEST_CASE("a wake picks the cheapest tier: paused, then stopped, then an empty sandbox, then a new slot") {
  ReplicaSet set;
  CHECK(set.plan_wake(1, 8080).from == WakeFrom::new_slot);
  ready_slot(set, ReplicaPhase::none, 0);
  CHECK(set.plan_wake(1, 8080).from == WakeFrom::removed);
  ready_slot(set, ReplicaPhase::created, 1);
  CHECK(set.plan_wake(1, 8080).from == WakeFrom::stopped);
  auto& paused = ready_slot(set, ReplicaPhase::paused, 1);
  auto wake = set.plan_wake(1, 8080);
  CHECK(wake.from == WakeFrom::paused);
  CHECK(wake.slot == paused.index);
}

TEST_CASE("idle replicas of another revision or port, or busy slots, are not woken") {
  ReplicaSet set;
  ready_slot(set, ReplicaPhase::paused, 1);
  ready_slot(set, ReplicaPhase::created, 1);
  CHECK(set.plan_wake(2, 8080).from == WakeFrom::new_slot);
  auto& empty_other_port = ready_slot(set, ReplicaPhase::none, 0, 9090);
  (void)empty_other_port;
  CHECK(set.plan_wake(2, 8080).from == WakeFrom::new_slot);
  auto& busy = ready_slot(set, ReplicaPhase::none, 0);
  busy.busy = true;
  CHECK(set.plan_wake(2, 8080).from == WakeFrom::new_slot);
}

TEST_CASE("retirement drains old revisions first, then the newest replica") {
  ReplicaSet set;
  auto& a = ready_slot(set, ReplicaPhase::ready, 2);
  a.phase_since = svl::TimePoint{} + std::chrono::seconds(1);
  auto& b = ready_slot(set, ReplicaPhase::ready, 2);
  b.phase_since = svl::TimePoint{} + std::chrono::seconds(5);
  CHECK(set.plan_retire(2) == b.index);
  auto& old = ready_slot(set, ReplicaPhase::ready, 1);
  CHECK(set.plan_retire(2) == old.index);
  CHECK(set.counts().ready == 3);
  CHECK(set.serving_or_starting(2) == 2);
}

TEST_CASE("counts put each phase in its tier") {
  ReplicaSet set;
  ready_slot(set, ReplicaPhase::starting, 1);
  ready_slot(set, ReplicaPhase::ready, 1);
  ready_slot(set, ReplicaPhase::draining, 1);
  ready_slot(set, ReplicaPhase::paused, 1);
  ready_slot(set, ReplicaPhase::created, 1);
  auto c = set.counts();
  CHECK(c.starting == 1);
  CHECK(c.ready == 1);
  CHECK(c.draining == 1);
  CHECK(c.paused == 1);
  CHECK(c.stopped == 1);
}

TEST_CASE("a replica between tiers is waited for rather than replaced by a new slot") {
  ReplicaSet set;
  auto& stopping = ready_slot(set, ReplicaPhase::stopping, 1);
  stopping.busy = true;
  auto wake = set.plan_wake(1, 8080);
  CHECK(wake.from == WakeFrom::wait);
  CHECK(wake.slot == stopping.index);
  CHECK(set.plan_wake(2, 8080).from == WakeFrom::new_slot);  // another revision builds its own
}

TEST_CASE("an erased slot is gone and its index is the next one added") {
  ReplicaSet set;
  set.add_slot(8080);
  set.add_slot(8080);
  set.add_slot(8080);
  set.erase_slot(1);
  CHECK(set.slots().size() == 2);
  CHECK(set.find_slot(1) == nullptr);
  CHECK(set.find_slot(2) != nullptr);
  CHECK(set.add_slot(8080).index == 1);
  set.erase_slot(7);  // unknown: nothing happens
  CHECK(set.slots().size() == 3);
}
