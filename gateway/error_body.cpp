#include "gateway/error_body.hpp"

#include <nlohmann/json.hpp>

namespace svl::gateway {

std::string error_body(std::string_view error, std::string_view function, std::string_view request_id,
                       std::string_view detail) {
  nlohmann::json j;
  j["error"] = error;
  j["function"] = function;
  j["request_id"] = request_id;
  if (!detail.empty()) j["detail"] = detail;
  // Invalid UTF-8 from a client (e.g. in a Host header) must not throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace svl::gateway
