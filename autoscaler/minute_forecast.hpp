#pragma once
// Which coming minutes will see a call, learned from which past minutes did. Many functions run on
// schedules (every 2, 5 or 15 minutes, hourly, or a fixed pattern inside a 15-minute cycle): their
// idle times alone look random, but the minutes their calls fall in repeat. Per function this keeps
// the last four days of "did minute m see a call" and lets several predictors compete, each scored
// by its log-loss on every minute as that minute ends (exponentially forgotten over about a day):
//   - seasonal(P): the share of the last 4 cycles of length P with a call at the same phase, for
//     P in a fixed set of periods from 2 minutes to 4 hours;
//   - hazard: P(call | s minutes since the last minute with one), from counts;
//   - the plain per-minute call rate, the yardstick `informative` compares against.
// Minutes count from the clock's epoch plus `phase`, so the daemon can align them with wall-clock
// minutes, where cron-like triggers fire.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace svl::autoscaler {

class MinuteForecast {
public:
  static constexpr std::array<std::uint32_t, 14> periods{2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240};
  static constexpr std::size_t hazard_model = periods.size();
  static constexpr std::size_t rate_model = periods.size() + 1;
  static constexpr std::size_t models = periods.size() + 2;

  explicit MinuteForecast(Duration phase = Duration::zero());

  // A call arrived at `t` (times non-decreasing).
  void on_call(TimePoint t);
  // Ends and scores every minute before t's minute.
  void advance(TimePoint t);

  std::int64_t minute_of(TimePoint t) const;
  TimePoint minute_start(std::int64_t minute) const;
  // P(a call in `minute`), a minute after the current one, by the best seasonal or hazard model,
  // given no call until then.
  double probability(std::int64_t minute) const;
  std::size_t best_model() const;  // a seasonal or the hazard model
  // The best model beats the plain call rate by more than `margin` nats: the minutes are predictable.
  bool informative(double margin) const;
  static std::string model_name(std::size_t model);
  bool seen_any() const { return last_active_ >= 0; }

private:
  static constexpr std::size_t history = 4 * 1440;  // minutes remembered
  static constexpr std::size_t max_gap = 256;       // hazard buckets (minutes since a call)

  bool active(std::int64_t minute) const;
  double base_rate(std::int64_t gap) const;
  double predict(std::size_t model, std::int64_t minute, std::int64_t last_active) const;
  void complete(std::int64_t minute, bool score = true);

  Duration phase_;
  std::vector<std::uint8_t> ring_;         // minute -> had a call, for the last `history` minutes
  std::int64_t first_ = -1;                // oldest minute remembered
  std::int64_t current_ = -1;              // minutes before this one have ended
  std::int64_t last_active_ = -1;          // last minute with a call
  std::int64_t last_ended_active_ = -1;    // ... among the minutes that have ended
  std::array<double, models> scores_{};
  std::array<std::uint32_t, max_gap + 1> hazard_seen_{};
  std::array<std::uint32_t, max_gap + 1> hazard_hit_{};
  std::uint64_t minutes_seen_ = 0, minutes_active_ = 0;
  std::uint64_t quiet_seen_ = 0, quiet_active_ = 0;  // minutes that follow a minute without a call
};

}  // namespace svl::autoscaler
