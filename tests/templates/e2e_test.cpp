// Every template, end to end on the real dockerd: `svl new`, a build with the local stand-in for
// its public base image (make-bases.sh), its own container on a 127.0.0.1 port with PORT set,
// GET / and the JSON route, and a clean stop on SIGTERM. Everything this run creates carries
// svl.test=<run id> and is removed at the end, also when a check fails.
//
// One place to extend: prove() runs each way of serving a template. The `svl up` + gateway +
// scale-to-zero check belongs there next to prove_with_docker(), reusing check_answers().
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "tests/daemon/daemon_process.hpp"
#include "tests/templates/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using svl::test::http_get;
using svl::test::http_post_json;
using svl::test::read_text;
using svl::test::run_command;
using svl::test::shell_quote;

namespace {

// A POST with a JSON body, and one value of the JSON answer (a JSON pointer and its JSON text).
struct PostCheck {
  std::string route;
  std::string body;
  std::string pointer;
  std::string expected;
};

struct TemplateCase {
  std::string tmpl;         // template name
  std::string base;         // local image passed as BASE ("" keeps the Dockerfile's default)
  std::string json_route;   // answers JSON with a "message"
  bool greets_by_name;      // `/` and the JSON message say "hello from <function name>"
  std::optional<PostCheck> post = std::nullopt;
  bool wait_until = false;  // workers: POST /api/background runs ctx.waitUntil work after the answer
};

// Built by make-bases.sh; tags are its contract with this test.
const TemplateCase cases[] = {
    {"cpp", "svl-base-debian:bookworm", "/api/hello", true},
    {"express", "svl-base-node:bookworm", "/api/hello", true,
     PostCheck{"/api/greet", R"({"name":"Ada"})", "/message", R"("hello, Ada")"}},
    {"go", "svl-base-go:bookworm", "/api/hello", true},
    {"node", "svl-base-node:bookworm", "/api/hello", true},
    {"python", "svl-base-python:bookworm", "/api/hello", true},
    {"workers", "svl-base-node:bookworm", "/api/hello", true,
     PostCheck{"/api/echo", R"({"a":[1,"x"]})", "/received", R"({"a":[1,"x"]})"}, true},
    // The user's own binary: here svl's static test server (its JSON route is /json).
    {"static", "", "/json", false},
};

std::string env_or_fail(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, name << " is not set (ctest sets it)");
  return value;
}

std::string run_id() {
  static const std::string id = "templates-" + std::to_string(::getpid()) + "-" +
                                std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
  return id;
}

std::string tail_lines(const std::string& text, std::size_t lines = 25) {
  std::size_t pos = text.size();
  while (lines-- > 0 && pos > 0) pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos);
}

// Removes this run's containers and images, whatever happened.
struct Janitor {
  ~Janitor() {
    const std::string label = shell_quote("label=svl.test=" + run_id());
    run_command("ids=$(docker ps -aq --filter " + label + "); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null", 60s);
    run_command("ids=$(docker images -q --filter " + label + " | sort -u); [ -z \"$ids\" ] || docker rmi -f $ids >/dev/null",
                120s);
  }
};

void ensure_bases() {
  static bool built = false;
  if (built) return;
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_command("bash " + shell_quote(env_or_fail("SVL_SOURCE_DIR") + "/tests/templates/make-bases.sh"), 1000s);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  std::cout << "make-bases.sh: " << seconds.count() << " s\n" << r.err << std::flush;
  REQUIRE_MESSAGE(r.exit_code == 0, "make-bases.sh failed:\n" << tail_lines(r.err));
  built = true;
}

// `svl new` into dir; for `static`, the user's binary goes next to it.
void scaffold(const TemplateCase& c, const std::string& name, const fs::path& dir) {
  const auto r = run_command(shell_quote(env_or_fail("SVL_BINARY")) + " new " + name + " --template " + c.tmpl + " " +
                             shell_quote(dir.string()));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  if (c.tmpl == "static") fs::copy_file(env_or_fail("SVL_TEST_SERVER"), dir / "server");
  // Point svl.toml's commented BASE at the local base, as a user behind a mirror would: the
  // `svl up` path builds from svl.toml alone.
  if (!c.base.empty()) {
    std::string toml = read_text(dir / "svl.toml");
    const auto at = toml.find("# BASE = ");
    REQUIRE(at != std::string::npos);
    const auto end = toml.find('\n', at);
    toml.replace(at, end - at, "BASE = \"" + c.base + "\"");
    std::ofstream(dir / "svl.toml", std::ios::trunc) << toml;
  }
}

// The template's answers, wherever it is served from (its own container, or svl's gateway).
void check_answers(const std::string& base_url, const TemplateCase& c, const std::string& name) {
  const auto root = http_get(base_url + "/");
  CHECK_MESSAGE(root.status == 200, root.error << root.body);
  CHECK(root.body.rfind("hello from ", 0) == 0);
  if (c.greets_by_name) CHECK(root.body == "hello from " + name + "\n");

  const auto json = http_get(base_url + c.json_route);
  CHECK(json.status == 200);
  CHECK(json.content_type.rfind("application/json", 0) == 0);
  const auto doc = nlohmann::json::parse(json.body, nullptr, false);
  REQUIRE_MESSAGE(doc.is_object(), json.body);
  REQUIRE(doc.contains("message"));
  CHECK(doc["message"] == (c.greets_by_name ? "hello from " + name : std::string("hello")));

  CHECK(http_get(base_url + "/no-such-route").status == 404);

  if (c.post) {
    const auto answer = http_post_json(base_url + c.post->route, c.post->body);
    CHECK_MESSAGE(answer.status == 200, answer.error << answer.body);
    const auto got = nlohmann::json::parse(answer.body, nullptr, false);
    REQUIRE_MESSAGE(got.is_object(), answer.body);
    const nlohmann::json::json_pointer at(c.post->pointer);
    REQUIRE_MESSAGE(got.contains(at), answer.body);
    CHECK(got[at] == nlohmann::json::parse(c.post->expected));
    // A body that is not JSON is the client's error, answered in JSON.
    const auto bad = http_post_json(base_url + c.post->route, "{not json");
    CHECK(bad.status == 400);
    CHECK(bad.content_type.rfind("application/json", 0) == 0);
  }
}

// workers: the answer comes before the ctx.waitUntil work ends, and the work then finishes.
// Returns when the task was started; `ms` is how long it runs after the answer.
void start_background_task(const std::string& base_url, int ms) {
  const auto started = std::chrono::steady_clock::now();
  const auto accepted = http_post_json(base_url + "/api/background?ms=" + std::to_string(ms), "{}");
  CHECK(accepted.status == 202);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(ms));
  CHECK(nlohmann::json::parse(http_get(base_url + "/api/background").body, nullptr, false)["done"] == 0);
}

// Polls until the app answers HTTP (Docker's proxy accepts TCP before the app listens).
bool wait_until_answering(const std::string& url, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_get(url, 1s).status != 0) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// docker build + docker run with a published 127.0.0.1 port and a non-default PORT.
void prove_with_docker(const TemplateCase& c, const std::string& name, const fs::path& dir) {
  const std::string label = "svl.test=" + run_id();
  const std::string image = "svl-template-" + name + ":" + run_id();
  const std::string base_arg = c.base.empty() ? "" : " --build-arg BASE=" + shell_quote(c.base);
  const auto build_started = std::chrono::steady_clock::now();
  const auto build = run_command("docker build --force-rm --label " + label + base_arg + " -t " + image + " " +
                                     shell_quote(dir.string()),
                                 600s);
  const auto build_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - build_started);
  REQUIRE_MESSAGE(build.exit_code == 0, "docker build failed:\n" << tail_lines(build.out + build.err));
  const auto size = run_command("docker image inspect --format '{{.Size}}' " + image);
  std::cout << c.tmpl << ": build " << build_s.count() << " s, image " << std::stoll(size.out) / 1000 << " kB" << std::endl;

  const auto run = run_command("docker run -d --label " + label + " -e PORT=9090 -p 127.0.0.1:0:9090 " + image);
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  const std::string container = run.out.substr(0, run.out.find('\n'));
  const auto port = run_command("docker port " + container + " 9090/tcp");
  REQUIRE(port.exit_code == 0);
  const std::string host_port = port.out.substr(port.out.rfind(':') + 1, port.out.find('\n') - port.out.rfind(':') - 1);
  const std::string url = "http://127.0.0.1:" + host_port;

  const bool answering = wait_until_answering(url + "/", 30s);
  if (!answering) std::cout << run_command("docker logs --tail 20 " + container).err;
  REQUIRE_MESSAGE(answering, c.tmpl << " never answered on $PORT");
  check_answers(url, c, name);

  // workers: a SIGTERM while ctx.waitUntil work runs waits for it, then exits cleanly.
  constexpr int background_ms = 2000;
  if (c.wait_until) start_background_task(url, background_ms);

  // SIGTERM ends it promptly and cleanly (as PID 1, a process must handle it itself).
  const auto stop_started = std::chrono::steady_clock::now();
  REQUIRE(run_command("docker stop -t 8 " + container).exit_code == 0);
  const auto stop_took = std::chrono::steady_clock::now() - stop_started;
  CHECK(stop_took < 5s);
  CHECK(run_command("docker inspect --format '{{.State.ExitCode}}' " + container).out == "0\n");
  if (c.wait_until) {
    CHECK(stop_took > std::chrono::milliseconds(background_ms / 2));
    const auto logs = run_command("docker logs " + container + " 2>&1");
    CHECK_MESSAGE(logs.out.find("background task done after " + std::to_string(background_ms) + " ms") !=
                      std::string::npos,
                  logs.out);
  }
}

// One daemon for every template, with its own state dir and the run's label.
svl::test::DaemonProcess& daemon() {
  static svl::test::TempDir state;
  static svl::test::DaemonProcess d(state.path() / "state", {"--label", "svl.test=" + run_id()});
  return d;
}

std::vector<std::string> replica_phases(const std::string& name) {
  const auto r = daemon().cli({"status", name, "--json"});
  const auto s = nlohmann::json::parse(r.out, nullptr, false);
  std::vector<std::string> phases;
  if (s.is_object())
    for (const auto& rep : s["replica_list"]) phases.push_back(rep["phase"]);
  return phases;
}

// `svl up` (build through the Docker API from svl.toml alone), the answers through the gateway,
// scale to zero (no process left), a wake, and `svl down`.
void prove_with_svl_up(const TemplateCase& c, const std::string& name, const fs::path& dir) {
  std::string toml = read_text(dir / "svl.toml");
  for (auto [key, value] : {std::pair{"pause_after", "\"1s\""}, std::pair{"idle_timeout", "\"3s\""}}) {
    const auto at = toml.find(std::string("\n") + key + " = ");
    REQUIRE(at != std::string::npos);
    toml.replace(at + 1, toml.find('\n', at + 1) - at - 1, std::string(key) + " = " + value);
  }
  std::ofstream(dir / "svl.toml", std::ios::trunc) << toml;
  auto& d = daemon();
  const auto up = d.cli({"up", dir.string(), "--quiet"}, 900s);
  REQUIRE_MESSAGE(up.exit_code == 0, "svl up failed:\n" << tail_lines(up.out + up.err));
  const std::string gateway = "http://127.0.0.1:" + std::to_string(d.gateway_port());
  check_answers(gateway + "/fn/" + name, c, name);

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (replica_phases(name) != std::vector<std::string>{"stopped"} && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  REQUIRE_MESSAGE(replica_phases(name) == std::vector<std::string>{"stopped"}, c.tmpl << " did not scale to zero");
  const auto woken = http_get(gateway + "/fn/" + name + "/");
  CHECK(woken.status == 200);
  CHECK(d.cli({"down", name}).exit_code == 0);
}

void prove(const TemplateCase& c) {
  ensure_bases();
  svl::test::TempDir tmp("svl-template-" + c.tmpl);
  const std::string name = "hello-" + c.tmpl;
  const fs::path dir = tmp.path() / name;
  scaffold(c, name, dir);
  prove_with_docker(c, name, dir);
  prove_with_svl_up(c, name, dir);
}

}  // namespace

TEST_CASE("templates build and answer from their own images") {
  Janitor janitor;
  for (const auto& c : cases) {
    SUBCASE(c.tmpl.c_str()) { prove(c); }
  }
}
