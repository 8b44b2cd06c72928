// The embedded templates and the scaffolding behind `svl new`: every template is complete, its
// svl.toml is valid for svl once the name is filled in, and scaffolding refuses what it must.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "orchestrator/cli/templates.hpp"
#include "orchestrator/spec/function_spec.hpp"
#include "orchestrator/spec/spec_parser.hpp"
#include "tests/common/temp_dir.hpp"

namespace fs = std::filesystem;
using svl::cli::embedded_templates;
using svl::cli::fill_in;
using svl::cli::find_template;
using svl::cli::function_name_error;
using svl::cli::scaffold;

namespace {

using svl::test::TempDir;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string_view file_of(const svl::cli::Template& t, std::string_view path) {
  for (const auto& f : t.files)
    if (f.path == path) return f.contents;
  FAIL("template " << t.name << " has no " << path);
  return {};
}

}  // namespace

TEST_CASE("the seven templates are embedded, sorted, each with a description") {
  std::vector<std::string> names;
  for (const auto& t : embedded_templates()) {
    names.emplace_back(t.name);
    CHECK_MESSAGE(!t.description.empty(), t.name);
    CHECK_MESSAGE(t.description.find('\n') == std::string_view::npos, t.name);
  }
  CHECK(names == std::vector<std::string>{"cpp", "express", "go", "node", "python", "static", "workers"});
  CHECK(svl::cli::template_names() == "cpp, express, go, node, python, static, workers");
  REQUIRE(find_template("node") != nullptr);
  CHECK(find_template("node")->name == "node");
  CHECK(find_template("rust") == nullptr);
  CHECK(find_template("") == nullptr);
}

TEST_CASE("every template has svl.toml, Dockerfile with ARG BASE, .dockerignore and README") {
  for (const auto& t : embedded_templates()) {
    CAPTURE(t.name);
    CHECK(file_of(t, "svl.toml").find("name = \"{{name}}\"") != std::string_view::npos);
    const auto dockerfile = file_of(t, "Dockerfile");
    CHECK(dockerfile.find("ARG BASE=") != std::string_view::npos);
    CHECK(dockerfile.find("FROM ${BASE}") != std::string_view::npos);
    CHECK(!file_of(t, ".dockerignore").empty());
    CHECK(file_of(t, "README.md").find("# {{name}}") == 0);
    // The description is metadata for `svl templates`, not a file of the project.
    for (const auto& f : t.files) CHECK(f.path != ".svl-template");
  }
}

TEST_CASE("the embedded bytes are the files in templates/") {
  // SVL_TEMPLATES_DIR is set by CMake to the source tree's templates/.
  const fs::path dir = SVL_TEMPLATES_DIR;
  for (const auto& t : embedded_templates()) {
    std::size_t on_disk = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir / std::string(t.name)))
      if (entry.is_regular_file() && entry.path().filename() != ".svl-template") ++on_disk;
    CHECK_MESSAGE(on_disk == t.files.size(), t.name);
    for (const auto& f : t.files) CHECK_MESSAGE(read_file(dir / std::string(t.name) / std::string(f.path)) == f.contents, f.path);
  }
}

TEST_CASE("each template's svl.toml is valid for svl once the name is filled in") {
  for (const auto& t : embedded_templates()) {
    CAPTURE(t.name);
    const std::string text = fill_in(file_of(t, "svl.toml"), "my-fn");
    auto result = svl::orchestrator::parse_spec(text, std::string(t.name) + "/svl.toml");
    for (const auto& e : result.errors) FAIL_CHECK(e.to_string());
    REQUIRE(result);
    const auto& spec = *result.spec;
    CHECK(spec.name == "my-fn");
    CHECK(spec.port == 8080);
    REQUIRE(spec.build.has_value());
    CHECK(spec.build->dockerfile == "Dockerfile");
    CHECK(spec.scale.min == 0);  // every template scales to zero
    CHECK(spec.scale.max >= 1);
    CHECK(spec.scale.policy == svl::orchestrator::ScalePolicy::fixed);
    CHECK(spec.health.path == "/");

    // The commented BASE line is the documented way to point the build at another base image.
    const std::string with_base = [&] {
      std::string s = text;
      const auto at = s.find("# BASE = ");
      REQUIRE(at != std::string::npos);
      s.erase(at, 2);
      return s;
    }();
    auto rebased = svl::orchestrator::parse_spec(with_base);
    REQUIRE(rebased);
    CHECK(rebased.spec->build->args.count("BASE") == 1);
  }
}

TEST_CASE("function names: 1-63 of [a-z0-9-], no leading or trailing '-', as the spec says") {
  const std::string longest(63, 'a');
  for (const std::string& name : std::vector<std::string>{"a", "hello", "my-fn-2", "0day", longest}) {
    CAPTURE(name);
    CHECK(function_name_error(name).empty());
    CHECK(svl::orchestrator::is_valid_function_name(name));
  }
  for (const std::string& name :
       std::vector<std::string>{"", "Hello", "my_fn", "-fn", "fn-", "a.b", "fn/x", "caf\xc3\xa9", longest + "a"}) {
    CAPTURE(name);
    CHECK(!function_name_error(name).empty());
    CHECK(!svl::orchestrator::is_valid_function_name(name));
  }
  CHECK(function_name_error("").find("1 to 63") != std::string::npos);
  CHECK(function_name_error("My").find("lowercase") != std::string::npos);
}

TEST_CASE("fill_in replaces every placeholder and nothing else") {
  CHECK(fill_in("{{name}}", "x") == "x");
  CHECK(fill_in("a {{name}} b {{name}}", "fn") == "a fn b fn");
  CHECK(fill_in("no placeholder {{ name }} {{nam}}", "fn") == "no placeholder {{ name }} {{nam}}");
  CHECK(fill_in("", "fn").empty());
}

TEST_CASE("scaffold writes every file with the name filled in, into a new directory") {
  TempDir tmp;
  const auto* node = find_template("node");
  REQUIRE(node != nullptr);
  const fs::path dir = tmp.path() / "nested" / "hello-node";
  const auto result = scaffold(*node, "hello-node", dir);
  REQUIRE(result.error.empty());
  CHECK(result.written.size() == node->files.size());
  for (const auto& f : node->files) {
    CAPTURE(f.path);
    const std::string text = read_file(dir / std::string(f.path));
    CHECK(text == fill_in(f.contents, "hello-node"));
    CHECK(text.find("{{name}}") == std::string::npos);
  }
  CHECK(read_file(dir / "src/index.js").find("const name = 'hello-node'") != std::string::npos);
  CHECK(read_file(dir / "package.json").find("\"name\": \"hello-node\"") != std::string::npos);
  CHECK(!fs::exists(dir / ".svl-template"));
}

TEST_CASE("scaffold accepts an existing empty directory") {
  TempDir tmp;
  const auto result = scaffold(*find_template("go"), "fn", tmp.path());
  REQUIRE(result.error.empty());
  CHECK(fs::exists(tmp.path() / "main.go"));
}

TEST_CASE("scaffold refuses a non-empty directory and leaves it untouched") {
  TempDir tmp;
  { std::ofstream(tmp.path() / "svl.toml") << "mine"; }
  const auto result = scaffold(*find_template("python"), "fn", tmp.path());
  CHECK(result.error.find("is not empty") != std::string::npos);
  CHECK(result.written.empty());
  CHECK(read_file(tmp.path() / "svl.toml") == "mine");
  CHECK(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("scaffold refuses a path that is a file") {
  TempDir tmp;
  { std::ofstream(tmp.path() / "file") << "x"; }
  const auto result = scaffold(*find_template("cpp"), "fn", tmp.path() / "file");
  CHECK(result.error.find("not a directory") != std::string::npos);
  CHECK(read_file(tmp.path() / "file") == "x");
}

TEST_CASE("scaffold reports a directory it cannot create") {
  TempDir tmp;
  { std::ofstream(tmp.path() / "file") << "x"; }
  const auto result = scaffold(*find_template("cpp"), "fn", tmp.path() / "file" / "sub");
  CHECK(!result.error.empty());
  CHECK(result.written.empty());
}
