#pragma once
// Crash-loop backoff: after a few consecutive failed starts a function waits before the next try,
// doubling from 0.5 s to at most 60 s, so a broken revision does not keep dockerd busy.
#include <optional>

#include "common/clock.hpp"

namespace svl::control {

class CrashLoop {
public:
  static constexpr int failures_before_backoff = 3;

  // A start failed. Returns how long to back off once failures reach the threshold, else nothing
  // (the caller tries again at once: a single crash should not fail a held request).
  std::optional<Duration> failed(TimePoint now);
  void succeeded() { failures_ = 0; }
  void reset() { failures_ = 0, until_ = {}; }

  bool backing_off(TimePoint now) const { return now < until_; }
  TimePoint until() const { return until_; }
  int failures() const { return failures_; }

private:
  int failures_ = 0;
  TimePoint until_{};
};

}  // namespace svl::control
