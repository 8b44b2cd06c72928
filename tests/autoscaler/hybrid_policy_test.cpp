#include <doctest/doctest.h>

#include <vector>

#include "autoscaler/hybrid_policy.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

std::vector<Duration> repeat(Duration d, int n) { return std::vector<Duration>(n, d); }
double secs(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

TEST_CASE("hybrid: too few samples -> fixed keep-alive of the histogram range") {
  HybridPolicy p;
  auto end = feed(p, repeat(10min + 20s, 5));
  auto w = p.windows();
  CHECK(w.mode == HybridMode::fallback);
  CHECK(w.prewarm == Duration::zero());
  CHECK(w.keep_alive == 4h);
  CHECK(p.decide(end + 3h).tier == Tier::warm);
  CHECK(p.decide(end + 4h).tier == Tier::stopped);
}

TEST_CASE("hybrid: a concentrated histogram pre-warms at p5 x 0.9 and keeps until p99 x 1.1") {
  HybridPolicy p;
  auto end = feed(p, repeat(10min + 20s, 30));  // all in bin 10
  auto w = p.windows();
  CHECK(w.mode == HybridMode::histogram);
  CHECK(w.cv > 2);
  CHECK(secs(w.prewarm) == doctest::Approx(540));                 // 10 min x 0.9
  CHECK(secs(w.prewarm + w.keep_alive) == doctest::Approx(726));  // 11 min x 1.1
  auto d = p.decide(end);
  CHECK(d.tier == Tier::stopped);
  CHECK(d.reason == KeepAliveReason::prewarm_wait);
  REQUIRE(d.prewarm_at);
  CHECK(secs(*d.prewarm_at - end) == doctest::Approx(540));
  CHECK(p.decide(end + 9min).tier == Tier::warm);
  CHECK(p.decide(end + 9min).reason == KeepAliveReason::prewarmed);
  CHECK(p.decide(end + 12min + 7s).tier == Tier::stopped);
}

TEST_CASE("hybrid: head in bin 0 means no pre-warm, keep-alive from the end of the invocation") {
  HybridPolicy p;
  std::vector<Duration> its = repeat(20s, 20);
  auto more = repeat(3min + 10s, 10);
  its.insert(its.end(), more.begin(), more.end());
  auto end = feed(p, its);
  auto w = p.windows();
  CHECK(w.mode == HybridMode::histogram);
  CHECK(w.prewarm == Duration::zero());
  CHECK(secs(w.keep_alive) == doctest::Approx(264));  // p99 in bin 3 -> 4 min x 1.1
  CHECK(p.decide(end + 4min).tier == Tier::warm);
  CHECK(p.decide(end + 4min + 30s).tier == Tier::stopped);
}

TEST_CASE("hybrid: a flat histogram (CV < 2) falls back to the fixed keep-alive") {
  HybridPolicy p;
  std::vector<Duration> its;
  for (int m = 0; m < 120; ++m) its.push_back(std::chrono::minutes(m) + 30s);  // one per bin
  feed(p, its);
  auto w = p.windows();
  CHECK(w.cv < 2);
  CHECK(w.mode == HybridMode::fallback);
  CHECK(w.keep_alive == 4h);
}

TEST_CASE("hybrid: mostly out-of-bounds idle times use the forecast") {
  HybridPolicy p;
  auto end = feed(p, repeat(6h, 12));
  auto w = p.windows();
  CHECK(w.out_of_bounds == 12);
  CHECK(w.mode == HybridMode::forecast);
  // 6 h forecast: load at 85 %, keep for 2 x 15 %.
  CHECK(secs(w.prewarm) == doctest::Approx(6 * 3600 * 0.85));
  CHECK(secs(w.keep_alive) == doctest::Approx(6 * 3600 * 0.30));
  CHECK(p.decide(end + 5h).tier == Tier::stopped);
  CHECK(p.decide(end + 6h).tier == Tier::warm);
  CHECK(p.decide(end + 7h).tier == Tier::stopped);
}

TEST_CASE("forecaster follows a changing series (exponential smoothing of log idle time)") {
  IdleTimeForecaster f(0.5);
  CHECK_FALSE(f.forecast());
  f.add(1h);
  CHECK(secs(*f.forecast()) == doctest::Approx(3600));
  f.add(4h);
  // geometric mean of 1 h and 4 h = 2 h
  CHECK(secs(*f.forecast()) == doctest::Approx(7200));
}
