// Scheduled capacity in the core: a window's min is kept ready (started ahead of its start,
// never paused), its end hands the replicas back to the policy, and svl scale's min wins.
#include <doctest/doctest.h>

#include "tests/control/core_harness.hpp"

using namespace svl;
using namespace svl::control;
using namespace std::chrono_literals;
using svl::test::Harness;

namespace {

// 2026-03-02 (a Monday) 07:00:00 UTC.
const schedule::sys_seconds kMonday7 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 7h;

FunctionConfig windowed(const std::string& name, long min = 2) {
  auto c = Harness::config(name);
  c.spec.scale.pause_after = 1s;  // idle replicas pause: a window's must not
  orchestrator::ScheduleWindowSpec w;
  w.start = "0 8 * * 1-5";
  w.end = "0 18 * * 1-5";
  w.min = min;
  c.spec.scale.schedule.push_back(w);
  return c;
}

std::size_t wakes(const Steps& steps) { return Harness::all<step::CreateSandbox>(steps).size(); }

}  // namespace

TEST_CASE("outside its window a function keeps its own min, ahead of the start its replicas are started") {
  Harness h;
  h.core.load(windowed("api"), false, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.take();
  h.core.schedule(kMonday7, h.now, h.out);  // an hour before: nothing yet
  CHECK(wakes(h.take()) == 0);
  const auto* f = h.core.find("api");
  CHECK(f->effective_min() == 0);
  REQUIRE(f->schedule_plan());
  CHECK(f->schedule_plan()->lead.starts_at == kMonday7 + 1h);
  // Unmeasured wake (10 s) plus the margin (5 s): from 07:59:45.
  CHECK(f->schedule_plan()->lead.begin_at == kMonday7 + 1h - 15s);
  h.core.schedule(kMonday7 + 1h - 16s, h.now, h.out);
  CHECK(wakes(h.take()) == 0);
  h.core.schedule(kMonday7 + 1h - 15s, h.now, h.out);
  // From zero the first wake goes alone (more would crowd dockerd); the second follows once it is ready.
  CHECK(wakes(h.take()) == 1);
  CHECK(f->effective_min() == 2);
  CHECK(f->desired() == 2);
  CHECK(f->last_reason() == "schedule");
}

TEST_CASE("a window already open at start is in force at once, and its replicas stay ready, not paused") {
  Harness h;
  h.core.load(windowed("api", 1), true, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.take();
  h.core.schedule(kMonday7 + 3h, h.now, h.out);
  auto sandbox = Harness::one<step::CreateSandbox>(h.take());
  h.done(OpKind::create_sandbox, sandbox.op, "sb", 30000);
  h.done(OpKind::create_replica, Harness::one<step::CreateReplica>(h.take()).op, "r1");
  h.done(OpKind::start, Harness::one<step::Start>(h.take()).op);
  h.done(OpKind::probe, Harness::one<step::Probe>(h.take()).op);
  REQUIRE(Harness::all<step::Serve>(h.take()).size() == 1);
  const auto* f = h.core.find("api");
  REQUIRE(f->schedule_plan());
  CHECK(f->schedule_plan()->in_force.window == 0u);
  CHECK(f->schedule_plan()->in_force.next_change == kMonday7 + 11h);
  // An hour of idle ticks inside the window: never drained, paused or stopped.
  for (int i = 0; i < 60; ++i) {
    h.now += 1min;
    h.core.schedule(kMonday7 + 3h + std::chrono::minutes(i), h.now, h.out);
    h.core.tick(h.now, h.out);
  }
  const auto steps = h.take();
  CHECK(Harness::all<step::Drain>(steps).empty());
  CHECK(Harness::all<step::Pause>(steps).empty());
  CHECK(h.slot("api").phase == Phase::ready);
  // The end hands it back to the policy: drained at the next tick.
  h.core.schedule(kMonday7 + 11h, h.now, h.out);
  CHECK(f->effective_min() == 0);
  h.now += 1s;
  h.core.tick(h.now, h.out);
  CHECK(Harness::all<step::Drain>(h.take()).size() == 1);
}

TEST_CASE("svl scale's min wins over the schedule, which then keeps nothing of its own") {
  Harness h;
  auto c = windowed("api", 3);
  c.min_override = 1;
  h.core.load(c, true, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.take();
  h.core.schedule(kMonday7 + 2h, h.now, h.out);
  const auto* f = h.core.find("api");
  CHECK(f->scheduled_min() == 3);
  CHECK(f->effective_min() == 1);
  CHECK(wakes(h.take()) == 1);
}

TEST_CASE("a window's max replaces the function's while it is in force") {
  Harness h;
  auto c = windowed("api", 1);
  c.spec.scale.max = 10;
  c.spec.scale.schedule[0].max = 2;
  h.core.load(c, true, h.now, h.out);
  h.core.adopt({}, h.now, h.out);
  h.core.schedule(kMonday7, h.now, h.out);
  CHECK(h.core.find("api")->effective_max() == 10);
  h.core.schedule(kMonday7 + 2h, h.now, h.out);
  CHECK(h.core.find("api")->effective_max() == 2);
}
