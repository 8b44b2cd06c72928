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

namespace {

// Keeps 10 s after each call, then asks for more: a 30 s window every 2 minutes, `rounds` times.
class RepeatingPolicy final : public KeepAlivePolicy {
public:
  explicit RepeatingPolicy(int rounds) : rounds_(rounds) {}
  std::string_view name() const override { return "repeating"; }
  int asked = 0;

protected:
  void learn(Duration) override {}
  IdleSchedule plan(TimePoint) override {
    IdleSchedule s;
    s.keep_until = 10s;
    s.remove_at = 1h;
    return s;
  }
  std::optional<IdleSchedule> plan_more(TimePoint idle_start, TimePoint now) override {
    ++asked;
    if (asked > rounds_) return std::nullopt;
    IdleSchedule s;
    s.prewarm_at = now - idle_start + 90s;
    s.prewarm_until = s.prewarm_at + 30s;
    s.prewarm_paused = true;
    s.remove_at = s.prewarm_until + 1h;
    return s;
  }

private:
  int rounds_;
};

}  // namespace

TEST_CASE("plan_more: windows are added to an idle period once its plan is over, until there are none") {
  RepeatingPolicy p(2);
  p.on_busy(at(0s));
  p.on_idle(at(0s));
  CHECK(p.decide(at(5s)).tier == Tier::warm);
  CHECK(p.asked == 0);
  auto d = p.decide(at(10s));  // the keep window is over: round 1 is planned
  CHECK(p.asked == 1);
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::prewarm_wait);
  REQUIRE(d.prewarm_at);
  CHECK(*d.prewarm_at == at(100s));
  CHECK(p.decide(at(110s)).tier == Tier::paused);
  CHECK(p.asked == 1);  // not asked again inside a window
  d = p.decide(at(130s));  // round 2
  CHECK(p.asked == 2);
  CHECK(*d.prewarm_at == at(220s));
  d = p.decide(at(250s));  // nothing more: stopped until removed, and never asked again
  CHECK(p.asked == 3);
  CHECK(d.tier == Tier::stopped);
  CHECK(p.decide(at(300s)).tier == Tier::stopped);
  CHECK(p.asked == 3);
  // A call starts a new idle period, which may ask again.
  p.on_busy(at(400s));
  p.on_idle(at(401s));
  CHECK(p.decide(at(411s)).tier == Tier::stopped);
  CHECK(p.asked == 4);
}

TEST_CASE("plan_more: an evicted replica is not planned again before the next call") {
  RepeatingPolicy p(5);
  p.on_busy(at(0s));
  p.on_idle(at(0s));
  p.on_evicted(at(1s));
  auto d = p.decide(at(20s));
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::evicted);
  CHECK(p.asked == 0);
}
