#include <doctest/doctest.h>

#include "autoscaler/function_autoscaler.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

FunctionAutoscaler make(std::optional<Duration> pause_after = 5s) {
  ScalingConfig c;
  c.target_concurrency = 10;
  c.target_utilization = 1.0;
  return FunctionAutoscaler(
      c, std::make_unique<FixedPolicy>(FixedPolicyConfig{.pause_after = pause_after, .idle_timeout = 1min}), at(0s));
}

}  // namespace

TEST_CASE("facade: nothing before the first request, a held request scales from zero at once") {
  auto fa = make();
  auto d = fa.on_tick(at(2s), Load{0, 0, 0, 0});
  CHECK(d.desired_ready == 0);
  CHECK(d.idle_tier == Tier::removed);
  CHECK(d.idle_reason == KeepAliveReason::never_invoked);

  d = fa.on_demand(at(3s), Load{0, 0, 1, 0});
  CHECK(d.desired_ready == 1);
  CHECK(d.idle_tier == Tier::warm);
  CHECK(d.scale_reason == ScaleReason::scale_from_zero);
}

TEST_CASE("facade: the idle replica follows the keep-alive tiers, timers say when") {
  auto fa = make();
  fa.on_demand(at(0s), Load{0, 0, 1, 0});
  fa.on_invocation_start(at(0s));
  fa.on_invocation_end(at(1s));
  auto d = fa.on_tick(at(2s), Load{1, 0, 0, 1});
  CHECK(d.desired_ready == 1);  // warm: kept by the keep-alive, not by load
  CHECK(d.idle_reason == KeepAliveReason::keep_alive);
  REQUIRE(d.next_due);
  CHECK(*d.next_due == at(6s));
  d = fa.on_tick(at(6s), Load{1, 0, 0, 1});
  CHECK(d.desired_ready == 0);
  CHECK(d.idle_tier == Tier::paused);
  CHECK(*d.next_due == at(61s));
  d = fa.on_tick(at(61s), Load{1, 0, 0, 0});
  CHECK(d.desired_ready == 0);
  CHECK(d.idle_tier == Tier::stopped);
  CHECK(d.idle_reason == KeepAliveReason::idle_timeout);
}

TEST_CASE("facade: busy edges are also taken from load observations") {
  auto fa = make(std::nullopt);
  auto d = fa.on_tick(at(2s), Load{0, 3, 0, 1});
  CHECK(d.desired_ready >= 1);
  CHECK(fa.policy().busy());
  d = fa.on_tick(at(4s), Load{6, 0, 0, 1});
  CHECK_FALSE(fa.policy().busy());
  CHECK(d.desired_ready == 1);
  d = fa.on_tick(at(70s), Load{6, 0, 0, 1});
  CHECK(d.desired_ready == 0);
  CHECK(d.idle_tier == Tier::stopped);
}

TEST_CASE("facade: with work in flight the scaler decides, never below one") {
  auto fa = make();
  FakeLoad g;
  g.set_concurrency(45);
  FunctionDecision d;
  std::uint32_t ready = 1;
  for (int i = 0; i < 40; ++i) {
    g.advance(2s);
    d = fa.on_tick(g.now(), g.load(ready));
    ready = d.desired_ready;
  }
  CHECK(d.desired_ready == 5);
  CHECK(d.idle_tier == Tier::warm);
}
