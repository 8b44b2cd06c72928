// check_build_context: what an uploaded context may hold (POST /v1/builds), entry by entry.
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "orchestrator/docker/build_context.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/support/test_tar.hpp"

using namespace svl::docker;
namespace fs = std::filesystem;

namespace {

using Entry = svl::test::TarEntry;

std::string refusal(const std::vector<Entry>& entries, std::string_view dockerfile = "Dockerfile") {
  svl::test::TempDir dir;
  svl::test::write_tar(dir.path() / "context.tar", entries);
  auto checked = check_build_context(dir.path() / "context.tar", dockerfile);
  return checked.ok() ? std::string() : checked.error().message;
}

}  // namespace

TEST_CASE("a context of files, folders and links inside it passes") {
  CHECK(refusal({{"Dockerfile"}, {"src", AE_IFDIR}, {"src/app.js"}, {"src/link", AE_IFLNK, "app.js"},
                 {"src/up", AE_IFLNK, "../Dockerfile"}, {"./src/../copy", AE_IFREG, "src/app.js", true}}) == "");
  CHECK(refusal({{"deploy/Containerfile"}}, "deploy/Containerfile") == "");
}

TEST_CASE("an entry outside the context is refused, by name") {
  CHECK(refusal({{"Dockerfile"}, {"../escape"}}).find("entry \"../escape\" points outside") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"a/../../escape"}}).find("\"a/../../escape\"") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"/etc/cron.d/x"}}).find("\"/etc/cron.d/x\" points outside") != std::string::npos);
}

TEST_CASE("a link whose target leaves the context is refused") {
  CHECK(refusal({{"Dockerfile"}, {"etc", AE_IFLNK, "/etc"}}).find("entry \"etc\" is a link to \"/etc\"") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"a/up", AE_IFLNK, "../../x"}}).find("\"a/up\" is a link") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"h", AE_IFREG, "../../etc/shadow", true}}).find("is a hard link") != std::string::npos);
}

TEST_CASE("devices and fifos are refused") {
  CHECK(refusal({{"Dockerfile"}, {"pipe", AE_IFIFO}}).find("entry \"pipe\" is neither") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"disk", AE_IFBLK}}).find("\"disk\"") != std::string::npos);
}

TEST_CASE("a context without its Dockerfile, or not a tar, is refused") {
  CHECK(refusal({{"app.js"}}).find("no file Dockerfile") != std::string::npos);
  CHECK(refusal({{"Dockerfile", AE_IFDIR}}).find("no file Dockerfile") != std::string::npos);
  svl::test::TempDir dir;
  std::ofstream(dir.path() / "junk") << "this is not a tar at all, just some text that goes on long enough";
  auto checked = check_build_context(dir.path() / "junk");
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().message.find("not") != std::string::npos);
}
