#include "gateway/error.hpp"

#include "common/error_category.hpp"

namespace svl::gateway {

std::string_view reason_label(Error e) noexcept {
  switch (e) {
    case Error::queue_full: return "queue_full";
    case Error::start_timeout: return "start_timeout";
    case Error::body_too_large: return "body_too_large";
    case Error::header_too_large: return "header_too_large";
    case Error::header_timeout: return "header_timeout";
    case Error::bad_request: return "bad_request";
    case Error::upstream_reset: return "upstream_reset";
    case Error::upstream_timeout: return "upstream_timeout";
    case Error::unknown_function: return "unknown_function";
    case Error::held_failed: return "held_failed";
    case Error::client_gone: return "client_gone";
  }
  return "unknown";
}

const std::error_category& error_category() noexcept {
  return svl::enum_category<Error, "svl.gateway", reason_label>();
}

std::error_code make_error_code(Error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace svl::gateway
