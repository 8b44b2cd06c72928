#include "orchestrator/docker/error.hpp"

namespace svl::docker {
namespace {

class Category final : public std::error_category {
public:
  const char* name() const noexcept override { return "svl.docker"; }
  std::string message(int ev) const override { return to_string(static_cast<Errc>(ev)); }
};

}  // namespace

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
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), docker_category()}; }

std::string Error::describe() const {
  std::string out = to_string(code);
  if (http_status != 0) out += " (" + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace svl::docker
