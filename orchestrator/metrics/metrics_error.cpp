#include "orchestrator/metrics/metrics_error.hpp"

#include <string>

namespace svl::orchestrator {

namespace {

class MetricsCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "svl.metrics"; }
  std::string message(int ev) const override {
    switch (static_cast<MetricsError>(ev)) {
      case MetricsError::bad_listen_address:
        return "metrics listen address must be IPV4:PORT, [IPV6]:PORT or localhost:PORT";
      case MetricsError::bind_failed:
        return "metrics HTTP server could not listen on the given address";
    }
    return "unknown metrics error";
  }
};

}  // namespace

const std::error_category& metrics_category() {
  static const MetricsCategory category;
  return category;
}

std::error_code make_error_code(MetricsError e) {
  return {static_cast<int>(e), metrics_category()};
}

}  // namespace svl::orchestrator
