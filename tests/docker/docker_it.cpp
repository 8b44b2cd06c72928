// The client against the real dockerd, with the fixture image (static test server, FROM scratch).
// Every container carries svl.test=<run id>; a janitor per test removes them even on failure.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "orchestrator/docker/api_json.hpp"
#include "orchestrator/docker/client.hpp"
#include "orchestrator/docker/event_watcher.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/support/http_probe.hpp"
#include "tests/support/test_image.hpp"

using namespace svl::docker;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using svl::test::ContainerJanitor;

namespace {

std::string unique_name(const std::string& what) { return "svl-it-" + svl::test::test_run_id() + "-" + what; }

ContainerSpec server_spec(Client& client, const std::string& what) {
  ContainerSpec spec;
  spec.name = unique_name(what);
  spec.image = svl::test::ensure_test_server_image(client);
  spec.labels = svl::test::test_labels();
  spec.publish_port = 8080;
  spec.memory_bytes = 64 << 20;
  spec.nano_cpus = 500'000'000;
  spec.pids_limit = 64;
  return spec;
}

std::string must_create_and_start(Client& client, const ContainerSpec& spec) {
  auto id = client.create_container(spec);
  REQUIRE_MESSAGE(id.ok(), id.error().describe());
  auto started = client.start_container(id.value());
  REQUIRE_MESSAGE(started.ok(), started.error().describe());
  return id.value();
}

int published_port(Client& client, const std::string& id) {
  auto info = client.inspect_container(id);
  REQUIRE_MESSAGE(info.ok(), info.error().describe());
  auto port = info->host_port(8080);
  REQUIRE(port.has_value());
  return *port;
}

using svl::test::TempDir;

}  // namespace

TEST_CASE("the daemon answers and the version is negotiated") {
  Client client;
  ContainerJanitor janitor;
  svl::test::remove_dead_run_leftovers(client);  // crashed earlier runs
  auto ping = client.ping();
  REQUIRE_MESSAGE(ping.ok(), ping.error().describe());
  auto version = client.api_version();
  REQUIRE(version.ok());
  CHECK(api::compare_versions(version.value(), "1.41") <= 0);
  auto v = client.version();
  REQUIRE(v.ok());
  CHECK_FALSE(v->version.empty());
}

TEST_CASE("fixture image: built once, inspectable") {
  Client client;
  const std::string tag = svl::test::ensure_test_server_image(client);
  CHECK(tag.starts_with("svl-test-server:"));
  auto image = client.inspect_image(tag);
  REQUIRE_MESSAGE(image.ok(), image.error().describe());
  CHECK(image->entrypoint == std::vector<std::string>{"/server"});
  CHECK(image->labels.at("svl.test") == "fixture");
  auto missing = client.inspect_image("svl-test-server:does-not-exist");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::not_found);
}

TEST_CASE("container lifecycle: create, start, HTTP 200, pause, unpause, stop, remove") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "lifecycle");
  const std::string id = must_create_and_start(client, spec);

  auto info = client.inspect_container(id);
  REQUIRE(info.ok());
  CHECK(info->state.running);
  CHECK(info->state.status == "running");
  CHECK(info->name == spec.name);
  CHECK(info->labels.at("svl.test") == svl::test::test_run_id());
  const int port = published_port(client, id);
  CHECK(port > 0);

  REQUIRE(svl::test::wait_for_http_200(port, "/", 10s).has_value());
  auto hello = svl::test::http_get(port, "/");
  CHECK(hello.status == 200);
  CHECK(hello.body.starts_with("hello from "));

  REQUIRE(client.pause_container(id).ok());
  auto paused = client.inspect_container(id);
  REQUIRE(paused.ok());
  CHECK(paused->state.paused);
  CHECK(paused->state.status == "paused");
  CHECK(svl::test::http_get(port, "/", 300ms).status == 0);  // frozen: no answer
  auto again = client.pause_container(id);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::conflict);

  REQUIRE(client.unpause_container(id).ok());
  CHECK(svl::test::wait_for_http_200(port, "/", 5s).has_value());

  REQUIRE(client.stop_container(id, 5s).ok());
  auto stopped = client.inspect_container(id);
  REQUIRE(stopped.ok());
  CHECK_FALSE(stopped->state.running);
  CHECK(stopped->state.status == "exited");
  CHECK(stopped->state.exit_code == 0);  // the server exits 0 on SIGTERM
  CHECK(client.stop_container(id, 1s).ok());  // already stopped: fine

  REQUIRE(client.start_container(id).ok());  // a stopped container starts again
  const int port_after_restart = published_port(client, id);
  CHECK(svl::test::wait_for_http_200(port_after_restart, "/", 10s).has_value());

  REQUIRE(client.remove_container(id, {.force = true}).ok());
  auto gone = client.inspect_container(id);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == Errc::not_found);
  auto gone_again = client.remove_container(id);
  REQUIRE_FALSE(gone_again.ok());
  CHECK(gone_again.error().code == Errc::not_found);
}

namespace {
std::string cmdline_of(int pid) {  // argv[0] of a host pid (root on the same host sees it)
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string argv0;
  std::getline(in, argv0, '\0');
  return argv0;
}
}  // namespace

TEST_CASE("HostConfig.Init: docker-init is PID 1 and forwards SIGTERM, an app that ignores SIGTERM waits out the grace") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "init");
  spec.init = true;
  const std::string id = must_create_and_start(client, spec);
  auto info = client.inspect_container(id);
  REQUIRE(info.ok());
  CHECK(info->init);
  CHECK_MESSAGE(cmdline_of(info->state.pid).ends_with("docker-init"), cmdline_of(info->state.pid));
  REQUIRE(svl::test::wait_for_http_200(published_port(client, id), "/", 10s).has_value());
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(client.stop_container(id, 10s).ok());
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);  // forwarded: the server exited at once
  auto stopped = client.inspect_container(id);
  REQUIRE(stopped.ok());
  CHECK(stopped->state.exit_code == 0);

  // Without init the app is PID 1; IGNORE_SIGTERM=1 leaves only the SIGKILL after the grace.
  auto stubborn = server_spec(client, "no-init");
  stubborn.init = false;
  stubborn.env = {{"IGNORE_SIGTERM", "1"}};
  const std::string sid = must_create_and_start(client, stubborn);
  auto sinfo = client.inspect_container(sid);
  REQUIRE(sinfo.ok());
  CHECK_FALSE(sinfo->init);
  CHECK_FALSE(cmdline_of(sinfo->state.pid).ends_with("docker-init"));
  REQUIRE(svl::test::wait_for_http_200(published_port(client, sid), "/", 10s).has_value());
  t0 = std::chrono::steady_clock::now();
  REQUIRE(client.stop_container(sid, 1s).ok());
  CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
  auto killed = client.inspect_container(sid);
  REQUIRE(killed.ok());
  CHECK(killed->state.exit_code == 137);
}

TEST_CASE("a name in use is a conflict") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "dup");
  auto first = client.create_container(spec);
  REQUIRE(first.ok());
  auto second = client.create_container(spec);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == Errc::conflict);
  CHECK(second.error().message.find("already in use") != std::string::npos);
}

TEST_CASE("logs keep stdout and stderr apart, follow mode sees new lines") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "logs");
  spec.env["LOG_LINES"] = "3";
  const std::string id = must_create_and_start(client, spec);
  const int port = published_port(client, id);
  REQUIRE(svl::test::wait_for_http_200(port, "/", 10s).has_value());

  auto logs = client.logs(id);
  REQUIRE_MESSAGE(logs.ok(), logs.error().describe());
  CHECK(logs->out.find("log line 0\nlog line 1\nlog line 2\n") != std::string::npos);
  CHECK(logs->out.find("listening on 8080") != std::string::npos);
  CHECK(logs->err == "stderr line\n");
  CHECK(logs->out.find("stderr line") == std::string::npos);

  LogsOptions tail;
  tail.tail = 1;
  tail.err = false;
  // The probe's line reaches Docker's log file after its answer: wait for it (bounded).
  auto last = client.logs(id, tail);
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       last.ok() && last->lines.size() == 1 && last->lines[0].text != "GET / 200" &&
       std::chrono::steady_clock::now() < deadline;
       last = client.logs(id, tail))
    std::this_thread::sleep_for(20ms);
  REQUIRE(last.ok());
  REQUIRE(last->lines.size() == 1);
  CHECK(last->lines[0].text == "GET / 200");

  // Follow from now on: a request made while following shows up as a line.
  std::atomic<bool> seen{false};
  std::stop_source stop;
  std::jthread requester([&] {
    for (int i = 0; i < 200 && !seen; ++i) {
      svl::test::http_get(port, "/json");
      std::this_thread::sleep_for(20ms);
    }
  });
  LogsOptions follow;
  follow.tail = 0;
  auto followed = client.follow_logs(id, follow, [&](const LogLine& line) {
    if (line.stream == LogStream::out && line.text == "GET /json 200") seen = true;
    return !seen;
  }, stop.get_token());
  const std::string why = followed.ok() ? std::string() : followed.error().describe();
  CHECK_MESSAGE(followed.ok(), why);
  CHECK(seen);
}

TEST_CASE("events: the die of a killed container arrives with its exit code") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "events");

  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Event> events;
  bool connected = false;
  EventWatcherOptions options;
  options.filter.labels = {std::string(svl::test::test_label) + "=" + svl::test::test_run_id()};
  EventWatcher watcher(
      options,
      [&](const Event& e) {
        std::lock_guard lock(mutex);
        events.push_back(e);
        cv.notify_all();
      },
      [&](bool) {
        std::lock_guard lock(mutex);
        connected = true;
        cv.notify_all();
      });
  {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 5s, [&] { return connected; }));
  }
  const std::string id = must_create_and_start(client, spec);
  REQUIRE(client.kill_container(id, "SIGKILL").ok());

  auto has = [&](EventAction action) {
    return std::any_of(events.begin(), events.end(), [&](const Event& e) { return e.id == id && e.action == action; });
  };
  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, 10s, [&] { return has(EventAction::die); }));
  CHECK(has(EventAction::start));
  CHECK(has(EventAction::kill));
  auto die = std::find_if(events.begin(), events.end(), [&](const Event& e) { return e.id == id && e.action == EventAction::die; });
  CHECK(die->exit_code == 137);
  CHECK(die->attribute("svl.test") == svl::test::test_run_id());
  CHECK(die->attribute("name") == spec.name);
  // Only our run's containers: every event carries our label.
  for (const auto& e : events) CHECK(e.attribute("svl.test") == svl::test::test_run_id());
  lock.unlock();
  watcher.stop();

  auto killed = client.inspect_container(id);
  REQUIRE(killed.ok());
  CHECK(killed->state.exit_code == 137);
  auto not_running = client.kill_container(id);
  REQUIRE_FALSE(not_running.ok());
  CHECK(not_running.error().code == Errc::conflict);
}

TEST_CASE("list by label finds exactly the labelled containers, stopped ones included") {
  Client client;
  ContainerJanitor janitor;
  const std::string group = "svl.it.group=" + svl::test::test_run_id();
  std::set<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto spec = server_spec(client, "list" + std::to_string(i));
    spec.labels["svl.it.group"] = svl::test::test_run_id();
    auto id = client.create_container(spec);  // created, never started
    REQUIRE(id.ok());
    ids.insert(id.value());
  }
  auto other = client.create_container(server_spec(client, "list-other"));
  REQUIRE(other.ok());

  ListOptions options;
  options.label_filters = {group};
  auto listed = client.list_containers(options);
  REQUIRE(listed.ok());
  std::set<std::string> found;
  for (const auto& c : listed.value()) {
    found.insert(c.id);
    CHECK(c.state == "created");
    CHECK(c.labels.at("svl.test") == svl::test::test_run_id());
  }
  CHECK(found == ids);

  CHECK(janitor.remove_all() == 3);
  auto after = client.list_containers(options);
  REQUIRE(after.ok());
  CHECK(after->empty());
}

TEST_CASE("NetworkMode container:<id>: a joiner answers on the sandbox's published port") {
  Client client;
  ContainerJanitor janitor;
  auto sandbox = server_spec(client, "sandbox");
  sandbox.env["PORT"] = "9999";  // the sandbox itself does not serve 8080
  const std::string sandbox_id = must_create_and_start(client, sandbox);
  const int port = published_port(client, sandbox_id);

  ContainerSpec joiner;
  joiner.name = unique_name("joiner");
  joiner.image = sandbox.image;
  joiner.labels = svl::test::test_labels();
  joiner.network_mode = "container:" + sandbox_id;
  joiner.env = {{"PORT", "8080"}, {"ROLE", "joiner"}};
  const std::string joiner_id = must_create_and_start(client, joiner);
  auto info = client.inspect_container(joiner_id);
  REQUIRE(info.ok());
  CHECK(info->network_mode == "container:" + sandbox_id);

  REQUIRE(svl::test::wait_for_http_200(port, "/env/ROLE", 10s).has_value());
  auto reply = svl::test::http_get(port, "/env/ROLE");
  CHECK(reply.body == "joiner\n");
}

TEST_CASE("a container over its memory limit is OOM-killed: inspect and events say so") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "oom");
  spec.memory_bytes = 32 << 20;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Event> events;
  EventWatcherOptions options;
  options.filter.labels = {std::string(svl::test::test_label) + "=" + svl::test::test_run_id()};
  EventWatcher watcher(options, [&](const Event& e) {
    std::lock_guard lock(mutex);
    events.push_back(e);
    cv.notify_all();
  });
  const std::string id = must_create_and_start(client, spec);
  const int port = published_port(client, id);
  REQUIRE(svl::test::wait_for_http_200(port, "/", 10s).has_value());
  CHECK(svl::test::http_get(port, "/alloc?mb=128", 10s).status != 200);
  auto waited = client.wait_container(id, 10s);
  REQUIRE(waited.ok());
  CHECK(waited->status_code == 137);
  auto info = client.inspect_container(id);
  REQUIRE(info.ok());
  CHECK(info->state.oom_killed);
  auto has = [&](EventAction a) {
    return std::any_of(events.begin(), events.end(), [&](const Event& e) { return e.id == id && e.action == a; });
  };
  std::unique_lock lock(mutex);
  CHECK(cv.wait_for(lock, 10s, [&] { return has(EventAction::oom) && has(EventAction::die); }));
}

TEST_CASE("wait returns the exit code of a container that exits") {
  Client client;
  ContainerJanitor janitor;
  auto spec = server_spec(client, "exit");
  spec.env["EXIT_AT_START"] = "3";
  const std::string id = must_create_and_start(client, spec);
  auto waited = client.wait_container(id, 10s);
  REQUIRE_MESSAGE(waited.ok(), waited.error().describe());
  CHECK(waited->status_code == 3);
  auto info = client.inspect_container(id);
  REQUIRE(info.ok());
  CHECK(info->state.exit_code == 3);
  CHECK(info->state.status == "exited");
}

TEST_CASE("image build: the failing step's error comes back, .dockerignore is honoured, remove works") {
  Client client;
  const std::string fixture = svl::test::ensure_test_server_image(client);
  TempDir ctx;
  std::ofstream(ctx.path() / "present") << "here\n";
  std::ofstream(ctx.path() / "secret") << "never sent\n";
  std::ofstream(ctx.path() / ".dockerignore") << "secret\n";

  std::ofstream(ctx.path() / "Dockerfile") << "FROM " << fixture << "\nCOPY present /present\nCOPY missing-file /x\n";
  BuildOptions options;
  options.context_dir = ctx.path();
  options.labels = {{"svl.test", svl::test::test_run_id()}};
  std::vector<std::string> lines;
  auto failed = client.build_image(options, [&](std::string_view l) { lines.emplace_back(l); });
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == Errc::build_failed);
  // Docker adds the labels as a last step: "Step 3/4".
  CHECK_MESSAGE(failed.error().message.starts_with("Step 3/"), failed.error().message);
  CHECK(failed.error().message.find(": COPY missing-file /x: COPY failed:") != std::string::npos);
  CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.starts_with("Step 1/") && l.ends_with(" : FROM " + fixture);
  }));

  std::ofstream(ctx.path() / "Dockerfile") << "FROM " << fixture << "\nCOPY secret /secret\n";
  auto ignored = client.build_image(options);
  REQUIRE_FALSE(ignored.ok());
  CHECK(ignored.error().code == Errc::build_failed);
  CHECK(ignored.error().message.find("secret") != std::string::npos);

  const std::string tag = "svl-it-tmp:" + svl::test::test_run_id();
  std::ofstream(ctx.path() / "Dockerfile") << "FROM " << fixture << "\nCOPY present /present\n";
  options.tags = {tag};
  options.build_args = {{"UNUSED", "1"}};
  auto built = client.build_image(options);
  REQUIRE_MESSAGE(built.ok(), built.error().describe());
  CHECK(built->image_id.starts_with("sha256:"));
  auto image = client.inspect_image(tag);
  REQUIRE(image.ok());
  CHECK(image->id == built->image_id);
  CHECK(image->labels.at("svl.test") == svl::test::test_run_id());
  REQUIRE(client.remove_image(tag).ok());
  auto gone = client.inspect_image(tag);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == Errc::not_found);
}
