// Every reason the gateway reports through Observer::on_rejected must have a
// metrics label, or the daemon's bridge would drop it.
#include <doctest/doctest.h>

#include "gateway/error.hpp"
#include "orchestrator/metrics/metrics.hpp"

TEST_CASE("every gateway rejection reason maps to a RejectReason with the same label") {
  using svl::gateway::Error;
  for (Error e : {Error::queue_full, Error::start_timeout, Error::body_too_large, Error::header_too_large,
                  Error::header_timeout, Error::bad_request, Error::upstream_reset, Error::upstream_timeout,
                  Error::unknown_function, Error::held_failed, Error::client_gone}) {
    const auto label = svl::gateway::reason_label(e);
    CAPTURE(label);
    const auto reason = svl::orchestrator::reject_reason_from_label(label);
    REQUIRE(reason.has_value());
    CHECK(svl::orchestrator::to_string(*reason) == label);
  }
}
