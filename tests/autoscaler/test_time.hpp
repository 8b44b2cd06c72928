#pragma once
// Simulated time helpers for autoscaler tests.
#include <chrono>
#include <vector>

#include "autoscaler/keepalive.hpp"
#include "autoscaler/load.hpp"
#include "common/clock.hpp"

namespace svl::autoscaler::test {

using namespace std::chrono_literals;

inline TimePoint at(Duration d) { return TimePoint{} + d; }

// Invocations of 1 s separated by the given idle times; returns when the last one ended.
inline TimePoint feed(KeepAlivePolicy& p, const std::vector<Duration>& idle_times) {
  Duration t{};
  p.on_busy(at(t));
  t += 1s;
  p.on_idle(at(t));
  for (auto it : idle_times) {
    t += it;
    p.on_busy(at(t));
    t += 1s;
    p.on_idle(at(t));
  }
  return at(t);
}

// Stands in for the gateway: keeps the exact concurrency integral as concurrency changes.
class FakeLoad {
public:
  void advance(Duration by) {
    integral_ += concurrency_ * std::chrono::duration<double>(by).count();
    now_ += by;
  }
  void set_concurrency(std::uint32_t c) { concurrency_ = c; }
  Load load(std::uint32_t ready) const { return Load{integral_, concurrency_, 0, ready}; }
  TimePoint now() const { return TimePoint{} + now_; }

private:
  Duration now_{};
  double integral_ = 0;
  std::uint32_t concurrency_ = 0;
};

}  // namespace svl::autoscaler::test
