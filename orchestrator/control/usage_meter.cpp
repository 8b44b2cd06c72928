#include "orchestrator/control/usage_meter.hpp"

#include <utility>

namespace svl::control {

double UsageMeter::account(TimePoint now, int running, std::uint64_t memory_bytes) {
  const double dt = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  const double seconds = running * (dt > 0 ? dt : 0);
  pending_.container_seconds += seconds;
  pending_.gb_seconds += seconds * (static_cast<double>(memory_bytes) / (1ull << 30));
  return seconds;
}

void UsageMeter::cold_start(Tier from) {
  switch (from) {
    case Tier::paused: ++pending_.cold_starts[0]; break;
    case Tier::stopped: ++pending_.cold_starts[1]; break;
    default: ++pending_.cold_starts[2]; break;
  }
}

UsageDelta UsageMeter::take() { return std::exchange(pending_, UsageDelta{}); }

void UsageMeter::restore(const UsageDelta& d) {
  pending_.requests += d.requests;
  pending_.container_seconds += d.container_seconds;
  pending_.gb_seconds += d.gb_seconds;
  for (std::size_t i = 0; i < d.cold_starts.size(); ++i) pending_.cold_starts[i] += d.cold_starts[i];
}

}  // namespace svl::control
