#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "orchestrator/dev/watcher.hpp"
#include "tests/common/temp_dir.hpp"

using namespace std::chrono_literals;
using svl::dev::Watcher;
using svl::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Generous: a loaded CI machine may take a while to deliver an event; a pass returns at once.
constexpr auto kTimeout = 5s;
constexpr auto kDebounce = 50ms;

void write(const fs::path& path, const std::string& text = "x") {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

Watcher open(const TempDir& dir, std::vector<std::string> always = {}) {
  auto w = Watcher::open(dir.path(), kDebounce, std::move(always));
  if (!w) FAIL(w.error());
  return std::move(w).value();
}

std::vector<std::string> next(Watcher& w) {
  auto changes = w.wait(kTimeout);
  REQUIRE(changes.has_value());
  CHECK_FALSE(changes->overflow);
  return changes->paths;
}

using Paths = std::vector<std::string>;

}  // namespace

TEST_CASE("a write is reported, and a quiet folder times out") {
  TempDir dir("svl-watch");
  write(dir.path() / "a.txt", "one");
  Watcher w = open(dir);
  CHECK_FALSE(w.wait(20ms).has_value());  // files present before open are not changes
  write(dir.path() / "a.txt", "two");
  CHECK(next(w) == Paths{"a.txt"});
  CHECK_FALSE(w.wait(20ms).has_value());
}

TEST_CASE("a burst of writes within the debounce comes as one sorted batch") {
  TempDir dir("svl-watch");
  Watcher w = open(dir);
  Paths expected;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "f" + std::to_string(19 - i) + ".js";
    write(dir.path() / name, std::to_string(i));
    write(dir.path() / "same.txt", std::to_string(i));
    expected.push_back(name);
  }
  expected.push_back("same.txt");
  std::sort(expected.begin(), expected.end());
  CHECK(next(w) == expected);
  CHECK_FALSE(w.wait(100ms).has_value());  // nothing left for a second batch
}

TEST_CASE("a file in a directory created after open is reported, and so are later writes there") {
  TempDir dir("svl-watch");
  Watcher w = open(dir);
  write(dir.path() / "src/lib/new.ts");  // may land before the watcher sees src/lib
  CHECK(next(w) == Paths{"src/lib/new.ts"});
  write(dir.path() / "src/lib/later.ts");
  CHECK(next(w) == Paths{"src/lib/later.ts"});
}

TEST_CASE("deleting and moving are changes too") {
  TempDir dir("svl-watch");
  write(dir.path() / "old.txt");
  write(dir.path() / "sub/inner.txt");
  Watcher w = open(dir);
  fs::remove(dir.path() / "old.txt");
  CHECK(next(w) == Paths{"old.txt"});
  fs::rename(dir.path() / "sub", dir.path() / "moved");
  CHECK(next(w) == Paths{"moved/inner.txt", "sub"});
  write(dir.path() / "moved/inner.txt", "edited");  // the moved directory is watched under its new name
  CHECK(next(w) == Paths{"moved/inner.txt"});
}

TEST_CASE("files excluded by .dockerignore are not reported") {
  TempDir dir("svl-watch");
  write(dir.path() / ".dockerignore", "*.log\nbuild/\n.env\n");
  write(dir.path() / "build/keep-out.o");
  Watcher w = open(dir);
  write(dir.path() / "debug.log");
  write(dir.path() / "build/out.o");
  write(dir.path() / "build/new/deeper.o");
  write(dir.path() / ".env");
  write(dir.path() / "main.py");
  CHECK(next(w) == Paths{"main.py"});
}

TEST_CASE("an exception below an excluded directory is still reported") {
  TempDir dir("svl-watch");
  write(dir.path() / ".dockerignore", "data\n!data/keep.json\n");
  write(dir.path() / "data/drop.json");
  Watcher w = open(dir);
  write(dir.path() / "data/drop.json", "2");
  write(dir.path() / "data/keep.json", "2");
  CHECK(next(w) == Paths{"data/keep.json"});
}

TEST_CASE("paths named in `always` are reported even when .dockerignore excludes them") {
  TempDir dir("svl-watch");
  write(dir.path() / ".dockerignore", ".env\nsvl.toml\n");
  Watcher w = open(dir, {".env"});
  write(dir.path() / ".env", "A=1");
  write(dir.path() / "svl.toml");
  CHECK(next(w) == Paths{".env"});
}

TEST_CASE("node_modules and .git are never reported, existing or new") {
  TempDir dir("svl-watch");
  write(dir.path() / "node_modules/express/index.js");
  write(dir.path() / ".git/HEAD");
  Watcher w = open(dir);
  write(dir.path() / "node_modules/express/index.js", "changed");
  write(dir.path() / "node_modules/new-pkg/index.js");
  write(dir.path() / "lib/node_modules/x.js");
  write(dir.path() / ".git/index");
  write(dir.path() / "index.js");
  CHECK(next(w) == Paths{"index.js"});
}

TEST_CASE("opening a missing folder or a bad .dockerignore is an error") {
  TempDir dir("svl-watch");
  auto missing = Watcher::open(dir.path() / "nope", kDebounce);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("not a folder") != std::string::npos);
  write(dir.path() / ".dockerignore", "trailing\\");
  auto bad = Watcher::open(dir.path(), kDebounce);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find(".dockerignore") != std::string::npos);
}
