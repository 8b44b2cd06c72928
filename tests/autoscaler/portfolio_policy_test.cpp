#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "autoscaler/adaptive_policy.hpp"
#include "autoscaler/policy_spec.hpp"
#include "autoscaler/portfolio_policy.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

std::unique_ptr<KeepAlivePolicy> fixed(Duration timeout) {
  return std::make_unique<FixedPolicy>(
      FixedPolicyConfig{.pause_after = 2s, .idle_timeout = timeout, .stopped_retention = 1h});
}

// A cold start is worth 100 s of the replica's memory.
PortfolioPolicy fixed_pair(Duration first, Duration second) {
  std::vector<PortfolioCandidate> c;
  c.push_back({"first", fixed(first)});
  c.push_back({"second", fixed(second)});
  return PortfolioPolicy(std::move(c), PortfolioConfig{.breakeven_s = [] { return 100.0; }, .half_life = 6h});
}

// Idle until `prewarm_at`, then loaded (paused) for 30 s: pre-warms ahead of a timer.
class PrewarmOnly final : public KeepAlivePolicy {
public:
  explicit PrewarmOnly(Duration prewarm_at) : prewarm_at_(prewarm_at) {}
  std::string_view name() const override { return "prewarm-only"; }
  std::vector<std::string> events;  // what it was told and asked, in order

  void on_arrival(TimePoint now) override { events.push_back("arrival " + std::to_string(seconds(now))); }

protected:
  void learn(Duration) override {}
  IdleSchedule plan(TimePoint) override {
    IdleSchedule s;
    s.prewarm_at = prewarm_at_;
    s.prewarm_until = prewarm_at_ + 30s;
    s.prewarm_paused = true;
    s.remove_at = 1h;
    return s;
  }
  std::optional<IdleSchedule> plan_more(TimePoint idle_start, TimePoint now) override {
    events.push_back("plan_more " + std::to_string(seconds(now)));
    IdleSchedule s;  // the same pre-warm again, one period later
    s.prewarm_at = now - idle_start + prewarm_at_ - 30s;
    s.prewarm_until = s.prewarm_at + 30s;
    s.prewarm_paused = true;
    s.remove_at = s.prewarm_until + 1h;
    return s;
  }

private:
  static long seconds(TimePoint t) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  }
  Duration prewarm_at_;
};

}  // namespace

TEST_CASE("portfolio: follows the first candidate until another has cost the function less") {
  auto p = fixed_pair(10min, 30s);
  p.on_busy(at(0s));
  p.on_idle(at(1s));
  CHECK(p.leader() == 0);
  CHECK(p.decide(at(1s + 5min)).tier == Tier::paused);  // the 10-minute timeout is followed
  // The call after 5 idle minutes: the first candidate held 300 s, the second 30 s and was cold.
  p.on_busy(at(1s + 5min));
  CHECK(p.record(0) == doctest::Approx(300));
  CHECK(p.record(1) == doctest::Approx(30 + 100));
  p.on_idle(at(2s + 5min));
  CHECK(p.leader() == 1);
  auto d = p.decide(at(2s + 6min));
  CHECK(d.tier == Tier::stopped);
  CHECK(d.detail.find("following second") != std::string::npos);
}

TEST_CASE("portfolio: a tie keeps the first candidate, and old records fade with the half-life") {
  auto p = fixed_pair(10min, 30s);
  p.on_busy(at(0s));
  p.on_idle(at(1s));
  p.on_busy(at(21s));  // both held 20 s, neither cold
  CHECK(p.record(0) == doctest::Approx(20));
  CHECK(p.record(1) == doctest::Approx(20));
  p.on_idle(at(22s));
  CHECK(p.leader() == 0);
  p.on_busy(at(21s + 6h));  // 6 h after the last score: earlier records count half; both were cold
  CHECK(p.record(0) == doctest::Approx(10 + 600 + 100));
  CHECK(p.record(1) == doctest::Approx(10 + 30 + 100));
}

TEST_CASE("portfolio: a candidate is replayed through its own windows and the windows it adds later") {
  std::vector<PortfolioCandidate> c;
  c.push_back({"fixed", fixed(30s)});
  auto prewarm = std::make_unique<PrewarmOnly>(90s);
  auto* spy = prewarm.get();
  c.push_back({"prewarm", std::move(prewarm)});
  PortfolioPolicy p(std::move(c), PortfolioConfig{.breakeven_s = [] { return 100.0; }, .half_life = 100000h});
  p.on_busy(at(0s));
  p.on_idle(at(0s));
  // The call comes at 100 s: the pre-warm [90 s, 120 s) caught it after holding 10 s.
  p.on_arrival(at(100s));
  p.on_busy(at(100s));
  CHECK(p.record(0) == doctest::Approx(30 + 100));
  CHECK(p.record(1) == doctest::Approx(10));
  p.on_idle(at(100s));
  CHECK(p.leader() == 1);
  CHECK(p.decide(at(150s)).tier == Tier::stopped);
  CHECK(p.decide(at(190s)).tier == Tier::paused);
  // The next call comes 250 s later: the pre-warm [90 s, 120 s) and the one plan_more added at
  // 120 s, [180 s, 210 s), held 60 s, and the call found the replica stopped.
  spy->events.clear();
  p.on_arrival(at(350s));
  p.on_busy(at(350s));
  CHECK(p.record(1) == doctest::Approx(10 + 60 + 100));
  // Its plan was extended as its windows ended, before it heard of the arrival.
  REQUIRE(spy->events.size() >= 2);
  CHECK(spy->events.front() == "plan_more 220");
  CHECK(spy->events.back() == "arrival 350");
}

TEST_CASE("portfolio: an eviction stops the candidate the replica follows, which then pays the cold start") {
  auto p = fixed_pair(10min, 30s);
  p.on_busy(at(0s));
  p.on_idle(at(0s));
  p.on_evicted(at(10s));
  CHECK(p.decide(at(11s)).tier == Tier::stopped);
  p.on_busy(at(20s));
  CHECK(p.record(0) == doctest::Approx(10 + 100));  // held until evicted, then cold
  CHECK(p.record(1) == doctest::Approx(20));        // not evicted: still loaded at 20 s
}

TEST_CASE("adaptive runs as a portfolio of cost-scaled copies and fixed timeouts, unless told not to") {
  AdaptivePolicyConfig config;
  auto policy = make_adaptive_policy(config);
  auto* portfolio = dynamic_cast<PortfolioPolicy*>(policy.get());
  REQUIRE(portfolio != nullptr);
  CHECK(portfolio->candidates() == config.portfolio.size() + config.portfolio_fixed.size());
  CHECK(policy->name() == "adaptive");

  auto single = std::get<PolicySpec>(parse_policy("adaptive:portfolio=off"));
  CHECK(dynamic_cast<AdaptivePolicy*>(make_policy(single, 1ull << 30).get()) != nullptr);

  auto custom = std::get<PolicySpec>(parse_policy("adaptive:portfolio=1/0.5,portfolio_fixed=2m"));
  auto made = make_policy(custom, 1ull << 30);
  REQUIRE(dynamic_cast<PortfolioPolicy*>(made.get()) != nullptr);
  CHECK(dynamic_cast<PortfolioPolicy*>(made.get())->candidates() == 3);
}

TEST_CASE("portfolio options: bad values are named") {
  auto zero = parse_policy("adaptive:portfolio=1/0");
  REQUIRE(std::holds_alternative<Failure>(zero));
  CHECK(std::get<Failure>(zero).message.find("portfolio cost factors must be above 0") != std::string::npos);
  auto timeout = parse_policy("adaptive:portfolio_fixed=1m/soon");
  REQUIRE(std::holds_alternative<Failure>(timeout));
  CHECK(std::get<Failure>(timeout).message.find("soon") != std::string::npos);
}
