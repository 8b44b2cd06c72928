// The remote admin API's pure decisions: scopes per route, tokens and their hashes, the Bearer
// header, token names, and the per-address count of failures that locks a guesser out.
#include <doctest/doctest.h>

#include <set>

#include "orchestrator/admin/admin_auth.hpp"

using namespace svl::orchestrator;
using namespace std::chrono_literals;

TEST_CASE("each route needs the smallest scope the issue gives it, and unknown routes need admin") {
  CHECK(required_scope("GET", "/v1/health") == Scope::read);
  CHECK(required_scope("GET", "/v1/functions") == Scope::read);
  CHECK(required_scope("GET", "/v1/functions/api") == Scope::read);
  CHECK(required_scope("GET", "/v1/functions/api/logs") == Scope::read);
  CHECK(required_scope("GET", "/v1/functions/api/cron") == Scope::read);
  CHECK(required_scope("GET", "/v1/usage") == Scope::read);
  CHECK(required_scope("PUT", "/v1/functions/api") == Scope::deploy);
  CHECK(required_scope("POST", "/v1/functions/api/ready") == Scope::deploy);
  CHECK(required_scope("POST", "/v1/functions/api/rollback") == Scope::deploy);
  CHECK(required_scope("POST", "/v1/functions/api/scale") == Scope::deploy);
  CHECK(required_scope("POST", "/v1/builds") == Scope::deploy);
  CHECK(required_scope("DELETE", "/v1/functions/api") == Scope::admin);
  CHECK(required_scope("GET", "/v1/tokens") == Scope::admin);
  CHECK(required_scope("POST", "/v1/tokens") == Scope::admin);
  CHECK(required_scope("GET", "/v1/secrets") == Scope::admin);
  CHECK(required_scope("POST", "/v1/functions/api/lease") == Scope::admin);   // svl dev's
  CHECK(required_scope("POST", "/v1/functions/api/restart") == Scope::admin);
  CHECK(required_scope("GET", "/v1/functions//logs") == Scope::admin);       // not a function path
  CHECK(required_scope("GET", "/v1/anything-new") == Scope::admin);
  CHECK(allows(Scope::admin, Scope::deploy));
  CHECK(allows(Scope::deploy, Scope::read));
  CHECK_FALSE(allows(Scope::read, Scope::deploy));
  CHECK_FALSE(allows(Scope::deploy, Scope::admin));
  CHECK(scope_from_string("deploy") == Scope::deploy);
  CHECK_FALSE(scope_from_string("root"));
  CHECK(to_string(Scope::read) == "read");
}

TEST_CASE("tokens are random, url-safe and 256 bits, and their hash is SHA-256 hex") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto t = new_token();
    CHECK(t.size() == 4 + 43);
    CHECK(t.starts_with("svl_"));
    CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4) == std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 50);
  CHECK(token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(token_hash("abc") != token_hash("abd"));
}

TEST_CASE("the Bearer header and token names") {
  CHECK(bearer_token("Bearer svl_x") == "svl_x");
  CHECK(bearer_token("bearer  svl_x ") == "svl_x");
  CHECK(bearer_token("Basic dXNlcg==").empty());
  CHECK(bearer_token("Bearer").empty());
  CHECK(bearer_token("").empty());
  CHECK(is_valid_token_name("ci-deploy.2"));
  CHECK_FALSE(is_valid_token_name(""));
  CHECK_FALSE(is_valid_token_name("-ci"));
  CHECK_FALSE(is_valid_token_name("CI"));
  CHECK_FALSE(is_valid_token_name("a/b"));
  CHECK_FALSE(is_valid_token_name(std::string(65, 'a')));
}

TEST_CASE("failures from one address lock it out for a while, and others and successes are unaffected") {
  AuthFailures f({.threshold = 3, .window = 60s, .lockout = 30s, .max_addresses = 2});
  const auto t0 = AuthFailures::Clock::time_point{} + 1h;
  f.failed("10.0.0.1", t0);
  f.failed("10.0.0.1", t0 + 1s);
  CHECK_FALSE(f.locked_out("10.0.0.1", t0 + 1s));
  f.failed("10.0.0.1", t0 + 2s);
  REQUIRE(f.locked_out("10.0.0.1", t0 + 2s));
  CHECK(*f.locked_out("10.0.0.1", t0 + 2s) == 30s);
  CHECK(*f.locked_out("10.0.0.1", t0 + 31500ms) == 1s);  // rounded up
  CHECK_FALSE(f.locked_out("10.0.0.1", t0 + 32s));
  CHECK_FALSE(f.locked_out("10.0.0.2", t0 + 2s));
  // After the lockout, a fresh count: one failure does not lock again.
  f.failed("10.0.0.1", t0 + 33s);
  CHECK_FALSE(f.locked_out("10.0.0.1", t0 + 33s));

  // Failures spread wider than the window never add up.
  f.succeeded("10.0.0.1");
  f.failed("10.0.0.1", t0 + 100s);
  f.failed("10.0.0.1", t0 + 200s);
  f.failed("10.0.0.1", t0 + 300s);
  CHECK_FALSE(f.locked_out("10.0.0.1", t0 + 300s));

  // A success clears the count.
  f.failed("10.0.0.1", t0 + 301s);
  f.succeeded("10.0.0.1");
  f.failed("10.0.0.1", t0 + 302s);
  CHECK_FALSE(f.locked_out("10.0.0.1", t0 + 302s));

  // Bounded memory: a third address evicts the stalest.
  f.failed("10.0.0.2", t0 + 303s);
  f.failed("10.0.0.3", t0 + 304s);
  CHECK(f.addresses() == 2);
}
