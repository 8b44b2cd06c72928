// Secrets end to end (the real binary, its admin socket, real dockerd): `svl secret set` from stdin
// and a file, a function reading a file secret and an env secret and answering with them, a set
// without --roll (no restart, `svl status` says the replicas run an older version), --roll (a new
// revision serving the new value), a missing secret refused at `svl up`, a bad name, a used
// secret's removal refused, the key file missing or of the wrong size (a clear error naming it,
// nothing lost), and the host folder gone with the function.
#include <doctest/doctest.h>

#include <fstream>
#include <sys/stat.h>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;

namespace {

std::filesystem::path write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// The daemon's secrets folder (orchestrator/daemon/secret_store.cpp, secrets_root), as root.
std::filesystem::path secrets_root(const std::filesystem::path& state_dir) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : std::filesystem::canonical(state_dir).string()) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::filesystem::path("/run/svl") / hex;
}

std::string body_of(std::uint16_t port, const std::string& path) {
  return svl::test::get(port, path, "api.localhost").body;
}

}  // namespace

TEST_CASE("a function reads its file and env secrets, rotation needs svl up or --roll, the key file is guarded") {
  REQUIRE_MESSAGE(::geteuid() == 0, "runs as root (secret files are given to the image's user)");
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  struct RemoveRoot {  // the daemon's secrets folder on the host, even when the test fails
    std::filesystem::path root;
    ~RemoveRoot() {
      std::error_code ec;
      std::filesystem::remove_all(root, ec);
    }
  } remove_root{secrets_root(d.state_dir())};
  const auto port = d.gateway_port();
  const std::string admin = " --admin " + d.admin();

  // A value from a file, one from stdin; a bad name refused, naming it.
  auto set_db = d.cli({"secret", "set", "db-password", "--from-file", write_file(tmp.path() / "v1", "s3cret-1").string()});
  REQUIRE_MESSAGE(set_db.exit_code == 0, set_db.err);
  CHECK(set_db.out.find("version 1, 8 bytes") != std::string::npos);
  const std::string stdin_set = shell("printf 'k-1' | " + svl::test::svl_binary() + " secret set api-key" + admin + " 2>&1; echo rc=$?");
  CHECK_MESSAGE(stdin_set.find("rc=0") != std::string::npos, stdin_set);
  auto bad = d.cli({"secret", "set", "Bad/Name", "--from-file", (tmp.path() / "v1").string()});
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.err.find("secret name \"Bad/Name\"") != std::string::npos, bad.err);
  auto bad_api = svl::test::admin_request(d.admin(), "PUT", "/v1/secrets/UPPER", R"({"value":"eA=="})");
  CHECK(bad_api.status == 400);
  CHECK(bad_api.body.find("UPPER") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat((d.state_dir() / "secret.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // A secret that does not exist: refused at up, with its name; nothing deployed.
  auto missing = svl::test::write_function(tmp.path(), "miss", fn_toml("", "[secrets]\nTOKEN = \"no-such-secret\"\n"));
  auto refused = d.cli({"up", missing.string(), "--quiet"});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.err.find("secret \"no-such-secret\" does not exist") != std::string::npos, refused.err);
  CHECK(status_of(d, "miss").is_null());

  const auto fn = svl::test::write_function(
      tmp.path(), "api",
      fn_toml("", "[secrets]\nDB_PASSWORD = \"db-password\"\nAPI_KEY = { secret = \"api-key\", as = \"env\" }\n"));
  auto up = d.cli({"up", fn.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(body_of(port, "/file?path=/run/secrets/DB_PASSWORD") == "s3cret-1");
  CHECK(body_of(port, "/env/API_KEY") == "k-1\n");
  CHECK(body_of(port, "/file?path=/run/secrets/API_KEY") == "unreadable\n");  // env only
  const auto status_json = svl::test::admin_request(d.admin(), "GET", "/v1/functions/api").body;
  CHECK(status_json.find("s3cret") == std::string::npos);  // names and versions only
  CHECK(status_json.find("k-1") == std::string::npos);
  CHECK(d.log().find("s3cret") == std::string::npos);
  const auto fn_dir = secrets_root(d.state_dir()) / "api";
  CHECK(std::filesystem::exists(fn_dir / "1" / "files" / "DB_PASSWORD"));

  // Set again without --roll: nothing restarts, the replica keeps the old value, status says so.
  auto set_v2 = d.cli({"secret", "set", "db-password", "--from-file", write_file(tmp.path() / "v2", "s3cret-2").string()});
  REQUIRE_MESSAGE(set_v2.exit_code == 0, set_v2.err);
  CHECK_MESSAGE(set_v2.out.find("used by api") != std::string::npos, set_v2.out);
  CHECK(body_of(port, "/file?path=/run/secrets/DB_PASSWORD") == "s3cret-1");
  auto stale = d.cli({"status", "api"});
  CHECK_MESSAGE(stale.out.find("DB_PASSWORD <- db-password (file, version 1): replicas run an older version than the "
                               "current 2") != std::string::npos,
                stale.out);
  auto ls = d.cli({"secret", "ls"});
  CHECK_MESSAGE(ls.out.find("db-password") != std::string::npos, ls.out);
  CHECK(ls.out.find("s3cret") == std::string::npos);
  auto in_use = d.cli({"secret", "rm", "db-password"});
  CHECK(in_use.exit_code != 0);
  CHECK_MESSAGE(in_use.err.find("is used by api") != std::string::npos, in_use.err);

  // --roll: a new revision, whose replica serves the new value.
  auto roll = d.cli({"secret", "set", "db-password", "--roll", "--from-file", write_file(tmp.path() / "v3", "s3cret-3").string()});
  REQUIRE_MESSAGE(roll.exit_code == 0, roll.err);
  CHECK_MESSAGE(roll.out.find("api: revision 2 (rolled)") != std::string::npos, roll.out);
  CHECK(wait_for([&] { return body_of(port, "/file?path=/run/secrets/DB_PASSWORD") == "s3cret-3"; }, 30s));
  CHECK(body_of(port, "/env/API_KEY") == "k-1\n");
  auto fresh = d.cli({"status", "api"});
  CHECK_MESSAGE(fresh.out.find("(file, version 3)\n") != std::string::npos, fresh.out);
  CHECK(fresh.out.find("older version") == std::string::npos);

  // The key file missing, then of the wrong size: a clear error naming it; nothing stored or lost.
  const auto key = d.state_dir() / "secret.key";
  std::filesystem::rename(key, tmp.path() / "key.backup");
  auto no_key = d.cli({"secret", "set", "db-password", "--from-file", (tmp.path() / "v1").string()});
  CHECK(no_key.exit_code != 0);
  CHECK_MESSAGE(no_key.err.find(key.string() + " is missing") != std::string::npos, no_key.err);
  CHECK_FALSE(std::filesystem::exists(key));  // not silently made anew: the old secrets would be lost
  write_file(key, "short");
  auto wrong = d.cli({"secret", "set", "db-password", "--from-file", (tmp.path() / "v1").string()});
  CHECK(wrong.exit_code != 0);
  CHECK_MESSAGE(wrong.err.find(key.string() + " has the wrong size") != std::string::npos, wrong.err);
  CHECK(body_of(port, "/file?path=/run/secrets/DB_PASSWORD") == "s3cret-3");  // still serving
  std::filesystem::rename(tmp.path() / "key.backup", key);
  auto listed = nlohmann::json::parse(svl::test::admin_request(d.admin(), "GET", "/v1/secrets").body);
  REQUIRE(listed["secrets"].size() == 2);
  CHECK(listed["secrets"][1]["name"] == "db-password");
  CHECK(listed["secrets"][1]["version"] == 3);  // the failed sets changed nothing
  auto restored = d.cli({"secret", "set", "db-password", "--from-file", (tmp.path() / "v1").string()});
  CHECK_MESSAGE(restored.exit_code == 0, restored.err);

  // svl up of the unchanged folder: the used secret's new version makes revision 3.
  auto again = d.cli({"up", fn.string(), "--quiet"});
  REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  CHECK(wait_for([&] { return body_of(port, "/file?path=/run/secrets/DB_PASSWORD") == "s3cret-1"; }, 30s));
  CHECK(status_of(d, "api")["revision"] == 3);
  CHECK(d.cli({"up", fn.string(), "--quiet"}).exit_code == 0);
  CHECK(status_of(d, "api")["revision"] == 3);  // nothing changed since: no new revision

  // The function's folder of secret files goes with it.
  auto down = d.cli({"down", "api"});
  REQUIRE_MESSAGE(down.exit_code == 0, down.err);
  CHECK_FALSE(std::filesystem::exists(fn_dir));
  CHECK(d.cli({"secret", "rm", "api-key"}).exit_code == 0);
}

// An image that names its user (USER app, as node's and many others do): the daemon reads the
// image's /etc/passwd and /etc/group once, through a container made for the read, and the files
// are that user's alone (0400), which the app can still read.
TEST_CASE("a named image user owns its secret files, resolved in the image's /etc/passwd") {
  REQUIRE_MESSAGE(::geteuid() == 0, "runs as root (secret files are given to the image's user)");
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  struct Cleanup {
    std::filesystem::path root;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(root, ec);
      (void)shell("docker rmi -f svl/named-user:latest >/dev/null 2>&1");
    }
  } cleanup{secrets_root(d.state_dir())};
  REQUIRE(d.cli({"secret", "set", "pw", "--from-file", write_file(tmp.path() / "v", "named-s3cret").string()}).exit_code == 0);
  auto dir = svl::test::write_function(tmp.path(), "named-user",
                                       "port = 8080\n[build]\ncontext = \".\"\n[secrets]\nPW = \"pw\"\n[scale]\nmin = 1\n");
  write_file(dir / "passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:4321:4322::/:/server\n");
  write_file(dir / "group", "root:x:0:\napp:x:4322:\n");
  write_file(dir / "Dockerfile", "FROM " + image() + "\nCOPY passwd /etc/passwd\nCOPY group /etc/group\nUSER app\n");
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(svl::test::get(d.gateway_port(), "/fn/named-user/file?path=/run/secrets/PW").body == "named-s3cret");
  struct stat st {};
  bool found = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(secrets_root(d.state_dir()) / "named-user"))
    if (entry.path().filename() == "PW" && ::stat(entry.path().c_str(), &st) == 0) found = true;
  REQUIRE(found);
  CHECK(st.st_uid == 4321);
  CHECK(st.st_gid == 4322);
  CHECK((st.st_mode & 0777) == 0400);
  // The container made for the read is gone.
  CHECK(shell("docker ps -a --no-trunc --format '{{.Command}}'").find("/nonexistent") == std::string::npos);
}
