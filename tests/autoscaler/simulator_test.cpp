#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoscaler/simulator.hpp"

using namespace svl::autoscaler;
using namespace std::chrono_literals;

namespace {

Trace one_function(const std::vector<std::uint32_t>& per_minute, double duration_ms, double memory_mb) {
  Trace t;
  t.minutes = static_cast<std::uint32_t>(per_minute.size());
  TraceFunction f;
  f.hash_function = f.hash_app = f.hash_owner = "f";
  f.per_minute = per_minute;
  f.durations = DurationPercentiles{duration_ms, {}};
  f.memory_mb = memory_mb;
  t.functions.push_back(f);
  return t;
}

SimOptions options(const std::string& policy, std::uint64_t seed = 1) {
  SimOptions o;
  o.policy = std::get<PolicySpec>(parse_policy(policy));
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("simulation with a known answer: two calls three minutes apart under fixed:30s") {
  // 1 GiB, 1 s calls in minutes 1 and 3: both cold (the first from nothing, the second from a
  // stopped container); each idle period wastes exactly 30 s x 1 GiB.
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  for (std::uint64_t seed : {1, 2, 3}) {
    auto r = simulate(t, options("fixed:30s", seed));
    CHECK(r.invocations == 2);
    CHECK(r.cold_starts == 2);
    CHECK(r.wakes_removed == 1);
    CHECK(r.wakes_stopped == 1);
    CHECK(r.wakes_paused == 0);
    CHECK(r.wasted_gb_s == doctest::Approx(60.0));
    CHECK(r.peak_memory_gb == doctest::Approx(1.0));
    CHECK(r.cold_start_pct == doctest::Approx(100.0));
    CHECK(r.cold_start_pct_p75 == doctest::Approx(100.0));
  }
}

TEST_CASE("fixed:10m keeps the replica between the two calls: one cold start") {
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  auto r = simulate(t, options("fixed:10m"));
  CHECK(r.cold_starts == 1);
  CHECK(r.cold_start_pct == doctest::Approx(50.0));
  // Held from the first call to the end (4 min), busy 2 s plus the 72 ms start.
  CHECK(r.wasted_gb_s > 180 - 60 - 2.072 - 1e-6);
  CHECK(r.wasted_gb_s < 240 - 2.072 + 1e-6);
}

TEST_CASE("a paused replica wakes without a cold start and its memory counts as wasted") {
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  auto r = simulate(t, options("fixed:10m,pause=1s"));
  CHECK(r.cold_starts == 1);
  CHECK(r.wakes_paused == 1);
  auto warm = simulate(t, options("fixed:10m"));
  CHECK(r.wasted_gb_s == doctest::Approx(warm.wasted_gb_s).epsilon(1e-3));
}

TEST_CASE("adaptive learns a 30-minute timer and pre-warms: fewer cold starts and less waste than fixed:10m") {
  std::vector<std::uint32_t> minutes(1440, 0);
  for (std::size_t m = 0; m < minutes.size(); m += 30) minutes[m] = 1;
  auto t = one_function(minutes, 2000, 1024);
  auto fixed = simulate(t, options("fixed:10m"));
  auto adaptive = simulate(t, options("adaptive:cost=500"));
  CHECK(fixed.invocations == 48);
  CHECK(fixed.cold_starts == 48);  // 30-minute gaps outlive a 10-minute keep-alive
  CHECK(adaptive.cold_starts <= 14);
  CHECK(adaptive.prewarms >= 30);
  CHECK(adaptive.wasted_gb_s < fixed.wasted_gb_s);
}

TEST_CASE("wake latency: each wake adds its tier's cost, summed and as a p99 over calls") {
  const TierCosts costs;
  CHECK(costs.from_paused == 10ms);  // bench/cold_start's p50s (docs/daemon.md)
  CHECK(costs.from_stopped == 66ms);
  CHECK(costs.from_removed == 72ms);
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  auto cold = simulate(t, options("fixed:30s"));  // from removed, then from stopped
  CHECK(cold.delayed_calls == 2);
  CHECK(cold.wake_latency_total_s == doctest::Approx(0.072 + 0.066));
  CHECK(cold.wake_latency_p99_ms == doctest::Approx(72));
  auto paused = simulate(t, options("fixed:10m,pause=1s"));  // from removed, then from paused
  CHECK(paused.wake_latency_total_s == doctest::Approx(0.072 + 0.010));
  CHECK(paused.wake_latency_p99_ms == doctest::Approx(72));

  // One cold start among n calls (kept warm between): it is the p99 only while it is more than 1 %.
  auto calls_every_minute = [](std::size_t n) { return one_function(std::vector<std::uint32_t>(n, 1), 100, 256); };
  auto fifty = simulate(calls_every_minute(50), options("fixed:10m"));
  CHECK(fifty.delayed_calls == 1);
  CHECK(fifty.wake_latency_total_s == doctest::Approx(0.072));
  CHECK(fifty.wake_latency_p99_ms == doctest::Approx(72));
  auto hundred = simulate(calls_every_minute(100), options("fixed:10m"));
  CHECK(hundred.wake_latency_total_s == doctest::Approx(0.072));
  CHECK(hundred.wake_latency_p99_ms == 0);
}

TEST_CASE("wake latency: a call arriving while the replica wakes waits for the rest of the wake") {
  auto t = one_function({2}, 100, 256);
  auto o = options("fixed:10m");
  o.costs.from_removed = 60s;  // longer than the minute: the second call surely arrives meanwhile
  o.record_calls = true;
  auto r = simulate(t, o);
  REQUIRE(r.per_function[0].calls.size() == 2);
  const double first = static_cast<double>(r.per_function[0].calls[0].start_ns) / 1e9;
  const double second = static_cast<double>(r.per_function[0].calls[1].start_ns) / 1e9;
  CHECK(r.cold_starts == 1);
  CHECK(r.delayed_calls == 2);
  CHECK(r.wake_latency_total_s == doctest::Approx(60 + (first + 60 - second)));
  CHECK(r.wake_latency_p99_ms == doctest::Approx(60000));
}

TEST_CASE("results are reproducible for a seed and arrivals do not depend on the policy") {
  auto t = one_function({3, 1, 0, 0, 2, 5, 0, 1}, 1500, 512);
  auto a = simulate(t, options("hybrid", 7));
  auto b = simulate(t, options("hybrid", 7));
  CHECK(a.wasted_gb_s == b.wasted_gb_s);
  CHECK(a.cold_starts == b.cold_starts);
  CHECK(simulate(t, options("fixed:30s", 7)).invocations == 12);
}

TEST_CASE("a memory budget evicts idle replicas of other functions") {
  Trace t = one_function({1, 0, 0, 0, 0, 0}, 1000, 1024);
  TraceFunction g = t.functions[0];
  g.hash_function = "g";
  g.per_minute = {0, 0, 1, 0, 0, 0};
  t.functions.push_back(g);
  auto o = options("fixed:10m");
  o.memory_budget_bytes = 1536ull << 20;  // room for one 1 GiB replica only
  auto r = simulate(t, o);
  CHECK(r.evictions == 1);
  CHECK(r.peak_memory_gb == doctest::Approx(1.0));
  auto unlimited = simulate(t, options("fixed:10m"));
  CHECK(unlimited.peak_memory_gb == doctest::Approx(2.0));
}

namespace {

constexpr double kNs = 1e9;

// The count-oracle floor computed the slow way from the recorded calls: per minute with calls, the
// window [minute start, latest end of that minute's calls]; the union of the windows minus the
// union of the busy intervals, in seconds.
double oracle_floor_seconds(const std::vector<SimCall>& calls) {
  std::vector<std::pair<std::int64_t, std::int64_t>> windows, busy;
  for (const auto& c : calls) {
    const std::int64_t minute = c.start_ns / (60 * std::int64_t{1'000'000'000});
    const std::int64_t minute_start = minute * 60 * std::int64_t{1'000'000'000};
    const std::int64_t end = c.start_ns + c.duration_ns;
    if (!windows.empty() && windows.back().first == minute_start)
      windows.back().second = std::max(windows.back().second, end);
    else
      windows.push_back({minute_start, end});
    busy.push_back({c.start_ns, end});
  }
  auto union_length = [](std::vector<std::pair<std::int64_t, std::int64_t>> v) {
    std::sort(v.begin(), v.end());
    std::int64_t total = 0, lo = 0, hi = -1;
    for (auto [a, b] : v) {
      if (a > hi) {
        if (hi > lo) total += hi - lo;
        lo = a;
        hi = b;
      } else {
        hi = std::max(hi, b);
      }
    }
    if (hi > lo) total += hi - lo;
    return total;
  };
  return static_cast<double>(union_length(windows) - union_length(busy)) / kNs;
}

}  // namespace

TEST_CASE("count-oracle floor by hand: one call in each of minutes 0 and 1") {
  // 2 GiB, fixed duration d. The oracle holds [0, t0 + d] for minute 0 and, for minute 1,
  // [max(60 s, t0 + d), t1 + d]; busy is [t0, t0 + d] and [t1, t1 + d]. So the floor is
  // 2 GB x (t0 + max(0, t1 - max(60 s, t0 + d))).
  for (double d_s : {1.0, 30.0, 90.0}) {
    auto t = one_function({1, 1, 0}, d_s * 1000, 2048);
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      auto o = options("fixed:10m", seed);
      o.record_calls = true;
      auto r = simulate(t, o);
      REQUIRE(r.per_function.size() == 1);
      const auto& calls = r.per_function[0].calls;
      REQUIRE(calls.size() == 2);
      const double t0 = static_cast<double>(calls[0].start_ns) / kNs;
      const double t1 = static_cast<double>(calls[1].start_ns) / kNs;
      CHECK(t0 >= 0);
      CHECK(t0 < 60);
      CHECK(t1 >= 60);
      CHECK(t1 < 120);
      CHECK(static_cast<double>(calls[0].duration_ns) / kNs == doctest::Approx(d_s));
      const double expected = 2.0 * (t0 + std::max(0.0, t1 - std::max(60.0, t0 + d_s)));
      CHECK(r.oracle_floor_gb_s == doctest::Approx(expected).epsilon(1e-9));
      CHECK(r.per_function[0].oracle_floor_gb_s == doctest::Approx(expected).epsilon(1e-9));
      CHECK(r.oracle_floor_gb_s <= 2.0 * 120);
      // fixed:10m: one cold start (the first call), which may save up to a minute.
      CHECK(r.cold_starts == 1);
      CHECK(r.oracle_floor_minus_cold_allowance_gb_s == doctest::Approx(std::max(0.0, expected - 2.0 * 60)));
      // fixed:10m holds from the first call to the end: the floor less its one minute is below it.
      CHECK(r.wasted_gb_s >= r.oracle_floor_minus_cold_allowance_gb_s);
    }
  }
}

TEST_CASE("count-oracle floor: the same for every policy, equal to the slow computation, below fixed policies") {
  Trace t = one_function({5, 0, 3, 12, 1, 0, 0, 2, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 0, 1536);
  // Durations from 0.1 s to 45 s, so calls overlap and spill into the next minute.
  t.functions[0].durations = DurationPercentiles{3000, {{0, 100}, {50, 2000}, {99, 20000}, {100, 45000}}};
  TraceFunction g = t.functions[0];
  g.hash_function = "g";
  g.per_minute = {0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0};
  g.durations = std::nullopt;  // default 1 s
  g.memory_mb = 256;
  t.functions.push_back(g);
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    std::optional<SimResult> first;
    for (const char* policy : {"fixed:10m", "fixed:30s", "hybrid", "adaptive", "fixed:10m,pause=1s"}) {
      auto o = options(policy, seed);
      o.record_calls = true;
      auto r = simulate(t, o);
      double total = 0, after = 0;
      for (std::size_t i = 0; i < t.functions.size(); ++i) {
        const auto& fr = r.per_function[i];
        const double gb = t.functions[i].memory_mb.value() / 1024.0;
        CHECK(fr.calls.size() == fr.invocations);
        const double expected = gb * oracle_floor_seconds(fr.calls);
        CHECK(fr.oracle_floor_gb_s == doctest::Approx(expected).epsilon(1e-9));
        CHECK(fr.oracle_floor_gb_s > 0);
        const double allowed = std::max(0.0, expected - gb * 60.0 * static_cast<double>(fr.cold_starts));
        CHECK(fr.oracle_floor_minus_cold_allowance_gb_s == doctest::Approx(allowed).epsilon(1e-9));
        total += fr.oracle_floor_gb_s;
        after += fr.oracle_floor_minus_cold_allowance_gb_s;
        // Fixed keep-alives never pre-warm, so each stretch of the oracle's holding that they do not
        // hold ends in a cold start in the same minute: at most 60 s each (plus the <= 0.27 s wake
        // delay, during which the simulator counts the woken call as in flight and the oracle not).
        if (std::string(policy) == "fixed:10m" || std::string(policy) == "fixed:30s")
          CHECK(fr.wasted_gb_s >= fr.oracle_floor_minus_cold_allowance_gb_s -
                                      gb * 0.27 * static_cast<double>(fr.cold_starts) - 1e-9);
      }
      CHECK(r.oracle_floor_gb_s == doctest::Approx(total).epsilon(1e-12));
      CHECK(r.oracle_floor_minus_cold_allowance_gb_s == doctest::Approx(after).epsilon(1e-12));
      if (!first) {
        first = r;
      } else {
        // Arrivals and durations do not depend on the policy, and neither does the floor.
        CHECK(r.oracle_floor_gb_s == first->oracle_floor_gb_s);
        for (std::size_t i = 0; i < t.functions.size(); ++i) {
          REQUIRE(r.per_function[i].calls.size() == first->per_function[i].calls.size());
          for (std::size_t k = 0; k < r.per_function[i].calls.size(); ++k) {
            CHECK(r.per_function[i].calls[k].start_ns == first->per_function[i].calls[k].start_ns);
            CHECK(r.per_function[i].calls[k].duration_ns == first->per_function[i].calls[k].duration_ns);
          }
        }
      }
    }
  }
}

TEST_CASE("recording calls changes no result") {
  auto t = one_function({3, 1, 0, 0, 2, 5, 0, 1}, 1500, 512);
  auto a = simulate(t, options("adaptive", 3));
  auto o = options("adaptive", 3);
  o.record_calls = true;
  auto b = simulate(t, o);
  CHECK(a.per_function[0].calls.empty());
  CHECK(b.per_function[0].calls.size() == 12);
  CHECK(a.wasted_gb_s == b.wasted_gb_s);
  CHECK(a.cold_starts == b.cold_starts);
  CHECK(a.oracle_floor_gb_s == b.oracle_floor_gb_s);
}

TEST_CASE("JSON report has the keys svl sim promises") {
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  auto r = simulate(t, options("fixed:30s"));
  auto j = nlohmann::json::parse(to_json(r, 120.0));
  for (const char* key : {"policy", "functions", "invocations", "cold_starts", "cold_starts_by_tier", "cold_start_pct",
                          "cold_start_pct_p75", "wasted_gb_s", "wasted_vs_fixed10m", "peak_memory_gb",
                          "oracle_floor_gb_s", "oracle_floor_minus_cold_allowance_gb_s", "wake_latency_total_s",
                          "wake_latency_p99_ms", "delayed_calls"})
    CHECK(j.contains(key));
  CHECK(j["cold_starts_by_tier"]["stopped"] == 1);
  CHECK(j["wasted_vs_fixed10m"].get<double>() == doctest::Approx(0.5));
  CHECK(j["policy"] == "fixed:30s");
  CHECK(j["wake_latency_p99_ms"].get<double>() == doctest::Approx(72));
  CHECK(to_text(r, 120.0).find("wake latency        0.1 s in all, over 2 calls; p99 over calls 72.0 ms") !=
        std::string::npos);
}

TEST_CASE("policy names are parsed with clear errors") {
  CHECK(std::holds_alternative<PolicySpec>(parse_policy("fixed:10m")));
  CHECK(std::holds_alternative<PolicySpec>(parse_policy("adaptive:cost=100,prior=2")));
  auto bad = parse_policy("lru");
  REQUIRE(std::holds_alternative<Failure>(bad));
  CHECK(std::get<Failure>(bad).code == Error::unknown_policy);
  CHECK(std::holds_alternative<Failure>(parse_policy("fixed:10x")));
  CHECK(std::holds_alternative<Failure>(parse_policy("hybrid:nope=1")));
}
