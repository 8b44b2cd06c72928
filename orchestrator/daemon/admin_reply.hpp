#pragma once
// The admin API's JSON answers, as every route builds them.
#include <nlohmann/json.hpp>
#include <string>

#include "orchestrator/admin/admin_server.hpp"

namespace svl::orchestrator {

// Messages can quote the URL's decoded name, which need not be UTF-8: replaced, not a dump() throw (500).
inline AdminResponse json_reply(unsigned status, const nlohmann::json& body) {
  AdminResponse out;
  out.status = status;
  out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

// {"error": message[, "details": details]}
inline AdminResponse json_error(unsigned status, const std::string& message, const nlohmann::json& details = nullptr) {
  nlohmann::json body{{"error", message}};
  if (!details.is_null()) body["details"] = details;
  return json_reply(status, body);
}

}  // namespace svl::orchestrator
