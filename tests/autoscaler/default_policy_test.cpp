// The default keep-alive (policy "adaptive" with no options) keeps the scale-to-zero promise:
// fewer cold starts than a fixed 10-minute timeout and no more idle memory, and a function with
// no history is stopped within 15 minutes of going idle.
#include <doctest/doctest.h>

#include <cstdlib>
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

TEST_CASE("without the new-function cap the same function would be held for hours") {
  for (const char* spec : {"adaptive:new_keep=off", "adaptive:new_keep=off,portfolio=off"}) {
    CAPTURE(spec);
    auto p = default_policy(spec);
    const TimePoint end = called_at(*p, {0s, 20min});
    CHECK(holds_memory(p->decide(end + 15min).tier));
    CHECK(holds_memory(p->decide(end + 2h).tier));
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
