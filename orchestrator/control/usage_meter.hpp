#pragma once
// Usage of one function between two flushes to the registry: requests, the time its replicas ran
// (paused ones are not billed), GB-seconds at their memory limit, and cold starts by tier.
#include <array>
#include <cstdint>

#include "common/clock.hpp"
#include "orchestrator/control/replica_set.hpp"

namespace svl::control {

struct UsageDelta {
  std::int64_t requests = 0;
  double container_seconds = 0;
  double gb_seconds = 0;
  std::array<std::int64_t, 3> cold_starts{};  // from paused, stopped, removed
  bool empty() const { return requests == 0 && container_seconds == 0 && cold_starts == std::array<std::int64_t, 3>{}; }
};

class UsageMeter {
public:
  explicit UsageMeter(TimePoint now) : last_(now) {}

  // `running` replicas of `memory_bytes` each ran since the last call. Returns the container-
  // seconds this adds (for the live metrics).
  double account(TimePoint now, int running, std::uint64_t memory_bytes);
  void requests(std::uint64_t n) { pending_.requests += static_cast<std::int64_t>(n); }
  void cold_start(Tier from);

  // What accumulated since the last take; `restore` puts it back when it could not be stored.
  UsageDelta take();
  void restore(const UsageDelta& d);

private:
  TimePoint last_;
  UsageDelta pending_;
};

}  // namespace svl::control
