#pragma once
// API tokens of the remote admin API (docs/remote.md). The registry keeps each token's hash,
// never the token: a copy of svl.db gives no access.
#include <chrono>
#include <optional>
#include <string>

namespace svl::orchestrator {

struct ApiToken {
  std::string name;   // unique; what `svl token ls` and `rm` use
  std::string scope;  // read, deploy or admin (orchestrator/admin/admin_auth.hpp)
  std::string hash;   // token_hash(token)
  std::chrono::system_clock::time_point created_at;
  std::optional<std::chrono::system_clock::time_point> last_used_at;
};

}  // namespace svl::orchestrator
