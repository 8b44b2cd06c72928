#include <doctest/doctest.h>

#include "autoscaler/keepalive.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

TEST_CASE("fixed policy walks warm -> paused -> stopped -> removed with timers") {
  FixedPolicy p({.pause_after = 5s, .idle_timeout = 10min, .stopped_retention = 1h});
  auto d = p.decide(at(0s));
  CHECK(d.tier == Tier::removed);
  CHECK(d.reason == KeepAliveReason::never_invoked);

  p.on_busy(at(0s));
  d = p.decide(at(1s));
  CHECK(d.tier == Tier::warm);
  CHECK(d.reason == KeepAliveReason::busy);

  p.on_idle(at(10s));
  d = p.decide(at(10s));
  CHECK(d.tier == Tier::warm);
  REQUIRE(d.next_transition);
  CHECK(*d.next_transition == at(15s));
  d = p.decide(at(15s));
  CHECK(d.tier == Tier::paused);
  CHECK(d.reason == KeepAliveReason::pause_after);
  CHECK(*d.next_transition == at(10s + 10min));
  d = p.decide(at(10s + 10min));
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::idle_timeout);
  CHECK(*d.next_transition == at(10s + 10min + 1h));
  d = p.decide(at(10s + 10min + 1h));
  CHECK(d.tier == Tier::removed);
  CHECK(d.reason == KeepAliveReason::retention_expired);
  CHECK_FALSE(d.next_transition);
}

TEST_CASE("fixed policy with pause off never pauses") {
  FixedPolicy p({.pause_after = std::nullopt, .idle_timeout = 30s, .stopped_retention = 1h});
  p.on_busy(at(0s));
  p.on_idle(at(1s));
  CHECK(p.decide(at(30s)).tier == Tier::warm);
  CHECK(p.decide(at(31s)).tier == Tier::stopped);
}

TEST_CASE("an evicted idle replica is stopped until the next invocation") {
  FixedPolicy p({.pause_after = std::nullopt, .idle_timeout = 10min, .stopped_retention = 1h});
  p.on_busy(at(0s));
  p.on_idle(at(1s));
  p.on_evicted(at(2s));
  auto d = p.decide(at(3s));
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::evicted);
  p.on_busy(at(4s));
  p.on_idle(at(5s));
  CHECK(p.decide(at(6s)).tier == Tier::warm);
}

TEST_CASE("holds_memory: warm and paused only") {
  CHECK(holds_memory(Tier::warm));
  CHECK(holds_memory(Tier::paused));
  CHECK_FALSE(holds_memory(Tier::stopped));
  CHECK_FALSE(holds_memory(Tier::removed));
  CHECK(to_string(Tier::paused) == "paused");
}
