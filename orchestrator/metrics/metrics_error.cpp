#include "orchestrator/metrics/metrics_error.hpp"

#include "common/error_category.hpp"

namespace svl::orchestrator {
namespace {

const char* message(MetricsError e) noexcept {
  switch (e) {
    case MetricsError::bad_listen_address:
      return "metrics listen address must be IPV4:PORT, [IPV6]:PORT or localhost:PORT";
    case MetricsError::bind_failed: return "metrics HTTP server could not listen on the given address";
  }
  return "unknown metrics error";
}

}  // namespace

const std::error_category& metrics_category() { return svl::enum_category<MetricsError, "svl.metrics", message>(); }

std::error_code make_error_code(MetricsError e) { return {static_cast<int>(e), metrics_category()}; }

}  // namespace svl::orchestrator
