#pragma once
// The remote admin API's door (docs/remote.md): each request from the TLS listener must carry a
// token whose scope allows its route; guessing clients are turned away with 429. Requests on the
// unix socket pass: its file mode is the trust boundary. Also the /v1/tokens routes.
#include <map>
#include <optional>

#include "common/clock.hpp"
#include "orchestrator/admin/admin_auth.hpp"
#include "orchestrator/admin/admin_server.hpp"
#include "orchestrator/registry/registry.hpp"

namespace svl::orchestrator {

class AdminAccess {
public:
  AdminAccess(Registry& registry, const Clock& clock, AuthFailures::Options limits = {});

  // nullopt: let the request through. Otherwise the answer: 401 (no token, or not a valid one),
  // 403 (its scope is too small), 429 (too many failures from this address). Never logs a token.
  std::optional<AdminResponse> check(const AdminRequest& request);

  // GET /v1/tokens, POST /v1/tokens {"name", "scope"} (answers the token, once), DELETE
  // /v1/tokens/NAME. nullopt when the path is not a token route.
  std::optional<AdminResponse> handle_tokens(const AdminRequest& request);

private:
  Registry& registry_;
  const Clock& clock_;
  AuthFailures failures_;
  std::map<std::string, TimePoint> marked_;  // when each token's last_used_at was last written
};

}  // namespace svl::orchestrator
