#pragma once
// Averages concurrency over a trailing window from samples of the gateway's exact integral.
// Between two samples the integral is interpolated linearly, so the error is bounded by one
// observation interval at the window's far edge; inside the window the integral is exact.
#include <deque>

#include "common/clock.hpp"

namespace svl::autoscaler {

class ConcurrencyWindow {
public:
  explicit ConcurrencyWindow(Duration retention) : retention_(retention) {}

  // Records I(now). Samples must come in non-decreasing time order; older ones are ignored.
  void record(TimePoint now, double integral);

  // Average concurrency over [now - window, now]. With less history than the window, averages
  // over the history available (0 with no history).
  double average(TimePoint now, Duration window) const;

  bool empty() const { return samples_.empty(); }

private:
  struct Sample {
    TimePoint at;
    double integral;
  };
  double integral_at(TimePoint t) const;

  Duration retention_;
  std::deque<Sample> samples_;
};

}  // namespace svl::autoscaler
