#include "autoscaler/minute_forecast.hpp"

#include <algorithm>
#include <cmath>

namespace svl::autoscaler {
namespace {

constexpr std::int64_t cycles = 4;         // past cycles a seasonal model looks at
constexpr double decay = 1.0 - 1.0 / 1440;  // scores forget over about a day
double clamp_p(double p) { return std::clamp(p, 0.01, 0.99); }

}  // namespace

MinuteForecast::MinuteForecast(Duration phase) : phase_(phase), ring_(history, 0) {}

std::int64_t MinuteForecast::minute_of(TimePoint t) const {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch() + phase_).count();
  return s >= 0 ? s / 60 : (s - 59) / 60;
}

TimePoint MinuteForecast::minute_start(std::int64_t minute) const {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::minutes(minute)) - phase_);
}

bool MinuteForecast::active(std::int64_t minute) const {
  if (first_ < 0 || minute < first_ || minute > current_) return false;
  return ring_[static_cast<std::size_t>(minute) % history] != 0;
}

void MinuteForecast::advance(TimePoint t) {
  const std::int64_t m = minute_of(t);
  if (current_ < 0) {
    first_ = current_ = m;
    return;
  }
  const auto keep = static_cast<std::int64_t>(history);
  if (m - current_ > keep) {
    // A silence longer than the history: the ring starts afresh, and the minutes too old to keep
    // only count for the gap statistics (cheaply: a function idle for a year costs a few ms once).
    complete(current_++);
    std::fill(ring_.begin(), ring_.end(), 0);
    for (; current_ < m - keep; ++current_) complete(current_, false);
    first_ = current_;
  }
  for (; current_ < m; ++current_) {
    complete(current_);
    ring_[static_cast<std::size_t>(current_ + 1) % history] = 0;
  }
  first_ = std::max(first_, current_ - keep + 1);
}

void MinuteForecast::on_call(TimePoint t) {
  advance(t);
  const std::int64_t m = minute_of(t);
  if (m < current_) return;
  ring_[static_cast<std::size_t>(m) % history] = 1;
  last_active_ = m;
}

void MinuteForecast::complete(std::int64_t minute, bool score) {
  const bool y = active(minute);
  const std::int64_t la = last_ended_active_;
  if (la >= 0) {
    for (std::size_t k = 0; score && k < models; ++k) {
      const double p = clamp_p(predict(k, minute, la));
      scores_[k] = decay * scores_[k] - std::log(y ? p : 1 - p);
    }
    const auto gap = std::min<std::int64_t>(minute - la, max_gap);
    ++hazard_seen_[static_cast<std::size_t>(gap)];
    if (y) ++hazard_hit_[static_cast<std::size_t>(gap)];
    ++minutes_seen_;
    if (y) ++minutes_active_;
    if (gap >= 2) {
      ++quiet_seen_;
      if (y) ++quiet_active_;
    }
  }
  if (y) last_ended_active_ = minute;
}

// Every model's prior: how often a minute sees a call, right after one with a call (gap 1) or
// after silence. Apart, so that a long busy stretch does not make every silent minute look busy.
double MinuteForecast::base_rate(std::int64_t gap) const {
  if (gap <= 1) return (static_cast<double>(minutes_active_) + 1) / (static_cast<double>(minutes_seen_) + 2);
  return (static_cast<double>(quiet_active_) + 1) / (static_cast<double>(quiet_seen_) + 2);
}

double MinuteForecast::predict(std::size_t model, std::int64_t minute, std::int64_t last_active) const {
  if (model == rate_model) return base_rate(1);
  const double base = base_rate(minute - last_active);
  if (model == hazard_model) {
    const auto gap = static_cast<std::size_t>(std::clamp<std::int64_t>(minute - last_active, 1, max_gap));
    return (hazard_hit_[gap] + 2 * base) / (hazard_seen_[gap] + 2);
  }
  // The last `cycles` minutes at the same phase that have been seen (further back for a minute
  // further ahead); the minute in progress counts only once it has a call.
  const std::int64_t P = periods[model];
  const std::int64_t k0 = std::max<std::int64_t>(1, (minute - current_ + P - 1) / P);
  double seen = 0, hits = 0;
  for (std::int64_t k = k0; k < k0 + cycles; ++k) {
    const std::int64_t j = minute - k * P;
    if (j < first_ || j > current_) continue;
    if (j == current_ && !active(j)) continue;
    seen += 1;
    if (active(j)) hits += 1;
  }
  return (hits + base) / (seen + 1);
}

std::size_t MinuteForecast::best_model() const {
  std::size_t best = hazard_model;  // on a tie the hazard model, which needs no period
  for (std::size_t k = 0; k < periods.size(); ++k)
    if (scores_[k] < scores_[best]) best = k;
  return best;
}

bool MinuteForecast::informative(double margin) const {
  return scores_[best_model()] + margin < scores_[rate_model];
}

double MinuteForecast::probability(std::int64_t minute) const {
  return predict(best_model(), minute, last_active_);
}

std::string MinuteForecast::model_name(std::size_t model) {
  if (model == hazard_model) return "gap";
  if (model == rate_model) return "rate";
  return "every " + std::to_string(periods[model]) + " min";
}

}  // namespace svl::autoscaler
