// .dockerignore semantics and the tar handed to the build.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <archive.h>
#include <archive_entry.h>

#include "orchestrator/docker/build_context.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::docker;
namespace fs = std::filesystem;

namespace {

DockerIgnore parse(const char* text) {
  auto r = DockerIgnore::parse(text);
  REQUIRE(r.ok());
  return std::move(r).value();
}

using svl::test::TempDir;

void write(const TempDir& dir, const std::string& rel, const std::string& content) {
  fs::create_directories((dir.path() / rel).parent_path());
  std::ofstream(dir.path() / rel, std::ios::binary) << content;
}

// path -> content ("" for directories, "-> target" for symlinks)
std::map<std::string, std::string> read_tar(const std::string& tar) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    CHECK(archive_entry_uid(entry) == 0);
    std::string content;
    if (archive_entry_filetype(entry) == AE_IFLNK) {
      content = std::string("-> ") + archive_entry_symlink(entry);
    } else {
      char buf[4096];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) content.append(buf, static_cast<size_t>(n));
    }
    out[name] = content;
  }
  archive_read_free(a);
  return out;
}

}  // namespace

TEST_CASE("dockerignore: plain names, globs, comments and directories") {
  auto ig = parse("# comment\n  *.log  \nbuild\n/tmp/cache\nsrc/*/gen\n?.o\n");
  CHECK(ig.excluded("app.log"));
  CHECK_FALSE(ig.excluded("logs/app.log"));  // '*' stays within one path element
  CHECK(ig.excluded("build"));
  CHECK(ig.excluded("build/out/a.bin"));      // a matched directory excludes what is below
  CHECK(ig.excluded("tmp/cache/x"));
  CHECK(ig.excluded("src/a/gen"));
  CHECK(ig.excluded("src/a/gen/file.c"));
  CHECK_FALSE(ig.excluded("src/a/b/gen"));
  CHECK(ig.excluded("a.o"));
  CHECK_FALSE(ig.excluded("ab.o"));
  CHECK_FALSE(ig.excluded("# comment"));
  CHECK_FALSE(ig.excluded("main.cpp"));
}

TEST_CASE("dockerignore: ** spans any number of directories") {
  auto ig = parse("**/*.tmp\ndocs/**\n**/node_modules\n");
  CHECK(ig.excluded("x.tmp"));
  CHECK(ig.excluded("a/b/c/x.tmp"));
  CHECK(ig.excluded("docs/a/b.md"));
  CHECK(ig.excluded("node_modules/left-pad/index.js"));
  CHECK(ig.excluded("web/node_modules/x"));
  CHECK_FALSE(ig.excluded("docsx/readme"));
  CHECK_FALSE(ig.excluded("src/main.c"));
}

TEST_CASE("dockerignore: '!' exceptions, last match wins") {
  auto ig = parse("*.md\n!README.md\nsecret*\n!secret-public\nsecret-public\n");
  CHECK(ig.excluded("CHANGES.md"));
  CHECK_FALSE(ig.excluded("README.md"));
  CHECK(ig.excluded("secret-key"));
  CHECK(ig.excluded("secret-public"));  // re-excluded by the later line
  auto dir = parse("data\n!data/keep.txt\n");
  CHECK(dir.excluded("data/drop.txt"));
  CHECK_FALSE(dir.excluded("data/keep.txt"));
}

TEST_CASE("the build context tar honours .dockerignore and always carries the Dockerfile") {
  TempDir ctx;
  write(ctx, "Dockerfile", "FROM scratch\n");
  write(ctx, ".dockerignore", "*.log\nDockerfile\nnode_modules\n!node_modules/keep.js\n**/*.tmp\n.git\n");
  write(ctx, "server", "binary");
  write(ctx, "debug.log", "noise");
  write(ctx, "src/main.cpp", "int main(){}");
  write(ctx, "src/deep/x.tmp", "tmp");
  write(ctx, "node_modules/big.js", "big");
  write(ctx, "node_modules/keep.js", "keep");
  write(ctx, ".git/HEAD", "ref");
  fs::create_symlink("server", ctx.path() / "link");

  auto tar = make_build_context(ctx.path());
  REQUIRE(tar.ok());
  auto files = read_tar(tar.value());
  CHECK(files.count("Dockerfile") == 1);
  CHECK(files["Dockerfile"] == "FROM scratch\n");
  CHECK(files.count(".dockerignore") == 1);
  CHECK(files["server"] == "binary");
  CHECK(files["src/main.cpp"] == "int main(){}");
  CHECK(files["link"] == "-> server");
  CHECK(files["node_modules/keep.js"] == "keep");
  CHECK(files.count("debug.log") == 0);
  CHECK(files.count("src/deep/x.tmp") == 0);
  CHECK(files.count("node_modules/big.js") == 0);
  CHECK(files.count(".git/HEAD") == 0);
  CHECK(files.count(".git") == 0);
}

TEST_CASE("a missing build context is an invalid_argument error") {
  auto tar = make_build_context("/nonexistent/svl/context");
  REQUIRE_FALSE(tar.ok());
  CHECK(tar.error().code == Errc::invalid_argument);
}

TEST_CASE("write_build_context writes to a file the tar make_build_context returns") {
  TempDir ctx;
  write(ctx, "Dockerfile", "FROM scratch\n");
  write(ctx, "src/app.js", "console.log(1)\n");
  TempDir out;
  REQUIRE(write_build_context(ctx.path(), "Dockerfile", out.path() / "c.tar").ok());
  std::ifstream in(out.path() / "c.tar", std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  auto tar = make_build_context(ctx.path());
  REQUIRE(tar.ok());
  CHECK(written == tar.value());
  CHECK(read_tar(written)["src/app.js"] == "console.log(1)\n");
}
