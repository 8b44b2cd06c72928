#pragma once
// Errors of the metrics component, as std::error_code through their own category.
#include <system_error>

namespace svl::orchestrator {

enum class MetricsError {
  bad_listen_address = 1,  // --metrics-listen is not ADDR:PORT with a numeric address
  bind_failed,             // the HTTP server could not listen there (in use, no permission)
};

const std::error_category& metrics_category();
std::error_code make_error_code(MetricsError e);

}  // namespace svl::orchestrator

template <>
struct std::is_error_code_enum<svl::orchestrator::MetricsError> : std::true_type {};
