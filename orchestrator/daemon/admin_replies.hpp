#pragma once
// The admin API's JSON answers, shared by its route files (admin_api.cpp, secrets_api.cpp).
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/admin/admin_server.hpp"

namespace svl::orchestrator {

// Messages can quote the URL's decoded name, which need not be UTF-8: replaced, not a dump() throw (500).
inline AdminResponse reply(unsigned status, const nlohmann::json& body) {
  return AdminResponse{status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json", {}};
}

inline AdminResponse error(unsigned status, const std::string& message, const nlohmann::json& details = nullptr) {
  nlohmann::json body{{"error", message}};
  if (!details.is_null()) body["details"] = details;
  return reply(status, body);
}

}  // namespace svl::orchestrator
