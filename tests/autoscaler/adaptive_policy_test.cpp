#include <doctest/doctest.h>

#include <vector>

#include "autoscaler/adaptive_policy.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

double secs(Duration d) { return std::chrono::duration<double>(d).count(); }

AdaptivePolicyConfig config(std::uint64_t mb, double cold_cost_gb_s = AdaptivePolicyConfig{}.cold_start_cost_gb_s) {
  AdaptivePolicyConfig c;
  c.memory_bytes = mb << 20;
  c.cold_start_cost_gb_s = cold_cost_gb_s;
  return c;
}

// 1 s calls at second 20 of minutes 0, 5, 10, ... 295; returns when the last one ended.
TimePoint call_every_five_minutes(AdaptivePolicy& p) {
  TimePoint end{};
  for (int m = 0; m < 300; m += 5) {
    const TimePoint start = at(std::chrono::minutes(m) + 20s);
    p.on_arrival(start);
    p.on_busy(start);
    end = start + 1s;
    p.on_idle(end);
  }
  return end;
}

}  // namespace

TEST_CASE("adaptive: bursts every 30 min -> short keep after each call, pre-warm before the next burst") {
  // A cold start worth 500 GB-s: for 1 GiB, about 11 min of idle memory (with the rare-function
  // weight), so keeping 30 min between bursts does not pay but a pre-warm does.
  AdaptivePolicy p(config(1024, 500));
  std::vector<Duration> its;
  for (int burst = 0; burst < 20; ++burst) {
    its.insert(its.end(), {5s, 4s, 6s});
    its.push_back(30min - 20s + std::chrono::seconds(burst % 3) * 10);
  }
  auto end = feed(p, its);
  auto w = p.window();
  CHECK(secs(w.keep_until) >= 6);
  CHECK(secs(w.keep_until) < 60);
  CHECK(secs(w.prewarm_at) > 25 * 60);
  CHECK(secs(w.prewarm_at) < 30 * 60 - 20);
  CHECK(secs(w.prewarm_until) > 30 * 60);
  CHECK(secs(w.prewarm_until) < 35 * 60);

  // The tiers over one idle period: warm, paused (2 s), stopped, pre-warmed (paused), stopped.
  CHECK(p.decide(end + 1s).tier == Tier::warm);
  CHECK(p.decide(end + 3s).tier == Tier::paused);
  auto d = p.decide(end + 2min);
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::prewarm_wait);
  REQUIRE(d.prewarm_at);
  CHECK(*d.prewarm_at == end + w.prewarm_at);
  d = p.decide(end + 29min);
  CHECK(d.tier == Tier::paused);
  CHECK(d.reason == KeepAliveReason::prewarmed);
  CHECK(p.decide(end + 40min).tier == Tier::stopped);
  CHECK(p.decide(end + 40min + 2h).tier == Tier::removed);
}

TEST_CASE("adaptive: no pre-warm before prewarm_min_samples idle times") {
  AdaptivePolicy p(config(1024, 500));
  feed(p, std::vector<Duration>(5, 30min));
  auto w = p.window();
  CHECK(w.prewarm_until == w.prewarm_at);
  feed(p, std::vector<Duration>(10, 30min));
  w = p.window();
  CHECK(w.prewarm_until > w.prewarm_at);
}

TEST_CASE("adaptive: with a high cost, a rare cold start outweighs hours of idle memory") {
  AdaptivePolicy p(config(1024, 15000));
  std::vector<Duration> its;
  for (int i = 0; i < 30; ++i) its.push_back(30min);
  auto end = feed(p, its);
  // The next arrival finds it loaded, and so would one hours late (the prior's tail is worth
  // covering at this cost); the MemoryBudget reclaims such replicas under pressure.
  CHECK(holds_memory(p.decide(end + 30min).tier));
  CHECK(holds_memory(p.decide(end + 2h).tier));
  CHECK_FALSE(holds_memory(p.decide(end + 5h).tier));

  // The default cost catches the next call, and unloads the replica when no call came in time.
  AdaptivePolicy d(config(1024));
  end = feed(d, its);
  CHECK(holds_memory(d.decide(end + 30min).tier));
  CHECK_FALSE(holds_memory(d.decide(end + 2h).tier));
}

TEST_CASE("adaptive: a new function gets a bounded keep-alive and no pre-warm") {
  AdaptivePolicy p(config(512));
  auto end = feed(p, {});
  auto w = p.window();
  CHECK(w.keep_until > Duration::zero());
  CHECK(w.keep_until <= 4h + 30min);
  CHECK(w.prewarm_until == w.prewarm_at);
  CHECK(p.decide(end + w.keep_until + 1s).tier == Tier::stopped);
}

TEST_CASE("adaptive: larger replicas are kept for less time on the same history") {
  std::vector<Duration> its;
  for (int i = 0; i < 30; ++i) its.push_back(i % 2 ? 2min : 50min + std::chrono::minutes(i));
  AdaptivePolicy small(config(128)), large(config(8192));
  feed(small, its);
  feed(large, its);
  auto ws = small.window(), wl = large.window();
  auto loaded = [](const AdaptiveWindow& w) { return w.keep_until + (w.prewarm_until - w.prewarm_at); };
  CHECK(loaded(wl) < loaded(ws));
  CHECK(wl.expected_cold > ws.expected_cold);
}

TEST_CASE("adaptive: a function called every few seconds stays loaded") {
  AdaptivePolicy p(config(2048));
  auto end = feed(p, std::vector<Duration>(100, 3s));
  CHECK(p.decide(end + 2s).tier == Tier::paused);  // frozen between calls, still not a cold start
  CHECK(holds_memory(p.decide(end + 3s).tier));
}

TEST_CASE("adaptive: a call every 5 minutes is planned minute by minute from the forecast") {
  AdaptivePolicyConfig c = config(1024, 500);
  AdaptivePolicy p(c);
  const TimePoint end = call_every_five_minutes(p);
  REQUIRE(p.forecast().informative(c.forecast_margin));
  const TimePoint minute = at(295min);
  auto d = p.decide(end + 1s);
  CHECK(holds_memory(d.tier));  // the rest of the current minute
  CHECK(d.detail.find("minute forecast") != std::string::npos);
  CHECK(p.decide(minute + 61s).tier == Tier::stopped);      // minutes 296 .. 299: no call expected
  CHECK(p.decide(minute + 5min - 3s).tier == Tier::stopped);
  CHECK(p.decide(minute + 5min - 1s).tier == Tier::paused);  // pre-warmed 2 s ahead of minute 300
  CHECK(p.decide(minute + 5min + 30s).tier == Tier::paused);
  // No call came in minute 300: the next predicted minute is loaded again (plan_more).
  CHECK(p.decide(minute + 10min + 10s).tier == Tier::paused);
}

TEST_CASE("adaptive: with forecast=off the same history uses idle-time windows only") {
  AdaptivePolicyConfig c = config(1024, 500);
  c.minute_forecast = false;
  AdaptivePolicy p(c);
  const TimePoint end = call_every_five_minutes(p);
  CHECK_FALSE(p.forecast().seen_any());
  CHECK(p.decide(end + 1s).detail.find("minute forecast") == std::string::npos);
}
