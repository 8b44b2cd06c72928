// Secrets in the registry: stored as given (sealed by the caller), versions that grow, listed
// without their bytes, removed; and revisions that record the versions they were made with.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "orchestrator/registry/registry.hpp"
#include "orchestrator/spec/spec_parser.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::orchestrator;

TEST_CASE("a secret is stored, versioned, listed without its bytes, and removed") {
  svl::test::TempDir dir;
  auto opened = open_registry(dir.path());
  REQUIRE(opened);
  Registry& r = **opened;
  const std::string sealed("\x01\x00sealed\xff", 9);
  auto first = r.put_secret("db-password", sealed, 7);
  REQUIRE(first);
  CHECK(first->version == 1);
  CHECK(first->size == 7);
  auto second = r.put_secret("db-password", "other", 5);
  REQUIRE(second);
  CHECK(second->version == 2);
  REQUIRE(r.put_secret("api-key", sealed, 7));
  auto all = r.list_secrets();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "api-key");
  CHECK((*all)[0].sealed.empty());
  CHECK((*all)[1].version == 2);
  auto got = r.get_secret("api-key");
  REQUIRE(got);
  CHECK(got->sealed == sealed);  // binary, NUL included
  CHECK(r.get_secret("nope").error().code == RegistryErrc::not_found);
  auto bad = r.put_secret("Bad/Name", sealed, 1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == RegistryErrc::invalid);
  CHECK(bad.error().message.find("Bad/Name") != std::string::npos);
  REQUIRE(r.delete_secret("api-key"));
  CHECK(r.delete_secret("api-key").error().code == RegistryErrc::not_found);
  CHECK(r.list_secrets()->size() == 1);
}

TEST_CASE("a revision records its secrets' versions, a new version makes a new revision") {
  svl::test::TempDir dir;
  auto opened = open_registry(dir.path());
  REQUIRE(opened);
  Registry& r = **opened;
  auto spec = parse_spec("name = \"api\"\nimage = \"x\"\n[secrets]\nDB = \"db\"\n");
  REQUIRE(spec);
  PutRevisionOptions v1;
  v1.secret_versions = {{"db", 1}};
  auto first = r.put_revision("api", *spec.spec, "sha256:1", "/src", v1);
  REQUIRE(first);
  CHECK(first->created);
  auto same = r.put_revision("api", *spec.spec, "sha256:1", "/src", v1);
  REQUIRE(same);
  CHECK_FALSE(same->created);
  PutRevisionOptions v2;
  v2.secret_versions = {{"db", 2}};
  auto next = r.put_revision("api", *spec.spec, "sha256:1", "/src", v2);
  REQUIRE(next);
  CHECK(next->created);
  CHECK(next->revision == first->revision + 1);
  auto revisions = r.list_revisions("api");
  REQUIRE(revisions);
  CHECK((*revisions)[0].secret_versions == SecretVersions{{"db", 1}});
  CHECK((*revisions)[1].secret_versions == SecretVersions{{"db", 2}});
  CHECK(r.get_function("api")->current.secret_versions == SecretVersions{{"db", 2}});
}

TEST_CASE("the secrets table keeps the sealed bytes as a blob with size and version") {
  svl::test::TempDir dir;
  {
    auto opened = open_registry(dir.path());
    REQUIRE(opened);
    REQUIRE((*opened)->put_secret("db", "ciphertext-only", 9));
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(registry_database_path(dir.path()).c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT typeof(sealed), size, version FROM secrets", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "blob");
  CHECK(sqlite3_column_int(s, 1) == 9);
  sqlite3_finalize(s);
  sqlite3_close(db);
}
