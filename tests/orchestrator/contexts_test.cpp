// CLI contexts (orchestrator/cli/contexts.hpp): the file's round trip and modes, its errors, and
// which daemon a command talks to: --admin, --context, $SVL_CONTEXT, the current one, local.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "orchestrator/cli/contexts.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::cli;

namespace {

// Sets (or unsets) an environment variable for the scope, restoring what was there.
class EnvVar {
public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~EnvVar() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

private:
  const char* name_;
  std::optional<std::string> old_;
};

ContextFile two_contexts() {
  ContextFile f;
  f.current = "box";
  f.contexts["box"] = {"https://box.example.com:7443", "SHA256:" + std::string(64, 'a'), "svl_box"};
  f.contexts["ci"] = {"https://10.0.0.2:7443", "SHA256:" + std::string(64, 'b'), "svl_ci"};
  return f;
}

}  // namespace

TEST_CASE("contexts: saved 0600 in a 0700 folder, and read back as they were") {
  svl::test::TempDir dir;
  const auto file = dir.path() / "svl" / "contexts.toml";
  CHECK(load_contexts(file).contexts.empty());  // no file: none
  save_contexts(file, two_contexts());
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(file.parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  const auto back = load_contexts(file);
  CHECK(back.current == "box");
  REQUIRE(back.contexts.size() == 2);
  CHECK(back.contexts.at("ci").url == "https://10.0.0.2:7443");
  CHECK(back.contexts.at("ci").token == "svl_ci");
  CHECK(back.contexts.at("box").fingerprint == "SHA256:" + std::string(64, 'a'));
}

TEST_CASE("contexts: a bad file is an error naming the file, line and key") {
  svl::test::TempDir dir;
  const auto file = dir.path() / "contexts.toml";
  std::ofstream(file) << "current = \"box\"\n[contexts.box]\nurl = 5\n";
  try {
    (void)load_contexts(file);
    FAIL("a number for url was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find(file.string() + ":3") != std::string::npos);
    CHECK(what.find("contexts.box.url") != std::string::npos);
  }
  std::ofstream(file) << "[contexts.box]\nurl = \"https://x:1\"\npassword = \"no\"\n";
  CHECK_THROWS_WITH(load_contexts(file), doctest::Contains("unknown key (known: url, fingerprint, token)"));
}

TEST_CASE("contexts: --admin, then --context, then SVL_CONTEXT, then the current one, then local") {
  svl::test::TempDir dir;
  const auto file = dir.path() / "contexts.toml";
  save_contexts(file, two_contexts());
  EnvVar no_context("SVL_CONTEXT", nullptr), no_token("SVL_TOKEN", nullptr), admin("SVL_ADMIN", "/run/test/svl.sock");

  CHECK(resolve_admin_target("/tmp/other.sock", "ci", file).socket_path == "/tmp/other.sock");
  CHECK(resolve_admin_target("", "ci", file).remote.url == "https://10.0.0.2:7443");
  CHECK(resolve_admin_target("", "", file).context == "box");  // the current one
  {
    EnvVar env("SVL_CONTEXT", "ci");
    CHECK(resolve_admin_target("", "", file).context == "ci");
    CHECK(resolve_admin_target("", "box", file).context == "box");  // the flag wins
  }
  const auto local = resolve_admin_target("", "local", file);
  CHECK_FALSE(local.is_remote());
  CHECK(local.socket_path == "/run/test/svl.sock");
  {
    EnvVar token("SVL_TOKEN", "svl_from_ci_secret_store");
    CHECK(resolve_admin_target("", "ci", file).remote.token == "svl_from_ci_secret_store");
  }
  CHECK_THROWS_WITH(resolve_admin_target("", "prod", file), doctest::Contains("no context named prod"));
  CHECK_THROWS_WITH(resolve_admin_target("", "prod", file), doctest::Contains("known: local, box, ci"));

  ContextFile none;  // no current context: the local socket
  none.contexts = two_contexts().contexts;
  save_contexts(file, none);
  CHECK_FALSE(resolve_admin_target("", "", file).is_remote());
}

TEST_CASE("contexts: names and URLs") {
  CHECK(is_valid_context_name("box"));
  CHECK(is_valid_context_name("prod-eu.1"));
  CHECK_FALSE(is_valid_context_name(""));
  CHECK_FALSE(is_valid_context_name("-box"));
  CHECK_FALSE(is_valid_context_name("Box/1"));
  CHECK_FALSE(url_problem("https://box.example.com:7443"));
  CHECK(url_problem("http://box:7443"));  // not https
  CHECK(url_problem("https://box"));      // no port
}
