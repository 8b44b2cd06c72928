// API tokens in the registry: hashes only, names unique, lookups by hash, last use recorded,
// revocation at once, and all of it kept across a reopen.
#include <doctest/doctest.h>

#include "orchestrator/registry/registry.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::orchestrator;
using namespace std::chrono_literals;

TEST_CASE("a token is stored by hash, found by it, marked used, revoked, and kept across a reopen") {
  svl::test::TempDir dir;
  const WallTime t0 = WallTime(1767225600s);
  {
    auto registry = open_registry(dir.path());
    REQUIRE(registry);
    auto& r = **registry;
    REQUIRE(r.add_token(ApiToken{"ci", "deploy", "hash-ci", t0, {}}));
    REQUIRE(r.add_token(ApiToken{"alice", "admin", "hash-alice", t0 + 1s, {}}));
    auto taken = r.add_token(ApiToken{"ci", "read", "hash-other", t0, {}});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().code == RegistryErrc::name_taken);
    CHECK(taken.error().message == "a token named \"ci\" exists");
    CHECK(r.add_token(ApiToken{"", "read", "h", t0, {}}).error().code == RegistryErrc::invalid);

    auto found = r.find_token("hash-ci");
    REQUIRE(found);
    CHECK(found->name == "ci");
    CHECK(found->scope == "deploy");
    CHECK_FALSE(found->last_used_at);
    CHECK(r.find_token("hash-nobody").error().code == RegistryErrc::not_found);
    REQUIRE(r.mark_token_used("ci", t0 + 5s));
    CHECK(r.mark_token_used("nobody", t0).error().code == RegistryErrc::not_found);
  }
  auto registry = open_registry(dir.path());
  REQUIRE(registry);
  auto& r = **registry;
  auto all = r.tokens();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "alice");  // by name
  CHECK((*all)[1].last_used_at == t0 + 5s);
  REQUIRE(r.delete_token("ci"));
  CHECK(r.find_token("hash-ci").error().code == RegistryErrc::not_found);
  CHECK(r.delete_token("ci").error().code == RegistryErrc::not_found);
  CHECK(r.tokens()->size() == 1);
}
