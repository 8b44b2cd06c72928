#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

using namespace std::chrono_literals;
using svl::orchestrator::FunctionSpec;
using svl::orchestrator::ScalePolicy;
using svl::orchestrator::SpecErrc;
using svl::orchestrator::SpecError;
using svl::orchestrator::SpecResult;

namespace {

constexpr std::string_view kMinimal = "name = \"hello\"\nimage = \"hello:latest\"\n";

// The single error of a result that must have exactly one.
const SpecError& only_error(const SpecResult& r) {
  REQUIRE_FALSE(r);
  REQUIRE(r.errors.size() == 1);
  return r.errors.front();
}

const SpecError* find_key(const SpecResult& r, std::string_view key) {
  for (const auto& e : r.errors)
    if (e.key == key) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("a minimal svl.toml gets every default") {
  auto r = svl::orchestrator::parse_spec(kMinimal);
  REQUIRE(r);
  CHECK(r.errors.empty());
  const FunctionSpec& s = *r.spec;
  CHECK(s.name == "hello");
  CHECK(s.port == 8080);
  CHECK(s.image == "hello:latest");
  CHECK_FALSE(s.build.has_value());
  CHECK(s.env.empty());
  CHECK(s.resources.memory_bytes == 256ull << 20);
  CHECK(s.resources.cpus == 0);
  CHECK(s.resources.pids == 256);
  CHECK(s.scale.min == 0);
  CHECK(s.scale.max == 10);
  CHECK(s.scale.initial == 1);
  CHECK(s.scale.target_concurrency == 10);
  CHECK(s.scale.container_concurrency == 0);
  CHECK(s.scale.policy == ScalePolicy::adaptive);
  REQUIRE(s.scale.pause_after.has_value());
  CHECK(*s.scale.pause_after == 30s);
  CHECK(s.scale.idle_timeout == 5min);
  CHECK(s.scale.queue == 1000);
  CHECK(s.health.path == "/");
  CHECK(s.health.start_timeout == 30s);
  CHECK(s.http.timeout == 60s);
  CHECK(s.http.max_body_bytes == 100ull << 20);
}

TEST_CASE("every key is read") {
  auto r = svl::orchestrator::parse_spec(R"(
name = "api-2"
port = 3000

[build]
context = "src"
dockerfile = "Dockerfile.prod"
args = { BASE = "debian:bookworm", VERSION = "1.2" }

[env]
GREETING = "hi"
LOG_LEVEL = "debug"

[resources]
memory = "512MiB"
cpus = 1.5
pids = 64

[scale]
min = 1
max = 4
initial = 2
target_concurrency = 2.5
container_concurrency = 8
policy = "fixed"
pause_after = "off"
idle_timeout = "90s"
queue = 50

[health]
path = "/healthz"
start_timeout = "10s"

[http]
timeout = "2m"
max_body = "1MiB"
)");
  REQUIRE_MESSAGE(r, svl::orchestrator::to_string(r.errors));
  const FunctionSpec& s = *r.spec;
  CHECK(s.name == "api-2");
  CHECK(s.port == 3000);
  CHECK(s.image.empty());
  REQUIRE(s.build.has_value());
  CHECK(s.build->context == "src");
  CHECK(s.build->dockerfile == "Dockerfile.prod");
  CHECK(s.build->args == std::map<std::string, std::string>{{"BASE", "debian:bookworm"}, {"VERSION", "1.2"}});
  CHECK(s.env == std::map<std::string, std::string>{{"GREETING", "hi"}, {"LOG_LEVEL", "debug"}});
  CHECK(s.resources.memory_bytes == 512ull << 20);
  CHECK(s.resources.cpus == 1.5);
  CHECK(s.resources.pids == 64);
  CHECK(s.scale.min == 1);
  CHECK(s.scale.max == 4);
  CHECK(s.scale.initial == 2);
  CHECK(s.scale.target_concurrency == 2.5);
  CHECK(s.scale.container_concurrency == 8);
  CHECK(s.scale.policy == ScalePolicy::fixed);
  CHECK_FALSE(s.scale.pause_after.has_value());
  CHECK(s.scale.idle_timeout == 90s);
  CHECK(s.scale.queue == 50);
  CHECK(s.health.path == "/healthz");
  CHECK(s.health.start_timeout == 10s);
  CHECK(s.http.timeout == 2min);
  CHECK(s.http.max_body_bytes == 1ull << 20);
}

TEST_CASE("an empty [build] table builds with its defaults, and cpus accepts an integer") {
  auto r = svl::orchestrator::parse_spec("name = \"b\"\n[build]\n[resources]\ncpus = 2\n[scale]\npolicy = \"fixed\"\npause_after = \"0s\"\n");
  REQUIRE_MESSAGE(r, svl::orchestrator::to_string(r.errors));
  REQUIRE(r.spec->build.has_value());
  CHECK(r.spec->build->context == ".");
  CHECK(r.spec->build->dockerfile == "Dockerfile");
  CHECK(r.spec->build->args.empty());
  CHECK(r.spec->resources.cpus == 2.0);
  REQUIRE(r.spec->scale.pause_after.has_value());
  CHECK(*r.spec->scale.pause_after == 0ms);
}

TEST_CASE("the replica environment carries PORT") {
  auto r = svl::orchestrator::parse_spec("name = \"e\"\nimage = \"x\"\nport = 9000\n[env]\nB = \"2\"\nA = \"1\"\n");
  REQUIRE(r);
  CHECK(svl::orchestrator::container_environment(*r.spec) == std::vector<std::string>{"A=1", "B=2", "PORT=9000"});
}

TEST_CASE("a wrong type names file, line, column and key") {
  auto r = svl::orchestrator::parse_spec("name = \"x\"\nimage = \"y\"\n\n[scale]\nmax = \"3\"\n", "svl.toml");
  const auto& e = only_error(r);
  CHECK(e.code == SpecErrc::wrong_type);
  CHECK(e.file == "svl.toml");
  CHECK(e.line == 5);
  CHECK(e.column == 7);
  CHECK(e.key == "scale.max");
  CHECK(e.to_string() == "svl.toml:5:7: scale.max: expected an integer, got a string");
}

TEST_CASE("unknown keys are reported at every level with a suggestion") {
  auto r = svl::orchestrator::parse_spec(
      "name = \"x\"\nimage = \"y\"\nimgae = \"z\"\n[scale]\nmaxx = 3\n[sclae]\n[health]\nbogus = 1\n");
  REQUIRE_FALSE(r);
  REQUIRE(r.errors.size() == 4);
  for (const auto& e : r.errors) CHECK(e.code == SpecErrc::unknown_key);
  CHECK(r.errors[0].key == "imgae");
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].message.find("did you mean \"image\"") != std::string::npos);
  CHECK(r.errors[1].key == "scale.maxx");
  CHECK(r.errors[1].line == 5);
  CHECK(r.errors[1].message.find("\"max\"") != std::string::npos);
  CHECK(r.errors[2].key == "sclae");
  CHECK(r.errors[2].line == 6);
  CHECK(r.errors[3].key == "health.bogus");
  CHECK(r.errors[3].line == 8);
  CHECK(r.errors[3].message.find("path, start_timeout") != std::string::npos);
}

TEST_CASE("bad durations and sizes say what was expected") {
  auto r = svl::orchestrator::parse_spec(
      "name = \"x\"\nimage = \"y\"\n[http]\ntimeout = \"30\"\nmax_body = \"lots\"\n[scale]\npolicy = \"fixed\"\nidle_timeout = 30\n"
      "pause_after = \"soon\"\n");
  REQUIRE_FALSE(r);
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].key == "http.timeout");
  CHECK(r.errors[0].code == SpecErrc::bad_value);
  CHECK(r.errors[0].message.find("missing unit") != std::string::npos);
  CHECK(r.errors[1].key == "http.max_body");
  CHECK(r.errors[1].code == SpecErrc::bad_value);
  CHECK(r.errors[2].key == "scale.idle_timeout");
  CHECK(r.errors[2].code == SpecErrc::wrong_type);
  CHECK(r.errors[2].message == "expected a duration string such as \"30s\", got an integer");
  CHECK(r.errors[3].key == "scale.pause_after");
  CHECK(r.errors[3].message.find("\"off\"") != std::string::npos);
}

TEST_CASE("out-of-range values are rejected") {
  struct Case {
    std::string toml;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"port = 0", "port"},
      {"port = 65536", "port"},
      {"port = -1", "port"},
      {"[resources]\nmemory = \"1MiB\"", "resources.memory"},
      {"[resources]\ncpus = -0.5", "resources.cpus"},
      {"[resources]\npids = 0", "resources.pids"},
      {"[scale]\nmin = -1", "scale.min"},
      {"[scale]\nmax = 0", "scale.max"},
      {"[scale]\nmin = 3\nmax = 2", "scale.max"},
      {"[scale]\nmin = 11", "scale.min"},
      {"[scale]\ninitial = 5\nmax = 4", "scale.initial"},
      {"[scale]\ntarget_concurrency = 0", "scale.target_concurrency"},
      {"[scale]\ncontainer_concurrency = -2", "scale.container_concurrency"},
      {"[scale]\nqueue = 0", "scale.queue"},
      {"[health]\nstart_timeout = \"0s\"", "health.start_timeout"},
      {"[http]\ntimeout = \"0ms\"", "http.timeout"},
      {"[http]\nmax_body = \"0\"", "http.max_body"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.toml);
    auto r = svl::orchestrator::parse_spec("name = \"x\"\nimage = \"y\"\n" + c.toml + "\n");
    const auto& e = only_error(r);
    CHECK(e.key == c.key);
    CHECK(e.code == SpecErrc::out_of_range);
    CHECK(e.line >= 3);
  }
}

TEST_CASE("the name must be a DNS label") {
  for (const std::string& bad : std::vector<std::string>{"", "Hello", "-x", "x-", "a_b", "a.b", std::string(64, 'a')}) {
    CAPTURE(bad);
    auto r = svl::orchestrator::parse_spec("image = \"y\"\nname = \"" + bad + "\"\n");
    const auto& e = only_error(r);
    CHECK(e.key == "name");
    CHECK(e.line == 2);
    CHECK(e.code == SpecErrc::bad_value);
  }
  for (const std::string& good : std::vector<std::string>{"a", "a-b", "0x", std::string(63, 'z')}) {
    CAPTURE(good);
    CHECK(svl::orchestrator::parse_spec("image = \"y\"\nname = \"" + good + "\"\n"));
  }
}

TEST_CASE("image and [build] are exclusive and one of them is required") {
  auto both = svl::orchestrator::parse_spec("name = \"x\"\nimage = \"y\"\n\n[build]\ncontext = \".\"\n");
  const auto& e = only_error(both);
  CHECK(e.code == SpecErrc::conflict);
  CHECK(e.key == "build");
  CHECK(e.line == 4);

  auto neither = svl::orchestrator::parse_spec("name = \"x\"\n");
  const auto& n = only_error(neither);
  CHECK(n.code == SpecErrc::missing_key);
  CHECK(n.key == "image");
  CHECK(n.to_string() == "svl.toml: image: set image = \"...\" to run a prebuilt image, or add a [build] table");
}

TEST_CASE("a missing name, bad policy, env and health path are reported") {
  auto r = svl::orchestrator::parse_spec(
      "image = \"y\"\n[scale]\npolicy = \"eager\"\n[env]\nPORT = \"1\"\n1BAD = \"x\"\nNUM = 3\n[health]\npath = \"healthz\"\n");
  REQUIRE_FALSE(r);
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].key == "scale.policy");
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[1].key == "env.PORT");
  CHECK(r.errors[1].code == SpecErrc::conflict);
  CHECK(r.errors[2].key == "env.1BAD");
  CHECK(r.errors[3].key == "env.NUM");
  CHECK(r.errors[3].code == SpecErrc::wrong_type);
  CHECK(r.errors[4].key == "health.path");
  CHECK(r.errors[5].key == "name");
  CHECK(r.errors[5].code == SpecErrc::missing_key);
  CHECK(r.errors[5].line == 0);
}

TEST_CASE("several errors are collected, in file order") {
  auto r = svl::orchestrator::parse_spec(
      "name = \"Bad Name\"\nport = \"80\"\nimage = \"y\"\n[resources]\nmemory = 256\n[scale]\nmax = 1.5\npolicy = 3\n",
      "fn/svl.toml");
  REQUIRE_FALSE(r);
  REQUIRE(r.errors.size() == 5);
  std::vector<int> lines;
  for (const auto& e : r.errors) lines.push_back(e.line);
  CHECK(lines == std::vector<int>{1, 2, 5, 7, 8});
  CHECK(r.errors[3].to_string() == "fn/svl.toml:7:7: scale.max: expected an integer, got a float");
  const std::string all = svl::orchestrator::to_string(r.errors);
  CHECK(std::count(all.begin(), all.end(), '\n') == 4);
}

TEST_CASE("pause_after and idle_timeout belong to the fixed policy only") {
  auto adaptive = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npause_after = \"10s\"\nidle_timeout = \"1m\"\n");
  REQUIRE_FALSE(adaptive);
  REQUIRE(adaptive.errors.size() == 2);
  CHECK(adaptive.errors[0].key == "scale.pause_after");
  CHECK(adaptive.errors[0].code == SpecErrc::conflict);
  CHECK(adaptive.errors[0].line == 4);
  CHECK(adaptive.errors[0].message.find("policy is \"adaptive\"") != std::string::npos);
  CHECK(adaptive.errors[1].key == "scale.idle_timeout");

  auto hybrid = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npolicy = \"hybrid\"\nidle_timeout = \"1m\"\n");
  CHECK(only_error(hybrid).key == "scale.idle_timeout");

  auto json = svl::orchestrator::spec_from_json(
      nlohmann::json::parse(R"({"name":"a","image":"b","scale":{"policy":"hybrid","pause_after":"off"}})"));
  CHECK(only_error(json).to_string().rfind("scale.pause_after: only used by policy = \"fixed\"", 0) == 0);

  auto fixed = svl::orchestrator::parse_spec(std::string(kMinimal) +
                                              "[scale]\npolicy = \"fixed\"\npause_after = \"10s\"\nidle_timeout = \"1m\"\n");
  REQUIRE(fixed);
  CHECK(*fixed.spec->scale.pause_after == 10s);
  CHECK(fixed.spec->scale.idle_timeout == 1min);
}

TEST_CASE("a TOML syntax error carries toml++'s position") {
  auto r = svl::orchestrator::parse_spec("name = \"x\"\nimage = \n", "svl.toml");
  const auto& e = only_error(r);
  CHECK(e.code == SpecErrc::syntax);
  CHECK(e.line == 2);
  CHECK(e.column > 0);
  CHECK(e.to_string().rfind("svl.toml:2:", 0) == 0);
}

TEST_CASE("table headers that trip toml++ 3.3.0's debug assert are syntax errors in the build svl links") {
  // Found by fuzz/spec_fuzz.cpp with toml++ compiled in debug mode (docs/fuzzing.md).
  for (const char* text : {"[[[1]]]\n", "[{cale]\nmin = 5\n", "[=\n"})
    CHECK_MESSAGE(only_error(svl::orchestrator::parse_spec(text, "svl.toml")).code == SpecErrc::syntax, text);
}

TEST_CASE("load_spec_file reads a file and reports one that is missing") {
  const auto dir = std::filesystem::temp_directory_path() / ("svl-spec-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "svl.toml";
  {
    std::ofstream out(file);
    out << kMinimal << "[scale]\nmax = \"x\"\n";
  }
  auto bad = svl::orchestrator::load_spec_file(file);
  const auto& e = only_error(bad);
  CHECK(e.file == file.string());
  CHECK(e.line == 4);
  {
    std::ofstream out(file);
    out << kMinimal;
  }
  CHECK(svl::orchestrator::load_spec_file(file));
  auto missing = svl::orchestrator::load_spec_file(dir / "nope.toml");
  const auto& m = only_error(missing);
  CHECK(m.code == SpecErrc::unreadable);
  CHECK(m.message.find("No such file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("spec errors convert to std::error_code") {
  std::error_code ec = SpecErrc::unknown_key;
  CHECK(ec.category().name() == std::string("svl.spec"));
  CHECK(ec.message() == "unknown key");
  CHECK(ec != std::error_code(SpecErrc::wrong_type));
}

TEST_CASE("JSON round trip keeps every field") {
  auto r = svl::orchestrator::parse_spec(R"(
name = "rt"
port = 1234
[build]
context = "app"
args = { A = "1" }
[env]
X = "y z"
[resources]
memory = "300000000"
cpus = 0.25
[scale]
min = 2
max = 7
initial = 3
target_concurrency = 3.3
container_concurrency = 4
policy = "fixed"
pause_after = "1500ms"
idle_timeout = "1h"
queue = 7
[health]
path = "/ready?x=1"
start_timeout = "45s"
[http]
timeout = "5s"
max_body = "2GiB"
)");
  REQUIRE_MESSAGE(r, svl::orchestrator::to_string(r.errors));
  const auto json = svl::orchestrator::to_json(*r.spec);
  CHECK(json["resources"]["memory"] == "300000000B");
  CHECK(json["scale"]["pause_after"] == "1500ms");
  auto back = svl::orchestrator::spec_from_json(nlohmann::json::parse(json.dump()));
  REQUIRE_MESSAGE(back, svl::orchestrator::to_string(back.errors));
  CHECK(*back.spec == *r.spec);

  auto image =
      svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npolicy = \"fixed\"\npause_after = \"off\"\n");
  REQUIRE(image);
  auto image_back = svl::orchestrator::spec_from_json(svl::orchestrator::to_json(*image.spec));
  REQUIRE(image_back);
  CHECK(*image_back.spec == *image.spec);
  CHECK_FALSE(image_back.spec->scale.pause_after.has_value());

  for (std::string policy : {"adaptive", "hybrid"}) {
    auto other = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npolicy = \"" + policy + "\"\n");
    REQUIRE(other);
    const auto other_json = svl::orchestrator::to_json(*other.spec);
    CHECK_FALSE(other_json["scale"].contains("pause_after"));
    CHECK_FALSE(other_json["scale"].contains("idle_timeout"));
    auto other_back = svl::orchestrator::spec_from_json(other_json);
    REQUIRE_MESSAGE(other_back, svl::orchestrator::to_string(other_back.errors));
    CHECK(*other_back.spec == *other.spec);
  }
}

TEST_CASE("JSON errors name the offending field") {
  auto r = svl::orchestrator::spec_from_json(nlohmann::json::parse(R"({
    "name": "ok", "image": "y",
    "scale": {"max": "many", "mni": 1, "queue": null},
    "resources": {"memory": 5},
    "port": 18446744073709551615
  })"));
  REQUIRE_FALSE(r);
  std::vector<std::string> keys;
  for (const auto& e : r.errors) {
    keys.push_back(e.key);
    CHECK(e.file.empty());
    CHECK(e.line == 0);
  }
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"port", "resources.memory", "scale.max", "scale.mni", "scale.queue"});
  const auto* max = find_key(r, "scale.max");
  REQUIRE(max);
  CHECK(max->to_string() == "scale.max: expected an integer, got a string");

  auto not_object = svl::orchestrator::spec_from_json(nlohmann::json::array());
  CHECK(only_error(not_object).code == SpecErrc::wrong_type);
  auto arr = svl::orchestrator::spec_from_json(nlohmann::json::parse(R"({"name":"a","image":"b","env":[]})"));
  CHECK(only_error(arr).to_string() == "env: expected a table, got an array");
}

TEST_CASE("equal specs hash equally whatever their spelling, and changes change the hash") {
  auto a = svl::orchestrator::parse_spec(
      "name = \"h\"\nimage = \"i\"\n[env]\nA = \"1\"\nB = \"2\"\n[scale]\npolicy = \"fixed\"\n");
  // Different order, a comment, defaults spelled out in other units.
  auto b = svl::orchestrator::parse_spec(
      "# comment\nimage = \"i\"\nname = \"h\"\n[env]\nB = \"2\"\nA = \"1\"\n[scale]\nmax = 10\nidle_timeout = \"300s\"\n"
      "policy = \"fixed\"\n"
      "[resources]\nmemory = \"256m\"\n");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a.spec == *b.spec);
  CHECK(svl::orchestrator::canonical_json(*a.spec) == svl::orchestrator::canonical_json(*b.spec));
  CHECK(svl::orchestrator::spec_hash(*a.spec) == svl::orchestrator::spec_hash(*b.spec));
  CHECK(svl::orchestrator::spec_hash(*a.spec).size() == 16);

  auto changed = *a.spec;
  changed.env["A"] = "3";
  CHECK(svl::orchestrator::spec_hash(changed) != svl::orchestrator::spec_hash(*a.spec));
  changed = *a.spec;
  changed.scale.pause_after.reset();
  CHECK(svl::orchestrator::spec_hash(changed) != svl::orchestrator::spec_hash(*a.spec));

  // Pinned: the hash must not drift between builds, or every upgrade would look like a new revision.
  FunctionSpec fixed;
  fixed.name = "pinned";
  fixed.image = "img";
  CHECK(svl::orchestrator::canonical_json(fixed) ==
        R"({"env":{},"health":{"path":"/","start_timeout":"30s"},"http":{"max_body":"100MiB","timeout":"1m"},)"
        R"("image":"img","name":"pinned","port":8080,"resources":{"cpus":0.0,"memory":"256MiB","pids":256},)"
        R"("scale":{"container_concurrency":0,"initial":1,"max":10,"min":0,)"
        R"("policy":"adaptive","queue":1000,"target_concurrency":10.0}})");
  CHECK(svl::orchestrator::spec_hash(fixed) == "81723cfa9e0f7af5");
}

// docs/svl-toml.md shows a complete file and a broken one with its exact errors: keep them true.
TEST_CASE("the examples in docs/svl-toml.md are what the parser does") {
  std::ifstream in(std::string(SVL_SOURCE_DIR) + "/docs/svl-toml.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  // The fenced blocks, in order.
  std::vector<std::pair<std::string, std::string>> blocks;  // (language, body)
  for (std::size_t at = doc.find("```"); at != std::string::npos;) {
    const auto lang_end = doc.find('\n', at);
    const auto close = doc.find("\n```", lang_end);
    REQUIRE(close != std::string::npos);
    blocks.emplace_back(doc.substr(at + 3, lang_end - at - 3), doc.substr(lang_end + 1, close - lang_end));
    at = doc.find("```", close + 4);
  }
  REQUIRE(blocks.size() >= 4);
  REQUIRE(blocks[0].first == "toml");
  auto complete = svl::orchestrator::parse_spec(blocks[0].second);
  REQUIRE_MESSAGE(complete, svl::orchestrator::to_string(complete.errors));
  CHECK(complete.spec->build.has_value());
  CHECK(complete.spec->scale.policy == ScalePolicy::fixed);

  std::size_t broken = 0;
  for (std::size_t i = 1; i + 1 < blocks.size(); ++i)
    if (blocks[i].first == "toml" && blocks[i + 1].first.empty()) broken = i;
  REQUIRE(broken > 0);
  auto r = svl::orchestrator::parse_spec(blocks[broken].second, "svl.toml");
  REQUIRE_FALSE(r);
  CHECK(svl::orchestrator::to_string(r.errors) + "\n" == blocks[broken + 1].second);
}

TEST_CASE("scale.remove_after: how long a stopped container is kept, fixed policy only") {
  auto fixed = svl::orchestrator::parse_spec(std::string(kMinimal) +
                                             "[scale]\npolicy = \"fixed\"\nidle_timeout = \"1m\"\nremove_after = \"10m\"\n");
  REQUIRE_MESSAGE(fixed, svl::orchestrator::to_string(fixed.errors));
  CHECK(fixed.spec->scale.remove_after == std::chrono::minutes(10));
  auto back = svl::orchestrator::spec_from_json(svl::orchestrator::to_json(*fixed.spec));
  REQUIRE(back);
  CHECK(back.spec->scale.remove_after == std::chrono::minutes(10));

  auto zero = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npolicy = \"fixed\"\nremove_after = \"0s\"\n");
  REQUIRE(zero);
  CHECK(zero.spec->scale.remove_after.count() == 0);

  auto adaptive = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\nremove_after = \"10m\"\n");
  REQUIRE_FALSE(adaptive);
  CHECK(adaptive.errors[0].code == SpecErrc::conflict);
  CHECK(adaptive.errors[0].key == "scale.remove_after");
}

TEST_CASE("scale.cold_start_cost: the adaptive policy's trade-off, adaptive only, kept out of specs that omit it") {
  auto set = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\ncold_start_cost = 2000\n");
  REQUIRE_MESSAGE(set, svl::orchestrator::to_string(set.errors));
  REQUIRE(set.spec->scale.cold_start_cost.has_value());
  CHECK(*set.spec->scale.cold_start_cost == 2000);
  auto back = svl::orchestrator::spec_from_json(svl::orchestrator::to_json(*set.spec));
  REQUIRE(back);
  CHECK(back.spec->scale.cold_start_cost == set.spec->scale.cold_start_cost);
  auto plain = svl::orchestrator::parse_spec(kMinimal);
  REQUIRE(plain);
  CHECK_FALSE(plain.spec->scale.cold_start_cost.has_value());
  CHECK(svl::orchestrator::to_json(*plain.spec)["scale"].count("cold_start_cost") == 0);
  CHECK(svl::orchestrator::spec_hash(*set.spec) != svl::orchestrator::spec_hash(*plain.spec));

  auto zero = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\ncold_start_cost = 0\n");
  CHECK(only_error(zero).key == "scale.cold_start_cost");
  CHECK(only_error(zero).code == SpecErrc::out_of_range);
  auto text = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\ncold_start_cost = \"cheap\"\n");
  CHECK(only_error(text).code == SpecErrc::wrong_type);

  auto fixed = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\npolicy = \"fixed\"\ncold_start_cost = 2000\n");
  const auto& e = only_error(fixed);
  CHECK(e.key == "scale.cold_start_cost");
  CHECK(e.code == SpecErrc::conflict);
  CHECK(e.line == 5);
  CHECK(e.message.find("only used by policy = \"adaptive\" (policy is \"fixed\")") != std::string::npos);
}

TEST_CASE("run.init: on by default, written to the JSON only when off, so existing specs keep their hash") {
  auto plain = svl::orchestrator::parse_spec(kMinimal);
  REQUIRE(plain);
  CHECK(plain.spec->run.init);
  CHECK(svl::orchestrator::to_json(*plain.spec).count("run") == 0);
  auto on = svl::orchestrator::parse_spec(std::string(kMinimal) + "[run]\ninit = true\n");
  REQUIRE(on);
  CHECK(svl::orchestrator::spec_hash(*on.spec) == svl::orchestrator::spec_hash(*plain.spec));  // the default spelled out

  auto off = svl::orchestrator::parse_spec(std::string(kMinimal) + "[run]\ninit = false\n");
  REQUIRE_MESSAGE(off, svl::orchestrator::to_string(off.errors));
  CHECK_FALSE(off.spec->run.init);
  CHECK(svl::orchestrator::to_json(*off.spec)["run"] == nlohmann::json{{"init", false}});
  CHECK(svl::orchestrator::spec_hash(*off.spec) != svl::orchestrator::spec_hash(*plain.spec));
  auto back = svl::orchestrator::spec_from_json(svl::orchestrator::to_json(*off.spec));
  REQUIRE(back);
  CHECK(*back.spec == *off.spec);

  auto text = svl::orchestrator::parse_spec(std::string(kMinimal) + "[run]\ninit = \"no\"\n");
  const auto& e = only_error(text);
  CHECK(e.key == "run.init");
  CHECK(e.code == SpecErrc::wrong_type);
  CHECK(e.line == 4);
  CHECK(e.message == "expected a boolean (true or false), got a string");
  auto typo = svl::orchestrator::parse_spec(std::string(kMinimal) + "[run]\nint = false\n");
  CHECK(only_error(typo).key == "run.int");
  CHECK(only_error(typo).code == SpecErrc::unknown_key);
  CHECK(only_error(typo).message.find("did you mean \"init\"") != std::string::npos);
  auto json_text = svl::orchestrator::spec_from_json(nlohmann::json{{"name", "h"}, {"image", "i"}, {"run", {{"init", 0}}}});
  CHECK(only_error(json_text).key == "run.init");
}

TEST_CASE("an error names its key even when the key is empty or holds dots or quotes (TOML's quoting)") {
  auto empty = svl::orchestrator::parse_spec(std::string(kMinimal) + "\"\" = 1\n");
  CHECK(only_error(empty).key == "\"\"");
  CHECK(only_error(empty).code == SpecErrc::unknown_key);
  auto dotted = svl::orchestrator::parse_spec(std::string(kMinimal) + "[scale]\n\"a.b\" = 1\n");
  CHECK(only_error(dotted).key == "scale.\"a.b\"");
  auto env = svl::orchestrator::parse_spec(std::string(kMinimal) + "[env]\n\"x\\\"y\\n\" = \"v\"\n");
  CHECK(only_error(env).key == "env.\"x\\\"y\\u000a\"");
  auto json = svl::orchestrator::spec_from_json(nlohmann::json{{"name", "h"}, {"image", "i"}, {"", {{"x", 1}}}});
  CHECK(only_error(json).key == "\"\"");
}

TEST_CASE("dev.mount: folders inside the project to absolute container paths, in the JSON only when set") {
  auto ok = svl::orchestrator::parse_spec(std::string(kMinimal) + "[dev.mount]\nsrc = \"/app/src\"\n\"lib/x\" = \"/app/lib/x\"\n");
  REQUIRE(ok);
  CHECK(ok.spec->dev.mount == std::map<std::string, std::string>{{"lib/x", "/app/lib/x"}, {"src", "/app/src"}});
  auto back = svl::orchestrator::spec_from_json(svl::orchestrator::to_json(*ok.spec));
  REQUIRE(back);
  CHECK(*back.spec == *ok.spec);
  auto plain = svl::orchestrator::parse_spec(kMinimal);
  CHECK(svl::orchestrator::to_json(*plain.spec).contains("dev") == false);

  CHECK(only_error(svl::orchestrator::parse_spec(std::string(kMinimal) + "[dev.mount]\n\"../up\" = \"/app\"\n")).key ==
        "dev.mount.\"../up\"");
  CHECK(only_error(svl::orchestrator::parse_spec(std::string(kMinimal) + "[dev.mount]\n\"/etc\" = \"/app\"\n")).code ==
        SpecErrc::bad_value);
  const auto relative_result = svl::orchestrator::parse_spec(std::string(kMinimal) + "[dev.mount]\nsrc = \"app\"\n");
  const auto& relative = only_error(relative_result);
  CHECK(relative.key == "dev.mount.src");
  CHECK(relative.line == 4);
  CHECK(only_error(svl::orchestrator::parse_spec(std::string(kMinimal) + "[dev]\nmount = 1\n")).code == SpecErrc::wrong_type);
}
