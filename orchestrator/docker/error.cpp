#include "orchestrator/docker/error.hpp"

#include "common/error_category.hpp"

namespace svl::docker {

const char* to_string(Errc e) noexcept {
  switch (e) {
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::unreachable: return "unreachable";
    case Errc::timeout: return "timeout";
    case Errc::malformed_reply: return "malformed_reply";
    case Errc::bad_request: return "bad_request";
    case Errc::server_error: return "server_error";
    case Errc::build_failed: return "build_failed";
    case Errc::cancelled: return "cancelled";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::unsupported: return "unsupported";
    case Errc::transport: return "transport";
  }
  return "unknown";
}

const std::error_category& docker_category() noexcept {
  return svl::enum_category<Errc, "svl.docker", to_string>();
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), docker_category()}; }

std::string Error::describe() const {
  std::string out = to_string(code);
  if (http_status != 0) out += " (" + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace svl::docker
