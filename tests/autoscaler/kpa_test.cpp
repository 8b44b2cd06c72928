#include <doctest/doctest.h>

#include "autoscaler/kpa.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

ScalingConfig knative_like() {
  ScalingConfig c;
  c.target_concurrency = 10;
  c.target_utilization = 1.0;  // 10 per replica: easy arithmetic
  c.stable_window = 60s;
  c.panic_window_pct = 10;     // 6 s
  c.panic_threshold_pct = 200;
  c.max_scale_up_rate = 1000;
  c.max_scale_down_rate = 2;
  c.scale_to_zero_grace = 30s;
  c.max_scale = 0;
  return c;
}

// Ticks every 2 s for `span`, feeding back desired as ready; returns the last decision.
ScaleDecision run(ConcurrencyScaler& s, FakeLoad& g, std::uint32_t& ready, Duration span) {
  ScaleDecision d;
  for (Duration t{}; t < span; t += 2s) {
    g.advance(2s);
    d = s.on_tick(g.now(), g.load(ready));
    ready = d.desired;
  }
  return d;
}

}  // namespace

TEST_CASE("a step load settles at ceil(average / target) without panic") {
  ConcurrencyScaler s(knative_like(), at(0s));
  FakeLoad g;
  std::uint32_t ready = 1;
  g.set_concurrency(5);
  auto d = run(s, g, ready, 120s);
  CHECK(d.desired == 1);
  CHECK(d.reason == ScaleReason::stable);

  g.set_concurrency(15);  // 15 / 10 per replica -> 2; 15 / (10 x 1 ready) < 200 %: no panic
  std::uint32_t previous = ready;
  for (int i = 0; i < 40; ++i) {
    d = run(s, g, ready, 2s);
    CHECK_FALSE(d.panic);
    CHECK(d.desired >= previous);  // rises monotonically while the window fills
    previous = d.desired;
  }
  CHECK(d.desired == 2);
}

TEST_CASE("a spike enters panic at once, never scales down in panic, leaves after a full stable window") {
  ConcurrencyScaler s(knative_like(), at(0s));
  FakeLoad g;
  std::uint32_t ready = 1;
  g.set_concurrency(5);
  run(s, g, ready, 120s);
  REQUIRE(ready == 1);

  g.set_concurrency(100);
  const TimePoint spike = g.now();
  auto d = run(s, g, ready, 2s);
  CHECK(d.panic);
  CHECK(d.desired == 4);  // panic window average after 2 s: (2 x 100 + 4 x 5) / 6 = 36.7
  d = run(s, g, ready, 6s);
  CHECK(d.panic);
  CHECK(d.desired == 10);

  g.set_concurrency(5);
  // Below the threshold now, but panic holds (and never scales down) for a full stable window
  // after the last tick above it (the first one: 36.7 / 10 per replica / 1 ready >= 200 %).
  while (d.panic) {
    d = run(s, g, ready, 2s);
    if (d.panic) CHECK(d.desired == 10);
    REQUIRE(g.now() < spike + 120s);
  }
  CHECK(g.now() == spike + 2s + 60s);
  // Out of panic: stable desire is 1 but scale-down is limited to 2x per tick.
  CHECK(d.desired == 5);
  CHECK(d.reason == ScaleReason::rate_limited_down);
  d = run(s, g, ready, 10s);
  CHECK(d.desired == 1);
}

TEST_CASE("no work: decays to zero only after the stable window and the grace") {
  ConcurrencyScaler s(knative_like(), at(0s));
  FakeLoad g;
  std::uint32_t ready = 1;
  g.set_concurrency(3);
  run(s, g, ready, 90s);
  REQUIRE(ready == 1);
  g.set_concurrency(0);
  const TimePoint idle_from = g.now();
  ScaleDecision d;
  bool saw_grace = false;
  while (ready > 0) {
    d = run(s, g, ready, 2s);
    if (d.reason == ScaleReason::grace_period) saw_grace = true;
    REQUIRE(g.now() < idle_from + 200s);
  }
  CHECK(saw_grace);
  CHECK(d.reason == ScaleReason::scaled_to_zero);
  // Average reaches zero after the 60 s window; then 30 s grace.
  CHECK(g.now() >= idle_from + 60s + 30s);
  CHECK(g.now() <= idle_from + 60s + 30s + 4s);
}

TEST_CASE("never scales to zero while work is queued or in flight") {
  ConcurrencyScaler s(knative_like(), at(0s));
  // The integral does not move (a request just arrived), but one is queued.
  for (int i = 1; i <= 100; ++i) {
    auto d = s.on_tick(at(i * 2s), Load{0, 0, 1, 1});
    CHECK(d.desired >= 1);
  }
  auto d = s.on_tick(at(300s), Load{0, 1, 0, 1});
  CHECK(d.desired == 1);
  CHECK(d.reason == ScaleReason::work_pending);
}

TEST_CASE("min and max scale clamp the decision") {
  auto c = knative_like();
  c.min_scale = 2;
  c.max_scale = 3;
  ConcurrencyScaler s(c, at(0s));
  FakeLoad g;
  std::uint32_t ready = 2;
  auto d = run(s, g, ready, 120s);
  CHECK(d.desired == 2);
  CHECK(d.reason == ScaleReason::clamped_min);
  g.set_concurrency(500);
  d = run(s, g, ready, 20s);
  CHECK(d.desired == 3);
  CHECK(d.reason == ScaleReason::clamped_max);
}

TEST_CASE("initial scale holds for the first stable window") {
  auto c = knative_like();
  c.initial_scale = 2;
  ConcurrencyScaler s(c, at(0s));
  CHECK(s.last_desired() == 2);
  FakeLoad g;
  std::uint32_t ready = 2;
  auto d = run(s, g, ready, 30s);
  CHECK(d.desired == 2);
  CHECK(d.reason == ScaleReason::initial_scale);
  d = run(s, g, ready, 62s);
  CHECK(d.desired < 2);
}

TEST_CASE("a request held at zero gets capacity at once, sized by the queue") {
  ConcurrencyScaler s(knative_like(), at(0s));
  auto d = s.on_demand(at(5s), Load{0, 0, 1, 0});
  CHECK(d.desired == 1);
  CHECK(d.reason == ScaleReason::scale_from_zero);
  ConcurrencyScaler s2(knative_like(), at(0s));
  d = s2.on_demand(at(5s), Load{0, 0, 25, 0});
  CHECK(d.desired == 3);  // ceil(25 / 10)
}

TEST_CASE("configuration is validated") {
  ScalingConfig c;
  CHECK_FALSE(c.validate().has_value());
  c.min_scale = 5;
  c.max_scale = 2;
  auto f = c.validate();
  REQUIRE(f.has_value());
  CHECK(f->code == Error::bad_config);
  c = ScalingConfig{};
  c.target_utilization = 1.5;
  CHECK(c.validate().has_value());
}
