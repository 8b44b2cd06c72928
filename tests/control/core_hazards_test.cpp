// The reconcile core with canned input: one test per hazard found in review (issue 14). Each
// feeds inputs and outcomes by hand and checks the steps that come back. No I/O, no sleeping.
#include <doctest/doctest.h>

#include <map>

#include "tests/control/core_harness.hpp"

using namespace svl;
using namespace svl::control;
using namespace std::chrono_literals;
using svl::test::Harness;

TEST_CASE("hazard 1: a request for a replica being stopped kills it and starts it again, it does not wait out the grace") {
  Harness h;
  h.ready_function("api");
  // Idle: drained, then stopped (the policy's tier). The stop is in flight: an app that ignores
  // SIGTERM keeps it there for the whole grace.
  const auto stop = h.idle_until_stopping("api");
  CHECK(h.slot("api").phase == Phase::stopping);
  // A request arrives 0.5 s into the stop.
  h.now += 500ms;
  h.loads["api"].queued = 1;
  h.core.demand("api", h.now, h.out);
  auto kill = Harness::one<step::Kill>(h.take());
  CHECK(kill.id == "r1");
  CHECK(h.slot("api").phase == Phase::killing);
  // The killed replica starts again at once; the stop's own outcome, arriving later, is stale.
  h.done(OpKind::kill, kill.op);
  auto start = Harness::one<step::Start>(h.take());
  h.done(OpKind::stop, stop.op);
  CHECK(h.take().empty());
  CHECK(h.slot("api").phase == Phase::starting);
  h.done(OpKind::start, start.op);
  auto probe = Harness::one<step::Probe>(h.take());
  h.done(OpKind::probe, probe.op);
  CHECK(Harness::all<step::Serve>(h.take()).size() == 1);
  CHECK(h.slot("api").phase == Phase::ready);
}

TEST_CASE("hazard 4: an outcome of an older attempt on a slot changes nothing (a generation per operation)") {
  Harness h;
  h.ready_function("api");
  // The replica is taken out and probed again (unreachable); while that probe runs, it dies and is
  // retried at once (a request waits).
  h.core.unreachable("api", "r1", h.now, h.out);
  auto old_probe = Harness::one<step::Probe>(h.take());
  h.loads["api"].queued = 1;
  RuntimeEvent died{RuntimeEvent::Kind::exited, "r1", "api", 1};
  h.core.event(died, h.now, h.out);
  auto retry = Harness::one<step::Start>(h.take());
  CHECK(h.slot("api").phase == Phase::starting);
  // The old probe answers "ready": it must neither serve the new attempt nor end its wake.
  h.done(OpKind::probe, old_probe.op);
  CHECK(Harness::all<step::Serve>(h.take()).empty());
  CHECK(h.slot("api").phase == Phase::starting);
  CHECK(h.slot("api").waking);
  h.done(OpKind::start, retry.op);
  auto probe = Harness::one<step::Probe>(h.take());
  h.done(OpKind::probe, probe.op);
  CHECK(Harness::all<step::Serve>(h.take()).size() == 1);
}

TEST_CASE("hazard 5: a resync leaves alone what a wake in flight has just created") {
  Harness h;
  h.core.load(Harness::config("api"), true, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.loads["api"].queued = 1;
  h.core.demand("api", h.now, h.out);
  auto sandbox = Harness::one<step::CreateSandbox>(h.take());
  // The events stream reconnects: the list already shows the sandbox whose create is in flight.
  Observed made{"sb", "svl-api-s0", sandbox.spec.labels, "running", {30000}, "", false};
  h.core.adopt({made}, h.now, h.out);
  auto after = h.take();
  CHECK(Harness::all<step::Remove>(after).empty());
  h.done(OpKind::create_sandbox, sandbox.op, "sb", 30000);
  auto create = Harness::one<step::CreateReplica>(h.take());
  Observed replica{"r1", "svl-api-s0-r1", create.spec.labels, "created", {}, "", false};
  h.core.adopt({made, replica}, h.now, h.out);
  CHECK(Harness::all<step::Remove>(h.take()).empty());
  CHECK(h.core.find("api")->replicas().slots().size() == 1);
}

TEST_CASE("hazard 6: a removed function is unrouted at once, and stays 'removing' until its containers are gone") {
  Harness h;
  h.ready_function("api");
  h.core.remove("api", h.now, h.out);
  auto steps = h.take();
  CHECK(Harness::all<step::Unroute>(steps).size() == 1);
  auto removal = Harness::one<step::Remove>(steps);
  CHECK(h.core.find("api") == nullptr);
  CHECK(h.core.removing("api"));  // a deploy of the name waits (admin operations check this)
  h.done(OpKind::remove_slot, removal.op);
  CHECK_FALSE(h.core.removing("api"));
}

TEST_CASE("a create that completes after its function was removed does not leave its container behind") {
  Harness h;
  h.core.load(Harness::config("api"), true, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.loads["api"].queued = 1;
  h.core.demand("api", h.now, h.out);
  auto sandbox = Harness::one<step::CreateSandbox>(h.take());
  h.core.remove("api", h.now, h.out);
  h.take();
  h.done(OpKind::create_sandbox, sandbox.op, "sb", 30000);
  auto orphan = Harness::one<step::Remove>(h.take());
  CHECK(orphan.ids == std::vector<std::string>{"sb"});
}

TEST_CASE("hazard 8: at shutdown every function's held requests are answered now") {
  Harness h;
  h.core.load(Harness::config("a"), true, h.now, h.out);
  h.core.load(Harness::config("b"), true, h.now, h.out);
  h.take();
  h.core.shutdown(h.out);
  auto fails = Harness::all<step::FailHeld>(h.take());
  REQUIRE(fails.size() == 2);
  CHECK(fails[0].why == step::HeldFailure::shutting_down);
}

TEST_CASE("hazard 10: a replica adopted in the middle of its stop is killed, never served") {
  Harness h;
  h.core.load(Harness::config("api"), true, h.now, h.out);
  h.take();
  std::map<std::string, std::string> sandbox_labels{{"svl.function", "api"}, {"svl.role", "sandbox"},
                                                    {"svl.slot", "0"}, {"svl.port", "8080"}};
  auto replica_labels = sandbox_labels;
  replica_labels["svl.role"] = "replica";
  replica_labels["svl.revision"] = "1";
  h.core.adopt({Observed{"sb", "svl-api-s0", sandbox_labels, "running", {30000}, "", false},
                Observed{"r1", "svl-api-s0-r1", replica_labels, "stopping", {}, "", false}},
               h.now, h.out);
  auto steps = h.take();
  CHECK(Harness::all<step::Serve>(steps).empty());
  auto kill = Harness::one<step::Kill>(steps);
  CHECK(kill.id == "r1");
  h.done(OpKind::kill, kill.op);
  CHECK(h.slot("api").phase == Phase::stopped);
}

TEST_CASE("no wake starts before the first adoption, the held demand is served right after it") {
  Harness h;
  h.core.load(Harness::config("api"), true, h.now, h.out);
  h.take();
  h.loads["api"].queued = 3;
  h.core.demand("api", h.now, h.out);
  CHECK(Harness::all<step::CreateSandbox>(h.take()).empty());
  h.core.adopt({}, h.now, h.out);
  CHECK(Harness::all<step::CreateSandbox>(h.take()).size() == 1);
}

TEST_CASE("a failed slot removal keeps the slot, out of use, and tries again at the next tick") {
  Harness h;
  h.ready_function("api");
  RuntimeEvent lost{RuntimeEvent::Kind::exited, "sb", "api", 137};  // the sandbox died
  h.core.event(lost, h.now, h.out);
  auto removal = Harness::one<step::Remove>(h.take());
  CHECK(removal.slot);
  h.done(OpKind::remove_slot, removal.op, {}, 0, Fault::unavailable);
  h.take();
  REQUIRE(h.core.find("api")->replicas().slots().size() == 1);
  CHECK(h.slot("api").sandbox == SandboxState::removing);
  Outcome ok;  // any answer proves the runtime back
  ok.op = Op{"", 0, 999, 0};
  h.core.outcome(OpKind::remove_replica, ok, h.now, h.out);
  h.now += 1s;
  h.core.tick(h.now, h.out);
  auto again = Harness::all<step::Remove>(h.take());
  REQUIRE(again.size() == 1);
  h.done(OpKind::remove_slot, again[0].op);
  CHECK(h.core.find("api")->replicas().slots().empty());
}

TEST_CASE("a burst woken from stopped: the woken replica takes it, and further wakes wait burst_settle") {
  // Found re-measuring the cold-start bench: the core read the held queue before Serve released
  // it, saw the burst still queued, and started more replicas while the first answered 200.
  Harness h;
  h.ready_function("api");
  const auto stop = h.idle_until_stopping("api");
  h.done(OpKind::stop, stop.op);
  h.take();
  REQUIRE(h.slot("api").phase == Phase::stopped);

  h.now += 1s;
  h.loads["api"].queued = 200;
  h.core.demand("api", h.now, h.out);
  auto start = Harness::one<step::Start>(h.take());  // one wake at a time while nothing is ready
  h.done(OpKind::start, start.op);
  auto probe = Harness::one<step::Probe>(h.take());
  h.done(OpKind::probe, probe.op);
  auto steps = h.take();
  CHECK(Harness::all<step::Serve>(steps).size() == 1);
  CHECK(Harness::all<step::CreateSandbox>(steps).empty());  // no scale-out while the burst is answered
  auto timer = Harness::one<step::Timer>(steps);
  CHECK(timer.at == h.now + Harness::options().burst_settle);

  // Settled and answered: the scale-out the burst asked for follows.
  h.loads["api"].queued = 0;
  h.loads["api"].inflight = 200;
  h.now = timer.at;
  h.core.timer("api", h.now, h.out);
  CHECK_FALSE(Harness::all<step::CreateSandbox>(h.take()).empty());
}

TEST_CASE("hazard 11: a replica removed behind svl's back is gone, not crashing: the wake makes a new one, held requests stay held") {
  Harness h;
  h.ready_function("api");
  h.loads["api"].queued = 1;
  h.core.event({RuntimeEvent::Kind::exited, "r1", "api", 137}, h.now, h.out);
  auto retry = Harness::one<step::Start>(h.take());  // a single exit is retried at once
  // Docker: "container is marked for removal" (the runtime reads it as not_found).
  h.done(OpKind::start, retry.op, {}, 0, Fault::not_found);
  auto steps = h.take();
  CHECK(Harness::all<step::FailHeld>(steps).empty());
  auto create = Harness::one<step::CreateReplica>(steps);  // a new one, in the same sandbox
  CHECK(create.spec.home == "sb");
  h.done(OpKind::create_replica, create.op, "r2");
  h.done(OpKind::start, Harness::one<step::Start>(h.take()).op);
  h.done(OpKind::probe, Harness::one<step::Probe>(h.take()).op);
  CHECK(Harness::one<step::Serve>(h.take()).endpoint.id == "r2");
}

TEST_CASE("a stopped replica destroyed behind svl's back is forgotten: the next wake creates one instead of starting it") {
  Harness h;
  h.ready_function("api");
  auto stop = h.idle_until_stopping("api");
  h.done(OpKind::stop, stop.op);
  h.take();
  REQUIRE(h.slot("api").phase == Phase::stopped);
  h.core.event({RuntimeEvent::Kind::destroyed, "r1", "api", -1}, h.now, h.out);
  CHECK(h.slot("api").phase == Phase::removed);
  CHECK(h.slot("api").replica_id.empty());
  h.loads["api"].queued = 1;
  h.core.demand("api", h.now, h.out);
  auto steps = h.take();
  CHECK(Harness::all<step::Start>(steps).empty());
  CHECK(Harness::one<step::CreateReplica>(steps).spec.home == "sb");
}
