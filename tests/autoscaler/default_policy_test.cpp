// The default keep-alive (policy "adaptive" with no options) keeps the scale-to-zero promise:
// fewer cold starts than a fixed 10-minute timeout and no more idle memory, and a function with
// no history is stopped within 15 minutes of going idle.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "autoscaler/policy_spec.hpp"
#include "autoscaler/simulator.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

SimOptions sim_options(const std::string& policy) {
  SimOptions o;
  o.policy = std::get<PolicySpec>(parse_policy(policy));
  return o;
}

TraceFunction function(const std::string& name, std::vector<std::uint32_t> per_minute, double memory_mb) {
  TraceFunction f;
  f.hash_function = f.hash_app = f.hash_owner = name;
  f.per_minute = std::move(per_minute);
  f.durations = DurationPercentiles{800, {{0, 200}, {50, 800}, {100, 3000}}};
  f.memory_mb = memory_mb;
  return f;
}

// A day of the kinds of function seen in the Azure traces, from a fixed seed: steady traffic,
// a 15-minute timer, sessions of a call a minute and bursts, both with gaps of tens of minutes,
// calls in random minutes, and functions called a few times a day.
Trace canned_day() {
  constexpr std::uint32_t minutes = 1440;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  auto between = [&](std::uint32_t lo, std::uint32_t hi) { return lo + static_cast<std::uint32_t>(u(rng) * (hi - lo)); };
  // Active stretches of `calls` per minute, `on` minutes long, separated by `off` minutes.
  auto stretches = [&](std::uint32_t calls, std::uint32_t on_lo, std::uint32_t on_hi, std::uint32_t off_lo,
                       std::uint32_t off_hi) {
    std::vector<std::uint32_t> v(minutes, 0);
    for (std::uint32_t m = between(0, off_hi); m < minutes; m += between(off_lo, off_hi))
      for (std::uint32_t end = std::min(minutes, m + between(on_lo, on_hi)); m < end; ++m) v[m] = calls;
    return v;
  };
  auto random_minutes = [&](double p) {
    std::vector<std::uint32_t> v(minutes, 0);
    for (auto& m : v) m = u(rng) < p ? 1 : 0;
    return v;
  };
  // Calls in the minutes of each `cycle` listed in `phases` (cron-like triggers).
  auto periodic = [&](std::uint32_t cycle, std::vector<std::uint32_t> phases, std::uint32_t calls) {
    std::vector<std::uint32_t> v(minutes, 0);
    for (std::uint32_t m = 0; m < minutes; ++m)
      if (std::find(phases.begin(), phases.end(), m % cycle) != phases.end()) v[m] = calls;
    return v;
  };
  std::vector<std::uint32_t> steady(minutes);
  for (auto& m : steady) m = between(1, 4);
  Trace t;
  t.minutes = minutes;
  t.functions.push_back(function("steady", steady, 512));
  // On the 100 sample the default saves most against fixed:10m on periodic functions of 1-2.5 GB;
  // on rarely called ones it holds more memory than fixed:10m, on purpose (rare_boost).
  t.functions.push_back(function("every 5 min", periodic(5, {2}, 20), 1024));
  t.functions.push_back(function("a 15-minute pattern", periodic(15, {0, 3, 4}, 3), 2048));
  t.functions.push_back(function("every 15 min", periodic(15, {7}, 1), 256));
  t.functions.push_back(function("sessions", stretches(1, 5, 15, 10, 40), 512));
  t.functions.push_back(function("bursts", stretches(4, 1, 3, 20, 80), 1024));
  t.functions.push_back(function("random", random_minutes(0.1), 256));
  t.functions.push_back(function("seldom", random_minutes(0.02), 128));
  t.functions.push_back(function("rare", random_minutes(0.004), 256));
  return t;
}

// The default policy as the daemon makes it for a 256 MiB function; called at `calls` (1 s each).
// Returns when the last call ended.
TimePoint called_at(KeepAlivePolicy& p, const std::vector<Duration>& calls) {
  TimePoint end{};
  for (Duration c : calls) {
    p.on_arrival(at(c));
    p.on_busy(at(c));
    end = at(c + 1s);
    p.on_idle(end);
  }
  return end;
}

std::unique_ptr<KeepAlivePolicy> default_policy(const std::string& spec = "adaptive") {
  return make_policy(std::get<PolicySpec>(parse_policy(spec)), 256ull << 20);
}

}  // namespace

TEST_CASE("the default has fewer cold starts than fixed:10m and wastes no more memory on a canned day") {
  const Trace t = canned_day();
  const SimResult fixed = simulate(t, sim_options("fixed:10m"));
  const SimResult dflt = simulate(t, sim_options("adaptive"));
  MESSAGE("fixed:10m cold " << fixed.cold_starts << " wasted " << fixed.wasted_gb_s << "; default cold "
                            << dflt.cold_starts << " wasted " << dflt.wasted_gb_s);
  REQUIRE(fixed.invocations == dflt.invocations);
  CHECK(dflt.cold_starts < fixed.cold_starts);
  CHECK(dflt.wasted_gb_s <= fixed.wasted_gb_s);
  // The check can fail: the previous default cost held more memory than fixed:10m on this day.
  const SimResult old = simulate(t, sim_options("adaptive:cost=15000"));
  MESSAGE("cost=15000 cold " << old.cold_starts << " wasted " << old.wasted_gb_s);
  CHECK(old.wasted_gb_s > fixed.wasted_gb_s);
}

TEST_CASE("a function called once or twice is stopped within 15 minutes of going idle") {
  const std::vector<std::vector<Duration>> histories{
      {0s}, {0s, 5s}, {0s, 30s}, {0s, 20min}, {0s, 3h}};
  for (const auto& calls : histories) {
    CAPTURE(calls.size());
    CAPTURE(std::chrono::duration_cast<std::chrono::seconds>(calls.back()).count());
    auto p = default_policy();
    const TimePoint end = called_at(*p, calls);
    auto held = p->decide(end + 14min);
    CHECK(holds_memory(held.tier));  // still paused: a call now is not a cold start
    CHECK(held.detail.find("new function: stopped by 15m") != std::string::npos);
    auto d = p->decide(end + 15min);
    CHECK(d.tier == Tier::stopped);
    CHECK(d.reason == KeepAliveReason::idle_timeout);
    CHECK(p->decide(end + 15min + 59min).tier == Tier::stopped);  // the container is kept for 1 h
    CHECK(p->decide(end + 15min + 1h).tier == Tier::removed);
  }
}

TEST_CASE("without the new-function cap the same function would be held for more than an hour") {
  for (const char* spec : {"adaptive:new_keep=off", "adaptive:new_keep=off,portfolio=off"}) {
    CAPTURE(spec);
    auto p = default_policy(spec);
    const TimePoint end = called_at(*p, {0s, 20min});
    CHECK(holds_memory(p->decide(end + 15min).tier));
    CHECK(holds_memory(p->decide(end + 1h).tier));  // the prior and the rare-function boost: 88 min
  }
}

TEST_CASE("the cap holds for the single policy too, and lifts once the function has history") {
  auto single = default_policy("adaptive:portfolio=off");
  CHECK(single->decide(called_at(*single, {0s}) + 15min).tier == Tier::stopped);

  // A third idle period: two idle times of 20 min are known, so the plan catches the next one.
  auto p = default_policy();
  const TimePoint end = called_at(*p, {0s, 20min, 40min});
  CHECK(p->idle_times() == 2);
  auto d = p->decide(end + 19min);
  CHECK(holds_memory(d.tier));
  CHECK(d.detail.find("new function") == std::string::npos);

  auto longer = default_policy("adaptive:new_keep=5m,new_idle_times=3");
  const TimePoint e = called_at(*longer, {0s, 20min, 40min});
  CHECK(holds_memory(longer->decide(e + 4min).tier));
  CHECK(longer->decide(e + 5min).tier == Tier::stopped);
  CHECK(std::holds_alternative<Failure>(parse_policy("adaptive:new_keep=soon")));
  CHECK(std::holds_alternative<Failure>(parse_policy("adaptive:new_keep=off,new_idle_times=2")));
}
