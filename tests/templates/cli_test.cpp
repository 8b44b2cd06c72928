// `svl new` and `svl templates` as a user runs them: the real svl binary (SVL_BINARY), real files.
// No Docker needed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/templates/process.hpp"

namespace fs = std::filesystem;
using svl::test::read_text;
using svl::test::run_command;
using svl::test::shell_quote;
using svl::test::TempDir;

namespace {

std::string svl_binary() {
  const char* path = std::getenv("SVL_BINARY");
  REQUIRE_MESSAGE(path != nullptr, "SVL_BINARY is not set (ctest sets it)");
  return path;
}

// Runs svl with `args` (already shell-quoted where needed) in `cwd`.
svl::test::ProcessResult run_svl(const std::string& args, const fs::path& cwd) {
  return run_command("cd " + shell_quote(cwd.string()) + " && " + shell_quote(svl_binary()) + " " + args);
}

const char* const all_templates[] = {"cpp", "express", "go", "node", "python", "static", "workers"};

}  // namespace

TEST_CASE("svl templates lists every template with a description") {
  TempDir tmp("svl-cli-templates");
  const auto r = run_svl("templates", tmp.path());
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  // One line per template, nothing else.
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == static_cast<long>(std::size(all_templates)));
  for (const char* name : all_templates) {
    CAPTURE(name);
    const auto line_start = r.out.find(std::string(name) + " ");
    REQUIRE(line_start != std::string::npos);
    const auto line_end = r.out.find('\n', line_start);
    // "name   description": something beyond the name and the padding.
    CHECK(r.out.substr(line_start, line_end - line_start).find_first_not_of(' ', std::string(name).size()) !=
          std::string::npos);
  }
}

TEST_CASE("svl new creates each template's files with the name filled in") {
  TempDir tmp("svl-cli-new");
  for (const char* tmpl : all_templates) {
    CAPTURE(tmpl);
    const std::string name = std::string("fn-") + tmpl;
    const auto r = run_svl("new " + name + " --template " + tmpl, tmp.path());
    CHECK(r.err.empty());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("svl up") != std::string::npos);  // tells the user the next step
    const fs::path dir = tmp.path() / name;  // default DIR is ./NAME
    for (const char* file : {"svl.toml", "Dockerfile", ".dockerignore", "README.md"}) CHECK_MESSAGE(fs::is_regular_file(dir / file), file);
    CHECK(read_text(dir / "svl.toml").find("name = \"" + name + "\"") != std::string::npos);
    CHECK(read_text(dir / "README.md").find("# " + name) == 0);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      CHECK_MESSAGE(read_text(entry.path()).find("{{name}}") == std::string::npos, entry.path().string());
      CHECK(entry.path().filename() != ".svl-template");
    }
  }
  // Source files carry the name too, where the function greets with it.
  CHECK(read_text(tmp.path() / "fn-go/main.go").find("const name = \"fn-go\"") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn-cpp/main.cpp").find("function_name = \"fn-cpp\"") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn-python/app.py").find("NAME = \"fn-python\"") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn-node/src/index.js").find("const name = 'fn-node'") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn-express/src/index.js").find("const name = 'fn-express'") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn-workers/src/index.ts").find("const name = 'fn-workers'") != std::string::npos);
}

TEST_CASE("svl new takes an explicit DIR and defaults to the go template") {
  TempDir tmp("svl-cli-new-dir");
  const auto r = run_svl("new api " + shell_quote((tmp.path() / "a/b/c").string()), tmp.path());
  REQUIRE(r.exit_code == 0);
  CHECK(fs::is_regular_file(tmp.path() / "a/b/c/main.go"));
  CHECK(!fs::exists(tmp.path() / "api"));
  const auto short_flag = run_svl("new api2 -t python d", tmp.path());
  REQUIRE(short_flag.exit_code == 0);
  CHECK(fs::is_regular_file(tmp.path() / "d/app.py"));
}

TEST_CASE("svl new rejects a bad name on stderr with a non-zero exit, writing nothing") {
  TempDir tmp("svl-cli-bad-name");
  for (const std::string& name : std::vector<std::string>{"Hello", "my_fn", "-fn", "fn-", std::string(64, 'a'), "a.b"}) {
    CAPTURE(name);
    const auto r = run_svl("new -- " + shell_quote(name), tmp.path());  // -- : "-fn" is a name, not a flag
    CHECK(r.exit_code != 0);
    CHECK(r.out.empty());
    CHECK(r.err.find("invalid function name '" + name + "'") != std::string::npos);
  }
  CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE("svl new names the available templates when the template is unknown") {
  TempDir tmp("svl-cli-unknown");
  const auto r = run_svl("new fn --template rust", tmp.path());
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("unknown template 'rust'; available: cpp, express, go, node, python, static, workers") != std::string::npos);
  CHECK(!fs::exists(tmp.path() / "fn"));
}

TEST_CASE("svl new refuses a non-empty directory and leaves it as it was") {
  TempDir tmp("svl-cli-nonempty");
  fs::create_directories(tmp.path() / "fn");
  { std::ofstream(tmp.path() / "fn/main.go") << "package mine\n"; }
  const auto r = run_svl("new fn --template go", tmp.path());
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("is not empty") != std::string::npos);
  CHECK(read_text(tmp.path() / "fn/main.go") == "package mine\n");
  CHECK(!fs::exists(tmp.path() / "fn/svl.toml"));
}

TEST_CASE("svl new without a name is a usage error") {
  TempDir tmp("svl-cli-noname");
  const auto r = run_svl("new", tmp.path());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("name") != std::string::npos);
}

TEST_CASE("every command's --help ends with an example of that command") {
  TempDir tmp("svl-cli-help");
  const auto top = run_svl("--help", tmp.path());
  REQUIRE(top.exit_code == 0);
  CHECK(top.out.find("Example:\n  svl new") != std::string::npos);
  // The command names: the first word of each line after "Subcommands:".
  std::vector<std::string> commands;
  std::istringstream lines(top.out.substr(top.out.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) commands.push_back(line.substr(2, line.find(' ', 2) - 2));
  CHECK(commands.size() >= 13);
  for (const auto& command : commands) {
    CAPTURE(command);
    const auto help = run_svl(command + " --help", tmp.path());
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Example:\n  svl " + command) != std::string::npos);
  }
}

