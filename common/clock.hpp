#pragma once
// Time is injected everywhere decisions depend on it, so logic can be tested
// with simulated time and never sleeps.
#include <chrono>

namespace svl {

using Clock_t = std::chrono::steady_clock;
using TimePoint = Clock_t::time_point;
using Duration = Clock_t::duration;

class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
public:
  TimePoint now() const override { return Clock_t::now(); }
};

// Time that moves only when told to: for tests and the trace simulator.
class ManualClock final : public Clock {
public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(TimePoint t) { now_ = t; }

private:
  TimePoint now_;
};

}  // namespace svl
