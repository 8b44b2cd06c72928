// A revision's secret files on the host: written once from the values then, owned by the image's
// user, read back (not fetched again) for the revision's later replicas, older revisions' folders
// dropped, the function's folder removed with it.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "orchestrator/secrets/secret_files.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::secrets;
using svl::orchestrator::SecretMount;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("owner_from_image_user: root, numeric ids, names unknown") {
  CHECK(owner_from_image_user("").uid == 0);
  CHECK(owner_from_image_user("").known);
  auto numeric = owner_from_image_user("1000:1001");
  CHECK(numeric.uid == 1000);
  CHECK(numeric.gid == 1001);
  CHECK(owner_from_image_user("65534").uid == 65534);
  CHECK_FALSE(owner_from_image_user("node").known);
  CHECK_FALSE(owner_from_image_user("1000:staff").known);
}

TEST_CASE("owner_from_image_user: names are looked up in the image's /etc/passwd and /etc/group") {
  const char* passwd = "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1001::/home/node:/bin/sh\nbroken:x:oops:1\n";
  const char* group = "root:x:0:\nstaff:x:50:node\n";
  auto node = owner_from_image_user("node", passwd, group);
  CHECK(node.known);
  CHECK(node.uid == 1000);
  CHECK(node.gid == 1001);  // the passwd entry's group, as Docker uses it
  auto with_group = owner_from_image_user("node:staff", passwd, group);
  CHECK(with_group.uid == 1000);
  CHECK(with_group.gid == 50);
  auto mixed = owner_from_image_user("1234:staff", passwd, group);
  CHECK(mixed.uid == 1234);
  CHECK(mixed.gid == 50);
  CHECK_FALSE(owner_from_image_user("ghost", passwd, group).known);
  CHECK_FALSE(owner_from_image_user("broken", passwd, group).known);
  CHECK_FALSE(owner_from_image_user("node:nogroup", passwd, group).known);
}

TEST_CASE("a revision's files and env are written once, then read back") {
  svl::test::TempDir dir;
  const SecretFiles files(dir.path() / "run");
  const std::map<std::string, SecretMount> mounts{{"DB_PASSWORD", {"db-password", false}}, {"API_KEY", {"api-key", true}}};
  int fetched = 0;
  std::map<std::string, std::string> values{{"DB_PASSWORD", "hunter2"}, {"API_KEY", "k-1"}};
  FetchValues fetch = [&]() -> svl::Result<std::map<std::string, std::string>, std::string> {
    ++fetched;
    return values;
  };
  auto first = files.ensure("api", 3, mounts, Owner{1000, 1000, true}, fetch);
  REQUIRE_MESSAGE(first, (first ? "" : first.error()));
  CHECK(fetched == 1);
  REQUIRE(!first->files_dir.empty());
  const std::filesystem::path file = std::filesystem::path(first->files_dir) / "DB_PASSWORD";
  CHECK(read(file) == "hunter2");
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(first->files_dir) / "API_KEY"));  // env only
  CHECK(first->env == std::map<std::string, std::string>{{"API_KEY", "k-1"}});
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0400);
  REQUIRE(::stat(first->files_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  if (::geteuid() == 0) CHECK(st.st_uid == 1000);

  values["API_KEY"] = "k-2";  // set again, without a new revision: the revision keeps what it had
  auto second = files.ensure("api", 3, mounts, Owner{1000, 1000, true}, fetch);
  REQUIRE(second);
  CHECK(fetched == 1);
  CHECK(second->env.at("API_KEY") == "k-1");

  auto next = files.ensure("api", 4, mounts, Owner{1000, 1000, true}, fetch);  // a new revision
  REQUIRE(next);
  CHECK(fetched == 2);
  CHECK(next->env.at("API_KEY") == "k-2");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "run" / "api" / "3"));

  files.remove_function("api");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "run" / "api"));
}

TEST_CASE("a fetch that fails leaves nothing behind, and says why") {
  svl::test::TempDir dir;
  const SecretFiles files(dir.path() / "run");
  const std::map<std::string, SecretMount> mounts{{"X", {"x", false}}};
  auto failed = files.ensure("api", 1, mounts, Owner{}, [] {
    return svl::Result<std::map<std::string, std::string>, std::string>(std::string("secret key file /k is missing"));
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == "secret key file /k is missing");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "run" / "api" / "1"));
}

TEST_CASE("a named image user gets files any user in the replica can read") {
  svl::test::TempDir dir;
  const SecretFiles files(dir.path() / "run");
  const std::map<std::string, SecretMount> mounts{{"X", {"x", false}}};
  auto done = files.ensure("api", 1, mounts, owner_from_image_user("node"), [] {
    return svl::Result<std::map<std::string, std::string>, std::string>(std::map<std::string, std::string>{{"X", "v"}});
  });
  REQUIRE(done);
  struct stat st {};
  REQUIRE(::stat((std::filesystem::path(done->files_dir) / "X").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
}
