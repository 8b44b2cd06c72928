#include "orchestrator/control/crash_loop.hpp"

#include <algorithm>

namespace svl::control {

std::optional<Duration> CrashLoop::failed(TimePoint now) {
  ++failures_;
  if (failures_ < failures_before_backoff) return std::nullopt;
  const int doublings = std::min(failures_ - failures_before_backoff, 8);
  const Duration backoff = std::min<Duration>(std::chrono::milliseconds(500 << doublings), std::chrono::seconds(60));
  until_ = now + backoff;
  return backoff;
}

}  // namespace svl::control
