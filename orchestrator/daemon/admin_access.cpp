#include "orchestrator/daemon/admin_access.hpp"

#include <nlohmann/json.hpp>

#include "orchestrator/daemon/admin_reply.hpp"
#include "orchestrator/daemon/daemon_log.hpp"

namespace svl::orchestrator {

using nlohmann::json;

namespace {

// Writing last_used_at costs an fsync: at most once a minute per token is precise enough for ls.
constexpr auto kMarkEvery = std::chrono::minutes(1);

AdminResponse answer(unsigned status, const json& body) { return json_reply(status, body); }
AdminResponse refusal(unsigned status, const std::string& message) { return json_error(status, message); }

std::string iso(WallTime t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

AdminAccess::AdminAccess(Registry& registry, const Clock& clock, AuthFailures::Options limits)
    : registry_(registry), clock_(clock), failures_(limits) {}

std::optional<AdminResponse> AdminAccess::check(const AdminRequest& req) {
  if (!req.remote()) return std::nullopt;
  const auto now = clock_.now();
  if (auto wait = failures_.locked_out(req.peer, now)) {
    auto res = refusal(429, "too many failed authentications from " + req.peer + ": try again in " +
                                std::to_string(wait->count()) + " s");
    res.retry_after = static_cast<unsigned>(wait->count());
    return res;
  }
  const auto token = bearer_token(req.authorization);
  auto fail = [&](const std::string& why) {
    failures_.failed(req.peer, now);
    log("admin: refused " + req.method + " " + req.path + " from " + req.peer + ": " + why);
    return refusal(401, why);
  };
  if (token.empty())
    return fail(req.authorization.empty()
                    ? "no token: this API needs \"Authorization: Bearer <token>\" (svl context add --token-file)"
                    : "the Authorization header is not \"Bearer <token>\"");
  auto found = registry_.find_token(token_hash(token));
  if (!found) {
    if (found.error().code != RegistryErrc::not_found) return refusal(500, found.error().message);
    return fail("the token is not valid: mistyped, or revoked with svl token rm");
  }
  failures_.succeeded(req.peer);
  const auto held = scope_from_string(found->scope).value_or(Scope::read);
  const auto needed = required_scope(req.method, req.path);
  if (!allows(held, needed)) {
    log("admin: refused " + req.method + " " + req.path + " to token " + found->name + " (scope " + found->scope + ")");
    return refusal(403, "the token " + found->name + " has scope " + found->scope + "; " + req.method + " " + req.path +
                            " needs " + std::string(to_string(needed)));
  }
  auto& marked = marked_[found->name];
  if (marked == TimePoint{} || now - marked >= kMarkEvery) {
    marked = now;
    (void)registry_.mark_token_used(found->name, std::chrono::system_clock::now());  // best effort
  }
  return std::nullopt;
}

std::optional<AdminResponse> AdminAccess::handle_tokens(const AdminRequest& req) {
  constexpr std::string_view base = "/v1/tokens";
  if (req.path != base && !req.path.starts_with("/v1/tokens/")) return std::nullopt;
  if (req.path == base && req.method == "GET") {
    auto tokens = registry_.tokens();
    if (!tokens) return refusal(500, tokens.error().message);
    json out = json::array();
    for (const auto& t : *tokens)
      out.push_back({{"name", t.name},
                     {"scope", t.scope},
                     {"created", iso(t.created_at)},
                     {"last_used", t.last_used_at ? json(iso(*t.last_used_at)) : json(nullptr)}});
    return answer(200, json{{"tokens", out}});
  }
  if (req.path == base && req.method == "POST") {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return refusal(400, "body: expected a JSON object {\"name\": ..., \"scope\": ...}");
    const std::string name = body.value("name", "");
    const std::string scope = body.value("scope", "");
    if (!is_valid_token_name(name))
      return refusal(400, "name: \"" + name + "\" is not a token name (1-64 of a-z, 0-9, '.', '_', '-')");
    if (!scope_from_string(scope)) return refusal(400, "scope: \"" + scope + "\" is not one of read, deploy, admin");
    const std::string token = new_token();
    auto added = registry_.add_token(ApiToken{name, scope, token_hash(token), std::chrono::system_clock::now(), {}});
    if (!added)
      return refusal(added.error().code == RegistryErrc::name_taken ? 409 : 500,
                     added.error().code == RegistryErrc::name_taken
                         ? "name: a token named " + name + " exists (svl token rm " + name + " first)"
                         : added.error().message);
    log("admin: token " + name + " created, scope " + scope);
    return answer(201, json{{"name", name}, {"scope", scope}, {"token", token}});
  }
  if (req.path.size() > base.size() + 1 && req.method == "DELETE") {
    const std::string name = req.path.substr(base.size() + 1);
    auto removed = registry_.delete_token(name);
    if (!removed)
      return refusal(removed.error().code == RegistryErrc::not_found ? 404 : 500,
                     removed.error().code == RegistryErrc::not_found ? "no token named " + name : removed.error().message);
    marked_.erase(name);
    log("admin: token " + name + " revoked");
    return answer(200, json{{"deleted", name}});
  }
  return refusal(405, "method: " + req.method + " is not allowed on " + req.path);
}

}  // namespace svl::orchestrator
