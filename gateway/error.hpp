#pragma once
// The gateway's own error conditions, convertible to std::error_code.
#include <string_view>
#include <system_error>

namespace svl::gateway {

enum class Error {
  queue_full = 1,
  start_timeout,
  body_too_large,
  header_too_large,
  header_timeout,
  bad_request,
  upstream_reset,
  upstream_timeout,
  unknown_function,
  held_failed,
  client_gone,
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Error e) noexcept;

// The reason label used for metrics (Observer::on_rejected).
std::string_view reason_label(Error e) noexcept;

}  // namespace svl::gateway

template <>
struct std::is_error_code_enum<svl::gateway::Error> : std::true_type {};
