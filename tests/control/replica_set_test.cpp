#include <doctest/doctest.h>

#include "orchestrator/control/replica_set.hpp"

using svl::control::Phase;
using svl::control::ReplicaSet;
using svl::control::SandboxState;
using svl::control::Tier;

namespace {
svl::control::Slot& slot_in(ReplicaSet& set, Phase phase, long revision, int port = 8080) {
  auto& s = set.add_slot(port);
  s.sandbox = SandboxState::ready;
  s.sandbox_id = "sb" + std::to_string(s.index);
  s.phase = phase;
  s.revision = revision;
  if (phase != Phase::removed) s.replica_id = "r" + std::to_string(s.index);
  return s;
}
}  // namespace

TEST_CASE("a wake picks the cheapest tier: paused, then stopped, then an empty sandbox, then a new slot") {
  ReplicaSet set;
  CHECK(set.plan_wake(1, 8080).slot == -1);
  slot_in(set, Phase::removed, 0);
  CHECK(set.plan_wake(1, 8080).from == Tier::removed);
  CHECK(set.plan_wake(1, 8080).slot == 0);
  slot_in(set, Phase::stopped, 1);
  CHECK(set.plan_wake(1, 8080).from == Tier::stopped);
  auto& paused = slot_in(set, Phase::paused, 1);
  auto wake = set.plan_wake(1, 8080);
  CHECK(wake.from == Tier::paused);
  CHECK(wake.slot == paused.index);
}

TEST_CASE("idle replicas of another revision or port, or busy slots, are not woken") {
  ReplicaSet set;
  slot_in(set, Phase::paused, 1);
  slot_in(set, Phase::stopped, 1);
  CHECK(set.plan_wake(2, 8080).slot == -1);
  slot_in(set, Phase::removed, 0, 9090);
  CHECK(set.plan_wake(2, 8080).slot == -1);
  auto& busy = slot_in(set, Phase::removed, 0);
  busy.busy = true;
  CHECK(set.plan_wake(2, 8080).slot == -1);
}

TEST_CASE("a stopping replica is taken over (kill, then start) before a new slot is made") {
  ReplicaSet set;
  auto& stopping = slot_in(set, Phase::stopping, 1);
  stopping.busy = true;  // its stop is in flight
  auto wake = set.plan_wake(1, 8080);
  CHECK(wake.slot == stopping.index);
  CHECK(wake.from == Tier::stopped);
  CHECK_FALSE(wake.wait);
  // An empty sandbox is as cheap and needs no kill.
  slot_in(set, Phase::removed, 0);
  CHECK(set.plan_wake(1, 8080).from == Tier::removed);
}

TEST_CASE("a replica being paused or removed is waited for rather than replaced by a new slot") {
  ReplicaSet set;
  auto& pausing = slot_in(set, Phase::pausing, 1);
  pausing.busy = true;
  auto wake = set.plan_wake(1, 8080);
  CHECK(wake.wait);
  CHECK(wake.slot == pausing.index);
}

TEST_CASE("retirement drains old revisions first, then the newest replica") {
  ReplicaSet set;
  auto& a = slot_in(set, Phase::ready, 2);
  a.phase_since = svl::TimePoint{} + std::chrono::seconds(1);
  auto& b = slot_in(set, Phase::ready, 2);
  b.phase_since = svl::TimePoint{} + std::chrono::seconds(5);
  CHECK(set.plan_retire(2) == b.index);
  auto& old = slot_in(set, Phase::ready, 1);
  CHECK(set.plan_retire(2) == old.index);
  CHECK(set.counts().ready == 3);
  CHECK(set.serving_or_starting(2) == 2);
}

TEST_CASE("counts put each phase in its tier, and stopping apart from stopped") {
  ReplicaSet set;
  slot_in(set, Phase::starting, 1);
  slot_in(set, Phase::ready, 1);
  slot_in(set, Phase::draining, 1);
  slot_in(set, Phase::paused, 1);
  slot_in(set, Phase::stopped, 1);
  slot_in(set, Phase::stopping, 1);
  auto c = set.counts();
  CHECK(c.starting == 1);
  CHECK(c.ready == 1);
  CHECK(c.draining == 1);
  CHECK(c.paused == 1);
  CHECK(c.stopped == 1);
  CHECK(c.stopping == 1);
  CHECK(svl::control::tier_of(Phase::stopping) == Tier::stopped);
  CHECK(svl::control::tier_of(Phase::draining) == Tier::warm);
}
