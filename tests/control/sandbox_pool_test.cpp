// The spare sandbox pool, alone and inside the reconciler: sizing, claims, replacement (never
// reuse), adoption after a restart, and the removed tier holding nothing.
#include <doctest/doctest.h>

#include "orchestrator/control/adoption.hpp"
#include "orchestrator/control/idle_ladder.hpp"
#include "orchestrator/control/names.hpp"
#include "orchestrator/control/sandbox_pool.hpp"
#include "tests/control/core_harness.hpp"

namespace svl::test {
namespace {

CoreOptions pool_options() {
  CoreOptions o = Harness::options();
  o.sandbox_pool = true;
  return o;
}

Outcome made(const Op& op, std::string id) {
  Outcome o;
  o.op = op;
  o.id = std::move(id);
  o.reach.netns = "/proc/1/ns/net";
  o.reach.netns_inode = 7;
  return o;
}

// A reconciler with the pool on and one spare ready ("p1").
struct PoolHarness : Harness {
  PoolHarness() : Harness(pool_options()) {}
  void spare(const std::string& id) {
    core.tick(now, out);
    auto create = one<step::CreateSandbox>(take());
    CHECK(is_pool_op(create.op));
    CHECK(create.spec.labels.at(names::role) == "pool");
    CHECK(create.spec.labels.count(names::function) == 0);
    CHECK(create.spec.port == 0);
    core.outcome(OpKind::create_sandbox, made(create.op, id), now, out);
  }
  // Function `fn` deployed and adopted, and spare `id` ready for it.
  void deployed_with_spare(const std::string& fn, const std::string& id) {
    core.load(Harness::config(fn), true, now, out);
    core.adopt({}, now, out);
    take();
    spare(id);
  }
};

}  // namespace

TEST_CASE("pool: one spare while a function is deployed, none without, more after wakes, at most pool_max") {
  CoreOptions o = pool_options();
  SandboxPool pool(o);
  const TimePoint t = TimePoint{} + 1000h;
  CHECK(pool.target(false, t) == 0);
  CHECK(pool.target(true, t) == 1);
  for (int i = 0; i < 3; ++i) CHECK_FALSE(pool.claim(t));  // no spare: the wakes still count
  CHECK(pool.target(true, t) == 3);
  for (int i = 0; i < 5; ++i) (void)pool.claim(t);
  CHECK(pool.target(true, t) == 4);
  CHECK(pool.target(true, t + 61s) == 1);  // the window passed
  CoreOptions off;
  CHECK(SandboxPool(off).target(true, t) == 0);
}

TEST_CASE("pool: refills one at a time, never while a wake is under way, and removes the surplus") {
  CoreOptions o = pool_options();
  SandboxPool pool(o);
  const TimePoint t = TimePoint{} + 1000h;
  Steps out;
  pool.plan(true, false, t, out);
  CHECK(out.empty());  // a wake is under way
  pool.plan(true, true, t, out);
  auto create = std::get<step::CreateSandbox>(out.at(0));
  out.clear();
  pool.plan(true, true, t, out);
  CHECK(out.empty());  // one create at a time
  pool.created(made(create.op, "p1"), out);
  CHECK(pool.spares().size() == 1);
  pool.plan(true, true, t, out);
  CHECK(out.empty());  // at its target
  pool.plan(false, true, t, out);  // no function left: the spare goes
  auto remove = std::get<step::Remove>(out.at(0));
  CHECK(remove.ids == std::vector<std::string>{"p1"});
  CHECK(pool.spares().empty());
  CHECK(pool.knows("p1"));
  Outcome failed;
  failed.op = remove.op;
  failed.fault = Fault::failed;
  pool.removed(failed);
  out.clear();
  pool.plan(false, true, t, out);  // tried again
  CHECK(std::get<step::Remove>(out.at(0)).ids == std::vector<std::string>{"p1"});
  Outcome ok;
  ok.op = remove.op;
  pool.removed(ok);
  CHECK_FALSE(pool.knows("p1"));
}

TEST_CASE("pool: a wake that needs a sandbox takes the spare at once, the replica's create follows in it") {
  PoolHarness h;
  h.deployed_with_spare("a", "p1");
  h.loads["a"].queued = 1;
  h.core.demand("a", h.now, h.out);
  auto steps = h.take();
  CHECK(Harness::all<step::CreateSandbox>(steps).empty());
  auto create = Harness::one<step::CreateReplica>(steps);
  CHECK(create.spec.home == "p1");
  CHECK(h.slot("a").sandbox_id == "p1");
  CHECK(h.slot("a").reach.netns_inode == 7);
  CHECK(h.core.pool().spares().empty());
  // No spare left: the next function's wake makes its own sandbox, as without the pool.
  h.core.load(Harness::config("b"), true, h.now, h.out);
  h.loads["b"].queued = 1;
  h.core.demand("b", h.now, h.out);
  auto own = Harness::one<step::CreateSandbox>(h.take());
  CHECK(own.op.function == "b");
  CHECK(own.spec.labels.at(names::function) == "b");
}

TEST_CASE("pool: a claimed sandbox is removed with its slot, never returned, removing a function removes it") {
  PoolHarness h;
  h.deployed_with_spare("a", "p1");
  h.loads["a"].queued = 1;
  h.core.demand("a", h.now, h.out);
  auto create = Harness::one<step::CreateReplica>(h.take());
  h.done(OpKind::create_replica, create.op, "r1");
  h.done(OpKind::start, Harness::one<step::Start>(h.take()).op);
  h.done(OpKind::probe, Harness::one<step::Probe>(h.take()).op);
  h.take();
  h.loads["a"].queued = 0;
  h.core.remove("a", h.now, h.out);
  auto remove = Harness::one<step::Remove>(h.take());
  CHECK(remove.slot);
  CHECK(remove.ids == std::vector<std::string>{"r1", "p1"});
  CHECK(h.core.pool().spares().empty());
  CHECK_FALSE(h.core.pool().knows("p1"));
}

TEST_CASE("pool: a slot whose replica is removed gives its sandbox up at once, whatever min, a stopped one keeps it") {
  ReplicaSet set;
  set.add_slot(8080);
  set.add_slot(8080);
  set.slots()[0].sandbox = SandboxState::ready;
  set.slots()[0].sandbox_id = "p1";
  set.slots()[1].sandbox = SandboxState::ready;
  set.slots()[1].phase = Phase::stopped;
  const TimePoint t = TimePoint{} + 1000h;
  for (auto& s : set.slots()) s.phase_since = t - 1s;
  CHECK(plan_slot_trim(set, 1, t, 10min, false).empty());  // within the ttl: both stay
  CHECK(plan_slot_trim(set, 1, t, 10min, true) == std::vector<int>{0});
  CHECK(plan_slot_trim(set, 2, t, 10min, true) == std::vector<int>{0});
}

TEST_CASE("pool adoption: a spare goes back, the home of a replica goes to its slot, a claimed one is a stray") {
  ReplicaSet none;
  std::map<std::string, AdoptionView> views{{"a", {1, 8080, &none, false}}};
  const std::map<std::string, std::string> pool_labels{{names::managed, "true"}, {names::role, "pool"}};
  Reach reach{0, "/proc/9/ns/net", 9};
  Observed spare{"p1", "svl-pool-x-1", pool_labels, "running", reach, "", false};
  Observed home{"p2", "svl-pool-x-2", pool_labels, "running", reach, "", true};
  Observed used{"p3", "svl-pool-x-3", pool_labels, "running", reach, "", true};
  Observed dead{"p4", "svl-pool-x-4", pool_labels, "exited", {}, "", false};
  Observed replica{"r1", "svl-a-s0-r1",
                   {{names::managed, "true"}, {names::role, "replica"}, {names::function, "a"}, {names::slot, "0"}, {names::revision, "1"}},
                   "running", {}, "p2", false};
  auto plan = plan_adoption({spare, home, used, dead, replica}, views, true);
  REQUIRE(plan.spares.size() == 1);
  CHECK(plan.spares[0].id == "p1");
  REQUIRE(plan.sandboxes.size() == 1);
  CHECK(plan.sandboxes[0].id == "p2");
  CHECK(plan.sandboxes[0].function == "a");
  CHECK(plan.sandboxes[0].port == 8080);
  REQUIRE(plan.replicas.size() == 1);
  CHECK(plan.replicas[0].id == "r1");
  std::sort(plan.strays.begin(), plan.strays.end());
  CHECK(plan.strays == std::vector<std::string>{"p3", "p4"});
  // Without the pool (the published data path), a spare is a stray too.
  auto off = plan_adoption({spare}, views, false);
  CHECK(off.spares.empty());
  CHECK(off.strays == std::vector<std::string>{"p1"});
  // One the pool already tracks (or removes) is left alone.
  CHECK(plan_adoption({spare}, views, true, {"p1"}).spares.empty());
}

TEST_CASE("pool: a spare that exits is removed and replaced at the next tick") {
  PoolHarness h;
  h.deployed_with_spare("a", "p1");
  RuntimeEvent e;
  e.id = "p1";
  e.kind = RuntimeEvent::Kind::exited;
  h.core.event(e, h.now, h.out);
  CHECK(Harness::one<step::Remove>(h.take()).ids == std::vector<std::string>{"p1"});
  h.now += 1s;
  h.core.tick(h.now, h.out);
  CHECK(Harness::all<step::CreateSandbox>(h.take()).size() == 1);
}

}  // namespace svl::test

namespace svl::test {

TEST_CASE("a start that finds its replica gone (a removal a killed daemon left in flight) creates it again, no failure counted") {
  Harness h;
  h.ready_function("a");
  auto stop = h.idle_until_stopping("a");
  h.done(OpKind::stop, stop.op);
  h.take();
  h.loads["a"].queued = 1;
  h.core.demand("a", h.now, h.out);
  auto start = Harness::one<step::Start>(h.take());
  h.done(OpKind::start, start.op, {}, 0, Fault::not_found);
  auto steps = h.take();
  auto create = Harness::one<step::CreateReplica>(steps);
  CHECK(create.spec.home == "sb");
  CHECK(Harness::all<step::FailHeld>(steps).empty());
  CHECK(h.core.find("a")->crash_loop().failures() == 0);
}

}  // namespace svl::test
