#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "autoscaler/adaptive_policy.hpp"
#include "autoscaler/portfolio_policy.hpp"
#include "orchestrator/control/autoscaling.hpp"

using namespace std::chrono_literals;

TEST_CASE("make_autoscaler: the adaptive policy's minutes start when wall-clock minutes do") {
  svl::orchestrator::FunctionSpec spec;
  spec.scale.policy = svl::orchestrator::ScalePolicy::adaptive;
  const auto steady_now = svl::Clock_t::now();
  const auto wall_now = std::chrono::system_clock::now();
  auto scaler = svl::control::make_autoscaler(spec, 0, 4, 1s, steady_now);
  // svl's adaptive policy is a portfolio whose first candidate is the adaptive policy itself.
  auto* portfolio = dynamic_cast<svl::autoscaler::PortfolioPolicy*>(&scaler->policy());
  REQUIRE(portfolio != nullptr);
  auto* adaptive = dynamic_cast<const svl::autoscaler::AdaptivePolicy*>(&portfolio->candidate(0));
  REQUIRE(adaptive != nullptr);
  const auto& forecast = adaptive->forecast();
  // The next minute boundary of the policy, as a wall-clock time: a whole minute (to within the
  // few microseconds between the two clock readings).
  const auto boundary = forecast.minute_start(forecast.minute_of(steady_now) + 1);
  CHECK(boundary > steady_now);
  CHECK(boundary - steady_now <= std::chrono::minutes(1));
  const auto wall_boundary = wall_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(boundary - steady_now);
  const auto into_minute = wall_boundary.time_since_epoch() % std::chrono::minutes(1);
  const auto off = std::min(into_minute, std::chrono::duration_cast<std::chrono::system_clock::duration>(1min) - into_minute);
  CHECK(off < std::chrono::milliseconds(50));
}

TEST_CASE("make_autoscaler: scale.cold_start_cost reaches every adaptive candidate, scaled by its factor") {
  svl::orchestrator::FunctionSpec spec;
  spec.scale.cold_start_cost = 3000;  // not the default, so the check below can fail
  auto scaler = svl::control::make_autoscaler(spec, 0, 4, 1s, svl::Clock_t::now());
  auto* portfolio = dynamic_cast<svl::autoscaler::PortfolioPolicy*>(&scaler->policy());
  REQUIRE(portfolio != nullptr);
  std::vector<double> costs;
  for (std::size_t i = 0; i < portfolio->candidates(); ++i)
    if (auto* a = dynamic_cast<const svl::autoscaler::AdaptivePolicy*>(&portfolio->candidate(i)))
      costs.push_back(a->config().cold_start_cost_gb_s);
  CHECK(costs == std::vector<double>{3000, 750, 12000});

  svl::orchestrator::FunctionSpec plain;
  auto by_default = svl::control::make_autoscaler(plain, 0, 4, 1s, svl::Clock_t::now());
  auto* reference = dynamic_cast<const svl::autoscaler::AdaptivePolicy*>(
      &dynamic_cast<svl::autoscaler::PortfolioPolicy&>(by_default->policy()).candidate(0));
  REQUIRE(reference != nullptr);
  CHECK(reference->config().cold_start_cost_gb_s == svl::autoscaler::AdaptivePolicyConfig{}.cold_start_cost_gb_s);
}
