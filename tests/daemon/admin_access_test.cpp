// The remote admin API's door through handle_admin (admin_harness.hpp: the real registry and
// controller, no sockets): tokens made on the local socket, each scope's reach, 401/403 with
// messages, revocation at once, and the lockout after repeated failures, on a manual clock.
#include "tests/daemon/admin_harness.hpp"

using nlohmann::json;
using namespace std::chrono_literals;
using svl::test::Daemon;
using namespace svl::orchestrator;

namespace {

constexpr const char* kPeer = "192.0.2.7";

json body_of(const AdminResponse& r) { return json::parse(r.body); }

std::string make_token(Daemon& d, const std::string& name, const std::string& scope) {
  auto r = d.call("POST", "/v1/tokens", json{{"name", name}, {"scope", scope}}.dump());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return body_of(r)["token"].get<std::string>();
}

AdminResponse remote(Daemon& d, std::string method, std::string path, const std::string& token, std::string body = {}) {
  return d.call(std::move(method), std::move(path), std::move(body), kPeer, token.empty() ? "" : "Bearer " + token);
}

}  // namespace

TEST_CASE("remote requests need a token, each scope reaches what it should, and gets 403 beyond") {
  Daemon d;
  // The local socket needs no token, for anything.
  CHECK(d.call("GET", "/v1/functions").status == 200);
  const auto reader = make_token(d, "dash", "read");
  const auto deployer = make_token(d, "ci", "deploy");
  const auto admin = make_token(d, "alice", "admin");

  auto none = remote(d, "GET", "/v1/functions", "");
  CHECK(none.status == 401);
  CHECK(body_of(none)["error"].get<std::string>().starts_with("no token"));
  auto basic = d.call("GET", "/v1/functions", "", kPeer, "Basic dXNlcjpwYXNz");
  CHECK(basic.status == 401);
  CHECK(body_of(basic)["error"] == "the Authorization header is not \"Bearer <token>\"");
  auto wrong = remote(d, "GET", "/v1/functions", "svl_not-a-token");
  CHECK(wrong.status == 401);
  CHECK(body_of(wrong)["error"] == "the token is not valid: mistyped, or revoked with svl token rm");

  CHECK(remote(d, "GET", "/v1/functions", reader).status == 200);
  CHECK(remote(d, "GET", "/v1/usage", reader).status == 200);
  FunctionSpec spec;
  spec.name = "api";
  spec.image = "img";
  spec.scale.initial = 0;
  const auto put = json{{"spec", to_json(spec)}, {"image", "img"}, {"source_dir", "/src/api"}, {"force", false}}.dump();
  auto denied = remote(d, "PUT", "/v1/functions/api", reader, put);
  CHECK(denied.status == 403);
  CHECK(body_of(denied)["error"] == "the token dash has scope read; PUT /v1/functions/api needs deploy");
  CHECK_FALSE(d.registry->get_function("api"));

  auto deployed = remote(d, "PUT", "/v1/functions/api", deployer, put);
  CHECK_MESSAGE(deployed.status == 201, deployed.body);
  CHECK(remote(d, "GET", "/v1/functions/api", reader).status == 200);
  CHECK(remote(d, "DELETE", "/v1/functions/api", deployer).status == 403);
  CHECK(remote(d, "POST", "/v1/tokens", deployer, json{{"name", "x"}, {"scope", "admin"}}.dump()).status == 403);
  CHECK(remote(d, "GET", "/v1/tokens", deployer).status == 403);

  // An admin token manages tokens remotely too; the list shows no token and no hash.
  auto made = remote(d, "POST", "/v1/tokens", admin, json{{"name", "ops"}, {"scope", "read"}}.dump());
  CHECK(made.status == 201);
  auto listed = remote(d, "GET", "/v1/tokens", admin);
  REQUIRE(listed.status == 200);
  const auto tokens = body_of(listed)["tokens"];
  CHECK(tokens.size() == 4);
  CHECK(listed.body.find("svl_") == std::string::npos);
  for (const auto& t : tokens) {
    CHECK_FALSE(t.contains("hash"));
    if (t["name"] == "ci") CHECK_FALSE(t["last_used"].is_null());
    if (t["name"] == "ops") CHECK(t["last_used"].is_null());
  }

  CHECK(remote(d, "DELETE", "/v1/functions/api", admin).status == 200);

  // Revoked: refused at once.
  CHECK(d.call("DELETE", "/v1/tokens/ci").status == 200);
  CHECK(remote(d, "GET", "/v1/functions", deployer).status == 401);
  CHECK(d.call("DELETE", "/v1/tokens/ci").status == 404);
}

TEST_CASE("bad token requests name what is wrong") {
  Daemon d;
  auto bad_name = d.call("POST", "/v1/tokens", json{{"name", "Bad Name"}, {"scope", "read"}}.dump());
  CHECK(bad_name.status == 400);
  CHECK(body_of(bad_name)["error"].get<std::string>().starts_with("name: \"Bad Name\" is not a token name"));
  auto bad_scope = d.call("POST", "/v1/tokens", json{{"name", "x"}, {"scope", "root"}}.dump());
  CHECK(bad_scope.status == 400);
  CHECK(body_of(bad_scope)["error"] == "scope: \"root\" is not one of read, deploy, admin");
  CHECK(d.call("POST", "/v1/tokens", "not json").status == 400);
  make_token(d, "x", "read");
  auto twice = d.call("POST", "/v1/tokens", json{{"name", "x"}, {"scope", "read"}}.dump());
  CHECK(twice.status == 409);
}

TEST_CASE("repeated failures from an address get 429 with Retry-After, a right token too, until the lockout ends") {
  Daemon d;
  const auto token = make_token(d, "dash", "read");
  int refused = 0, limited = 0;
  std::optional<unsigned> retry_after;
  for (int i = 0; i < 50; ++i) {
    auto r = remote(d, "GET", "/v1/functions", "svl_guess" + std::to_string(i));
    if (r.status == 401) ++refused;
    if (r.status == 429) {
      ++limited;
      retry_after = r.retry_after;
    }
  }
  CHECK(refused == 10);
  CHECK(limited == 40);
  REQUIRE(retry_after);
  CHECK(*retry_after == 60);
  CHECK(remote(d, "GET", "/v1/functions", token).status == 429);
  CHECK(d.call("GET", "/v1/functions", "", "192.0.2.8", "Bearer " + token).status == 200);  // another address
  CHECK(d.call("GET", "/v1/functions").status == 200);  // the local socket
  d.clock.advance(61s);
  CHECK(remote(d, "GET", "/v1/functions", token).status == 200);
}
