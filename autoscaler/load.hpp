#pragma once
// One load observation for one function, as the gateway reports it.
#include <cstdint>

namespace svl::autoscaler {

struct Load {
  // Cumulative time-integral of (inflight + queued), in concurrency-seconds since the function was
  // registered. The gateway keeps it exactly, so any window average is (I(now) - I(now - W)) / W.
  double concurrency_integral = 0;
  std::uint32_t inflight = 0;  // requests being served by a replica
  std::uint32_t queued = 0;    // requests held by the gateway for lack of capacity
  std::uint32_t ready = 0;     // ready replicas

  bool has_work() const { return inflight + queued > 0; }
};

}  // namespace svl::autoscaler
