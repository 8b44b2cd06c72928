// /v1/secrets[/NAME]: the admin API's secrets. Values come in (base64 in JSON) and never go out.
#include <boost/asio/use_awaitable.hpp>

#include "orchestrator/daemon/admin_api.hpp"
#include "orchestrator/daemon/admin_reply.hpp"
#include "orchestrator/daemon/admin_requests.hpp"

namespace svl::orchestrator {

using boost::asio::awaitable;
using nlohmann::json;

namespace {

long unix_seconds(WallTime t) { return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count()); }

}  // namespace

awaitable<AdminResponse> handle_secrets(const AdminRequest& req, AdminContext& ctx) {
  if (!ctx.secrets) co_return json_error(404, "path: this daemon keeps no secrets");
  SecretStore& store = *ctx.secrets;
  if (req.path == "/v1/secrets") {
    if (req.method != "GET") co_return json_error(405, "method: " + req.method + " is not allowed on /v1/secrets (use GET)");
    auto all = store.list();
    if (!all) co_return json_error(all.error().status, all.error().message);
    json out{{"secrets", json::array()}};
    for (const auto& s : *all)
      out["secrets"].push_back({{"name", s.name},
                                {"size", s.size},
                                {"version", s.version},
                                {"updated_at", unix_seconds(s.updated_at)},
                                {"used_by", store.users_of(s.name)}});
    co_return json_reply(200, out);
  }
  const std::string name = req.path.substr(std::string_view("/v1/secrets/").size());
  if (name.empty() || name.find('/') != std::string::npos) co_return json_error(404, "path: no such endpoint " + req.path);
  if (auto problem = secret_name_problem(name); !problem.empty())
    co_return json_error(400, "name: secret name \"" + name + "\" " + problem);
  if (req.method == "PUT") {
    auto parsed = parse_secret_set_request(req.body);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return json_error(400, e->message, e->details);
    auto& set = std::get<SecretSetRequest>(parsed);
    auto stored = store.set(name, set.value);
    if (!stored) co_return json_error(stored.error().status, stored.error().message);
    json out{{"name", name}, {"version", stored->version}, {"size", stored->size}, {"used_by", store.users_of(name)},
             {"rolled", json::object()}};
    if (set.roll) {
      auto rolled = co_await ctx.ops.roll(name);
      if (auto* e = std::get_if<ControlError>(&rolled)) co_return json_error(e->status, e->message, e->details);
      out["rolled"] = std::get<std::map<std::string, long>>(rolled);
    }
    co_return json_reply(200, out);
  }
  if (req.method == "DELETE") {
    if (auto st = store.remove(name); !st) co_return json_error(st.error().status, st.error().message);
    co_return json_reply(200, json{{"deleted", name}});
  }
  co_return json_error(405, "method: " + req.method + " is not allowed on " + req.path + " (use PUT or DELETE)");
}

}  // namespace svl::orchestrator
