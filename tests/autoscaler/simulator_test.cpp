#include <doctest/doctest.h>

#include <sstream>
#include <nlohmann/json.hpp>

#include "autoscaler/simulator.hpp"

using namespace svl::autoscaler;

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
  // Held from the first call to the end (4 min), busy 2 s plus the 270 ms start.
  CHECK(r.wasted_gb_s > 180 - 60 - 2.27 - 1e-6);
  CHECK(r.wasted_gb_s < 240 - 2.27 + 1e-6);
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

TEST_CASE("JSON report has the keys svl sim promises") {
  auto t = one_function({1, 0, 1, 0}, 1000, 1024);
  auto r = simulate(t, options("fixed:30s"));
  auto j = nlohmann::json::parse(to_json(r, 120.0));
  for (const char* key : {"policy", "functions", "invocations", "cold_starts", "cold_starts_by_tier", "cold_start_pct",
                          "cold_start_pct_p75", "wasted_gb_s", "wasted_vs_fixed10m", "peak_memory_gb"})
    CHECK(j.contains(key));
  CHECK(j["cold_starts_by_tier"]["stopped"] == 1);
  CHECK(j["wasted_vs_fixed10m"].get<double>() == doctest::Approx(0.5));
  CHECK(j["policy"] == "fixed:30s");
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
