// The daemon end to end: the real svl binary, real dockerd, real sockets, real SQLite.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "orchestrator/docker/client.hpp"
#include "tests/daemon/daemon_process.hpp"
#include "tests/daemon/http_client.hpp"
#include "tests/daemon/socket_proxy.hpp"
#include "tests/support/test_image.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using svl::test::DaemonProcess;
using svl::test::TempDir;

namespace {

const std::string& image() {
  static const std::string tag = [] {
    svl::docker::Client client;
    svl::test::remove_dead_run_leftovers(client);
    return svl::test::ensure_test_server_image(client);
  }();
  return tag;
}

std::vector<std::string> daemon_args() { return {"--label", std::string("svl.test=") + svl::test::test_run_id()}; }

json status_of(const DaemonProcess& d, const std::string& name) {
  auto r = d.cli({"status", name, "--json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out);
}

// Polls `svl status` until pred holds (bounded).
bool wait_status(const DaemonProcess& d, const std::string& name, const std::function<bool(const json&)>& pred,
                 std::chrono::seconds bound = 30s) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(status_of(d, name))) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

int replicas(const json& s, const char* tier) { return s["replicas"].value(tier, 0); }

std::vector<std::string> phases(const json& s) {
  std::vector<std::string> out;
  for (const auto& r : s["replica_list"]) out.push_back(r["phase"]);
  return out;
}

// The fixture answers /env/NAME with the value and a newline.
std::string env_of(int port, const std::string& fn, const std::string& var) {
  auto body = svl::test::get(port, "/fn/" + fn + "/env/" + var).body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

std::string fn_toml(const std::string& scale = "", const std::string& extra = "") {
  return "image = \"" + image() + "\"\nport = 8080\n" + extra + "\n[scale]\n" + scale + "\n";
}

// Reads /fn/NAME/env/VERSION on `threads` threads until stop(): how many answers, how many were
// not 200, and how many 200s said each version.
class VersionLoad {
public:
  VersionLoad(int port, std::string fn, int threads) {
    for (int t = 0; t < threads; ++t)
      threads_.emplace_back([this, port, fn] {
        while (!stop_) {
          auto r = svl::test::get(port, "/fn/" + fn + "/env/VERSION");
          std::lock_guard lock(mu_);
          ++total_;
          if (r.status != 200) ++failed_;
          else ++by_version_[r.body];
        }
      });
  }
  ~VersionLoad() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  int total() const { return total_; }
  int failed() const { return failed_; }
  int saw(const std::string& version) const {  // call after stop()
    auto it = by_version_.find(version + "\n");
    return it == by_version_.end() ? 0 : it->second;
  }

private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int total_ = 0, failed_ = 0;
  std::map<std::string, int> by_version_;
  std::vector<std::thread> threads_;
};

// The containers of the instance's functions (spare sandboxes, svl.role=pool, belong to none).
std::vector<std::string> our_containers(const DaemonProcess& d) {
  svl::docker::Client client;
  svl::docker::ListOptions opts;
  opts.label_filters = {"svl.instance=" + d.state_dir().string()};
  auto listed = client.list_containers(opts);
  REQUIRE(listed);
  std::vector<std::string> ids;
  for (const auto& c : *listed)
    if (c.labels.count("svl.function")) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST_CASE("deploy, first cold request, scale to zero, and wake from paused and stopped") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "hello",
                                       fn_toml("policy = \"fixed\"\npause_after = \"1s\"\nidle_timeout = \"4s\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  CHECK(up.out.find("http://hello.localhost:" + std::to_string(d.gateway_port()) + "/") != std::string::npos);
  CHECK(up.out.find("/fn/hello/") != std::string::npos);

  // Both routing styles reach it.
  auto r = svl::test::get(d.gateway_port(), "/fn/hello/");
  CHECK(r.status == 200);
  CHECK(r.body.find("hello from") == 0);
  r = svl::test::get(d.gateway_port(), "/", "hello.localhost");
  CHECK(r.status == 200);

  // Idle: paused after pause_after, then stopped (no process) after idle_timeout.
  CHECK(wait_status(d, "hello", [](const json& s) { return replicas(s, "paused") == 1 && replicas(s, "ready") == 0; }, 20s));
  r = svl::test::get(d.gateway_port(), "/fn/hello/");
  CHECK(r.status == 200);
  auto s = status_of(d, "hello");
  REQUIRE(s["last_cold_start"].is_object());
  CHECK(s["last_cold_start"]["tier"] == "paused");
  CHECK(s["last_cold_start"]["seconds"].get<double>() < 0.5);

  CHECK(wait_status(d, "hello", [](const json& s) { return phases(s) == std::vector<std::string>{"stopped"}; }, 30s));
  // Idle, so `svl status` says by what plan.
  CHECK(status_of(d, "hello")["keep_alive_plan"] == "fixed idle_timeout=4s");
  auto shown = d.cli({"status", "hello"});
  CHECK_MESSAGE(shown.out.find("idle plan:       fixed idle_timeout=4s\n") != std::string::npos, shown.out);
  auto detail = status_of(d, "hello");
  std::string container;
  for (const auto& rep : detail["replica_list"])
    if (!rep["container"].get<std::string>().empty()) container = rep["container"];
  REQUIRE(!container.empty());
  svl::docker::Client client;
  auto info = client.inspect_container(container);
  REQUIRE(info);
  CHECK_FALSE(info->state.running);  // scaled to zero: no process left
  // What the replica runs with: [resources] defaults, hardened, nothing of the host mounted.
  CHECK(info->memory_bytes == 256ll << 20);
  CHECK(info->pids_limit == 256);
  CHECK_FALSE(info->privileged);
  CHECK(std::find(info->security_opt.begin(), info->security_opt.end(), "no-new-privileges") != info->security_opt.end());
  CHECK(info->mount_sources.empty());  // no Docker socket, no host path
  CHECK(info->network_mode.starts_with("container:"));  // inside its slot's sandbox

  r = svl::test::get(d.gateway_port(), "/fn/hello/");
  CHECK(r.status == 200);
  s = status_of(d, "hello");
  CHECK(s["last_cold_start"]["tier"] == "stopped");
  MESSAGE("wake from stopped through svl: " << s["last_cold_start"]["seconds"].get<double>() * 1000 << " ms");

  auto ls = d.cli({"ls"});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.find("hello") != std::string::npos);
}

TEST_CASE("the adaptive policy keeps an idle replica by its portfolio's plan, and svl status shows that plan") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "thinker", fn_toml("cold_start_cost = 2000\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  CHECK(status_of(d, "thinker")["keep_alive_plan"].is_null());  // never called: nothing planned yet
  CHECK(svl::test::get(d.gateway_port(), "/fn/thinker/").status == 200);
  // With one call and nothing learnt yet, the reference candidate keeps the replica (frozen after
  // 2 s) for as long as its prior says a cold start would cost more than the memory, at most 15 min.
  CHECK(wait_status(d, "thinker", [](const json& s) { return s["keep_alive_plan"].is_string() && replicas(s, "paused") == 1; },
                    20s));
  const auto plan = status_of(d, "thinker")["keep_alive_plan"].get<std::string>();
  CHECK_MESSAGE(plan.rfind("following cost x1: adaptive keep=", 0) == 0, plan);
  auto shown = d.cli({"status", "thinker"});
  CHECK_MESSAGE(shown.out.find("idle plan:       following cost x1: adaptive keep=") != std::string::npos, shown.out);
  // A call ends the idle period: the wake is from paused, not a cold start.
  CHECK(svl::test::get(d.gateway_port(), "/fn/thinker/").status == 200);
  CHECK(status_of(d, "thinker")["last_cold_start"]["tier"] == "paused");
}

TEST_CASE("200 concurrent requests to a function at zero all succeed") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "burst",
                                       fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\nmax = 4\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(wait_status(d, "burst", [](const json& s) { return replicas(s, "ready") == 0 && replicas(s, "starting") == 0; }, 30s));
  auto replies = svl::test::get_concurrently(d.gateway_port(), "/fn/burst/", 200);
  int ok = 0;
  double slowest = 0;
  for (const auto& r : replies) {
    ok += r.status == 200;
    slowest = std::max(slowest, r.seconds);
  }
  CHECK(ok == 200);
  MESSAGE("slowest of 200 concurrent cold requests: " << slowest * 1000 << " ms");
}

TEST_CASE("a burst scales out to several replicas and back, and the extra slots go after idle_slot_ttl") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  auto args = daemon_args();
  args.insert(args.end(), {"--idle-slot-ttl", "3s"});
  DaemonProcess d(tmp.path() / "state", args);
  auto dir = svl::test::write_function(
      tmp.path(), "wide",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"2s\"\nmax = 4\ntarget_concurrency = 1\n"
              "container_concurrency = 1\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  std::atomic<int> peak{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      auto s = status_of(d, "wide");
      peak = std::max(peak.load(), replicas(s, "ready"));
      std::this_thread::sleep_for(100ms);
    }
  });
  auto replies = svl::test::get_concurrently(d.gateway_port(), "/fn/wide/sleep?ms=1500", 12);
  done = true;
  watcher.join();
  for (const auto& r : replies) CHECK(r.status == 200);
  CHECK(peak >= 2);
  MESSAGE("peak ready replicas: " << peak.load());
  CHECK(wait_status(d, "wide", [](const json& s) { return replicas(s, "ready") == 0 && replicas(s, "draining") == 0; }, 30s));
  // At zero, only the first slot stays (its sandbox and its stopped replica): the others cost
  // host memory (a shim and a docker-proxy each) and are removed after --idle-slot-ttl.
  CHECK(wait_status(d, "wide", [](const json& s) { return s["replica_list"].size() == 1; }, 60s));
  const bool two_left = wait_status(d, "wide", [&](const json&) { return our_containers(d).size() == 2; }, 10s);
  CHECK_MESSAGE(two_left, "status: " << status_of(d, "wide")["replica_list"].dump()
                                     << "\ncontainers: " << our_containers(d).size() << "\n" << d.log());
  CHECK(svl::test::get(d.gateway_port(), "/fn/wide/").status == 200);
}

TEST_CASE("a new revision replaces the old without a failed request under load") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto scale = std::string("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1m\"\n");
  auto dir = svl::test::write_function(tmp.path(), "rev", fn_toml(scale, "[env]\nVERSION = \"one\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(env_of(d.gateway_port(), "rev", "VERSION") == "one");

  VersionLoad load(d.gateway_port(), "rev", 4);
  svl::test::write_function(tmp.path(), "rev", fn_toml(scale, "[env]\nVERSION = \"two\"\n"));
  auto up2 = d.cli({"up", dir.string(), "--quiet"});
  std::this_thread::sleep_for(1s);
  load.stop();
  REQUIRE_MESSAGE(up2.exit_code == 0, up2.err);
  CHECK(load.failed() == 0);
  CHECK(load.saw("two") > 0);
  MESSAGE(load.total() << " requests during the rollout, " << load.failed() << " failed");
  auto s = status_of(d, "rev");
  CHECK(s["revision"] == 2);
  CHECK(env_of(d.gateway_port(), "rev", "VERSION") == "two");
  // Unchanged folder: no needless revision.
  auto again = d.cli({"up", dir.string(), "--quiet"});
  CHECK(again.exit_code == 0);
  CHECK(status_of(d, "rev")["revision"] == 2);
  // Rollback goes back to revision 1's behaviour.
  auto rb = d.cli({"rollback", "rev"});
  CHECK_MESSAGE(rb.exit_code == 0, rb.err);
  CHECK(wait_status(d, "rev", [&](const json&) { return env_of(d.gateway_port(), "rev", "VERSION") == "one"; }, 30s));
}

TEST_CASE("a new revision that never becomes ready is reported with its logs' tail, the previous one keeps serving") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto scale = std::string("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1m\"\n");
  auto dir = svl::test::write_function(tmp.path(), "bad-rev", fn_toml(scale, "[env]\nVERSION = \"one\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);

  VersionLoad load(d.gateway_port(), "bad-rev", 1);
  // Crashes at start: the error names the exit code and carries what it printed.
  svl::test::write_function(tmp.path(), "bad-rev", fn_toml(scale, "[env]\nVERSION = \"two\"\nEXIT_AT_START = \"3\"\n"));
  auto crash = d.cli({"up", dir.string(), "--quiet"}, 90s);
  // Never answers its readiness probe within [health] start_timeout.
  svl::test::write_function(tmp.path(), "bad-rev",
                            fn_toml(scale, "[env]\nVERSION = \"three\"\nREADY_DELAY_MS = \"600000\"\n"
                                           "[health]\nstart_timeout = \"2s\"\n"));
  auto silent = d.cli({"up", dir.string(), "--quiet"}, 90s);
  load.stop();

  CHECK(crash.exit_code != 0);
  CHECK_MESSAGE(crash.err.find("exited with code 3") != std::string::npos, crash.err);
  CHECK_MESSAGE(crash.err.find("exiting at start with 3") != std::string::npos, crash.err);  // the logs' tail
  CHECK_MESSAGE(crash.err.find("revision 1 keeps serving") != std::string::npos, crash.err);
  CHECK(silent.exit_code != 0);
  CHECK_MESSAGE(silent.err.find("did not answer") != std::string::npos, silent.err);
  CHECK_MESSAGE(silent.err.find("keeps serving") != std::string::npos, silent.err);
  CHECK(load.failed() == 0);
  CHECK(load.saw("one") == load.total());  // every answer from revision 1
  CHECK(load.total() > 0);
  MESSAGE(load.total() << " requests during the two failed rollouts");
  CHECK(env_of(d.gateway_port(), "bad-rev", "VERSION") == "one");
  auto s = status_of(d, "bad-rev");
  CHECK(s["revision"].get<long>() != 2);
  CHECK(s["revision"].get<long>() != 3);
}

TEST_CASE("a replica killed for memory is reported as such and replaced, the function keeps serving") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(
      tmp.path(), "hungry",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1m\"\n", "[resources]\nmemory = \"48MiB\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(svl::test::get(d.gateway_port(), "/fn/hungry/").status == 200);
  auto killed = svl::test::get(d.gateway_port(), "/fn/hungry/alloc?mb=200", {}, 30s);
  CHECK(killed.status != 200);
  json last;
  CHECK_MESSAGE(wait_status(d, "hungry",
                            [&](const json& s) {
                              last = s;
                              return s["last_failure"].is_object() &&
                                     s["last_failure"]["message"].get<std::string>().find("out of memory") != std::string::npos;
                            },
                            20s),
                last.dump());
  CHECK_MESSAGE(last["last_failure"]["message"].get<std::string>().find("over its limit of 48 MiB") != std::string::npos,
                last.dump());
  auto again = svl::test::get(d.gateway_port(), "/fn/hungry/", {}, 30s);
  CHECK(again.status == 200);
  // Serving again: nothing keeps it from being ready, and the failure is still on record.
  auto now = status_of(d, "hungry");
  CHECK(now["not_ready_reason"].is_null());
  CHECK(now["last_failure"]["message"].get<std::string>().find("out of memory") != std::string::npos);
  auto text = d.cli({"status", "hungry"});
  CHECK_MESSAGE(text.out.find("last failure:") != std::string::npos, text.out);
}

TEST_CASE("kill -9 of the daemon under load, then a restart adopts its replicas") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  std::string replica_before;
  std::vector<std::string> containers_before;
  {
    DaemonProcess d(tmp.path() / "state", daemon_args());
    auto dir = svl::test::write_function(tmp.path(), "phoenix",
                                         fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"10m\"\n"));
    auto up = d.cli({"up", dir.string(), "--quiet"});
    REQUIRE_MESSAGE(up.exit_code == 0, up.err);
    std::atomic<bool> stop{false};
    std::thread load([&] {
      while (!stop) svl::test::get(d.gateway_port(), "/fn/phoenix/", {}, 2s);
    });
    std::this_thread::sleep_for(300ms);
    auto before = status_of(d, "phoenix");
    for (const auto& rep : before["replica_list"])
      if (rep["phase"] == "ready") replica_before = rep["container"];
    INFO("status before the kill: " << before.dump());
    containers_before = our_containers(d);
    d.kill9();
    stop = true;
    load.join();
  }
  REQUIRE(!replica_before.empty());
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto s = status_of(d, "phoenix");
  CHECK(s["revision"] == 1);  // registry intact
  auto r = svl::test::get(d.gateway_port(), "/fn/phoenix/");
  CHECK(r.status == 200);
  s = status_of(d, "phoenix");
  bool adopted = false;
  for (const auto& rep : s["replica_list"])
    if (rep["container"] == replica_before && rep["phase"] == "ready") adopted = true;
  CHECK(adopted);  // the same container, not restarted
  svl::docker::Client client;
  auto info = client.inspect_container(replica_before);
  REQUIRE(info);
  CHECK(info->restart_count == 0);
  auto after = our_containers(d);
  std::sort(after.begin(), after.end());
  std::sort(containers_before.begin(), containers_before.end());
  CHECK(after == containers_before);  // no strays, nothing lost
}

TEST_CASE("at start-up the daemon removes its own strays and leaves every other container alone") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  const auto state = tmp.path() / "state";
  std::string keeper_replica;
  {
    DaemonProcess d(state, daemon_args());
    auto dir = svl::test::write_function(tmp.path(), "keeper",
                                         fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"10m\"\n"));
    auto up = d.cli({"up", dir.string(), "--quiet"});
    REQUIRE_MESSAGE(up.exit_code == 0, up.err);
    d.kill9();
  }
  svl::docker::Client client;
  auto plant = [&](svl::docker::Labels labels) {
    svl::docker::ContainerSpec spec;
    spec.image = image();
    spec.labels = svl::test::test_labels();
    spec.labels.insert(labels.begin(), labels.end());
    auto id = client.create_container(spec);
    REQUIRE(id);
    return *id;
  };
  const std::string instance = state.string();
  // Ours: a replica of a function this daemon does not know, and one of keeper's from an old revision.
  auto ghost = plant({{"svl.managed", "true"}, {"svl.function", "ghost"}, {"svl.role", "replica"},
                      {"svl.slot", "0"}, {"svl.revision", "1"}, {"svl.instance", instance}});
  auto old_revision = plant({{"svl.managed", "true"}, {"svl.function", "keeper"}, {"svl.role", "replica"},
                             {"svl.slot", "7"}, {"svl.revision", "0"}, {"svl.instance", instance}});
  // Not ours: no svl labels at all, and another daemon's (another state dir).
  auto foreign = plant({});
  auto other_daemon = plant({{"svl.managed", "true"}, {"svl.function", "ghost"}, {"svl.role", "replica"},
                             {"svl.slot", "0"}, {"svl.revision", "1"}, {"svl.instance", "/elsewhere/state"}});

  DaemonProcess d(state, daemon_args());
  CHECK(svl::test::get(d.gateway_port(), "/fn/keeper/").status == 200);
  auto exists = [&](const std::string& id) { return client.inspect_container(id).ok(); };
  CHECK_FALSE(exists(ghost));
  CHECK_FALSE(exists(old_revision));
  CHECK(exists(foreign));
  CHECK(exists(other_daemon));
  CHECK_MESSAGE(d.log().find("removed 2 stray container(s)") != std::string::npos, d.log());
}

TEST_CASE("a crashing function backs off and held requests get a 503 naming the exit code") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "crashy", fn_toml("", "[env]\nEXIT_AT_START = \"3\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"}, 90s);
  CHECK(up.exit_code != 0);
  CHECK_MESSAGE(up.err.find("exited with code 3") != std::string::npos, up.err);
  auto r = svl::test::get(d.gateway_port(), "/fn/crashy/", {}, 20s);
  CHECK(r.status == 503);
  CHECK_MESSAGE(r.body.find("exited with code 3") != std::string::npos, r.body);
  CHECK(r.seconds < 10);
}

TEST_CASE("bad svl.toml and bad admin requests get errors that name the problem") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "bad", fn_toml("max = \"lots\"\nbogus = 1\n"));
  auto up = d.cli({"up", dir.string()});
  CHECK(up.exit_code != 0);
  CHECK_MESSAGE(up.err.find("svl.toml:") != std::string::npos, up.err);
  CHECK(up.err.find("scale.max") != std::string::npos);
  CHECK(up.err.find("scale.bogus") != std::string::npos);

  auto missing = svl::test::run_svl({"up", (tmp.path() / "nowhere").string(), "--admin", d.admin()});
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("does not exist") != std::string::npos);

  auto r = svl::test::admin_request(d.admin(), "PUT", "/v1/functions/x", "{not json");
  CHECK(r.status == 400);
  CHECK(r.body.find("body") != std::string::npos);
  r = svl::test::admin_request(d.admin(), "PUT", "/v1/functions/x",
                               R"({"image": ")" + image() + R"(", "spec": {"name": "x", "image": "i", "port": 70000}})");
  CHECK(r.status == 400);
  CHECK_MESSAGE(r.body.find("port") != std::string::npos, r.body);
  r = svl::test::admin_request(d.admin(), "POST", "/v1/functions/nope/scale", R"({"min": 1})");
  CHECK(r.status == 404);
  r = svl::test::admin_request(d.admin(), "GET", "/v1/nothing");
  CHECK(r.status == 404);

  // The daemon is still fine: a good function deploys after all that.
  auto good = svl::test::write_function(tmp.path(), "good", fn_toml());
  auto ok = d.cli({"up", good.string(), "--quiet"});
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
  CHECK(svl::test::get(d.gateway_port(), "/fn/good/").status == 200);
  CHECK(svl::test::get(d.gateway_port(), "/fn/unknown/").status == 404);
}

TEST_CASE("the CLI says how to start the daemon when it is down, and has --version and --help everywhere") {
  auto r = svl::test::run_svl({"ls", "--admin", "/nonexistent/svl.sock"});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("svl daemon") != std::string::npos);
  auto version = svl::test::run_svl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("svl ", 0) == 0);
  for (const char* cmd : {"up", "new", "templates", "ls", "status", "logs", "down", "rollback", "scale", "usage", "daemon", "sim"}) {
    auto help = svl::test::run_svl({cmd, "--help"});
    CHECK_MESSAGE(help.exit_code == 0, cmd);
    CHECK_MESSAGE(help.out.find("Usage") != std::string::npos, cmd);
  }
  TempDir tmp;
  auto no_toml = svl::test::run_svl({"up", tmp.path().string(), "--admin", "/nonexistent/svl.sock"});
  CHECK(no_toml.exit_code != 0);
  CHECK_MESSAGE(no_toml.err.find("svl.toml not found") != std::string::npos, no_toml.err);
}

TEST_CASE("the CLI drives logs, scale, usage, down, and refuses a name taken by another folder") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "cli",
                                       fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"10m\"\n",
                                               "[env]\nLOG_LINES = \"3\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet", "--json"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  auto up_json = json::parse(up.out, nullptr, false);
  CHECK(up_json.is_object());
  CHECK(up_json["name"] == "cli");
  CHECK(svl::test::get(d.gateway_port(), "/fn/cli/").status == 200);

  // logs: the replica's start-up lines (stdout and stderr) and the request it served.
  auto logs = d.cli({"logs", "cli", "--tail", "50"});
  CHECK(logs.exit_code == 0);
  CHECK_MESSAGE(logs.out.find("GET /") != std::string::npos, logs.out);
  CHECK(d.cli({"logs", "nope"}).exit_code != 0);
  // logs -f keeps streaming: a request made while it follows shows up in its output.
  std::thread later([&] {
    std::this_thread::sleep_for(700ms);
    svl::test::get(d.gateway_port(), "/fn/cli/followed");
  });
  auto follow = d.cli({"logs", "cli", "-f", "--tail", "0"}, 3s);
  later.join();
  CHECK(follow.exit_code == -1);  // still following when the bound ended it
  CHECK_MESSAGE(follow.out.find("/followed") != std::string::npos, follow.out);

  // scale: min 1 keeps a replica ready; bad bounds are refused with the field named.
  auto scale = d.cli({"scale", "cli", "--min", "2", "--max", "3"});
  CHECK_MESSAGE(scale.exit_code == 0, scale.err);
  CHECK(wait_status(d, "cli", [](const json& s) { return replicas(s, "ready") == 2; }, 30s));
  auto bad = d.cli({"scale", "cli", "--min", "5", "--max", "3"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("min") != std::string::npos);
  auto s = status_of(d, "cli");
  CHECK(s["min"] == 2);
  CHECK(s["max"] == 3);

  // ls --json is stable for scripts.
  auto ls = d.cli({"ls", "--json"});
  auto ls_json = json::parse(ls.out, nullptr, false);
  REQUIRE(ls_json.is_object());
  CHECK(ls_json["functions"].size() == 1);
  CHECK(ls_json["functions"][0]["name"] == "cli");

  // A second folder may not take the name, unless forced.
  auto other = svl::test::write_function(tmp.path() / "elsewhere", "cli", fn_toml());
  auto taken = d.cli({"up", other.string(), "--quiet"});
  CHECK(taken.exit_code != 0);
  CHECK_MESSAGE(taken.err.find("--force") != std::string::npos, taken.err);
  CHECK(status_of(d, "cli")["revision"] == 1);  // nothing harmed

  // usage: the requests are metered (flushed to the registry every 10 s).
  for (int i = 0; i < 5; ++i) svl::test::get(d.gateway_port(), "/fn/cli/");
  bool metered = false;
  for (int i = 0; i < 150 && !metered; ++i) {
    auto usage = json::parse(d.cli({"usage", "cli", "--json"}).out, nullptr, false);
    metered = usage.is_object() && !usage["usage"].empty() && usage["usage"][0]["requests"].get<long>() >= 6 &&
              usage["usage"][0]["container_seconds"].get<double>() > 0;
    if (!metered) std::this_thread::sleep_for(100ms);
  }
  CHECK(metered);

  // down: replicas and sandboxes gone, the function too.
  auto down = d.cli({"down", "cli"});
  CHECK_MESSAGE(down.exit_code == 0, down.err);
  CHECK(our_containers(d).empty());
  CHECK(svl::test::get(d.gateway_port(), "/fn/cli/").status == 404);
  CHECK(d.cli({"status", "cli"}).exit_code != 0);
}

TEST_CASE("svl up shows a failing build's step and error, and what runs keeps running") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto good = svl::test::write_function(tmp.path(), "steady", fn_toml());
  REQUIRE(d.cli({"up", good.string(), "--quiet"}).exit_code == 0);

  auto dir = svl::test::write_function(tmp.path(), "broken", "[build]\n");
  std::ofstream(dir / "Dockerfile") << "FROM " << image() << "\nRUN /no-such-tool --build\n";
  auto up = d.cli({"up", dir.string(), "--quiet"});
  CHECK(up.exit_code != 0);
  CHECK_MESSAGE(up.err.find("build failed") != std::string::npos, up.err);
  CHECK_MESSAGE(up.err.find("RUN /no-such-tool --build") != std::string::npos, up.err);
  CHECK(d.cli({"status", "broken"}).exit_code != 0);  // never registered
  CHECK(svl::test::get(d.gateway_port(), "/fn/steady/").status == 200);
}

TEST_CASE("Docker unavailable: warm requests keep flowing, wakes fail fast with 503, then it catches up") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  svl::test::UnixSocketProxy proxy((tmp.path() / "docker.sock").string(), "/var/run/docker.sock");
  auto args = daemon_args();
  args.insert(args.end(), {"--docker-host", "unix://" + proxy.path()});
  DaemonProcess d(tmp.path() / "state", args);
  auto warm = svl::test::write_function(tmp.path(), "warm", fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"10m\"\n"));
  auto cold = svl::test::write_function(tmp.path(), "cold", fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\n"));
  REQUIRE(d.cli({"up", warm.string(), "--quiet"}).exit_code == 0);
  REQUIRE(d.cli({"up", cold.string(), "--quiet"}).exit_code == 0);
  CHECK(svl::test::get(d.gateway_port(), "/fn/warm/").status == 200);
  CHECK(svl::test::get(d.gateway_port(), "/fn/cold/").status == 200);
  CHECK(wait_status(d, "cold", [](const json& s) { return phases(s) == std::vector<std::string>{"stopped"}; }, 30s));

  proxy.cut();
  for (int i = 0; i < 20; ++i) CHECK(svl::test::get(d.gateway_port(), "/fn/warm/").status == 200);
  auto r = svl::test::get(d.gateway_port(), "/fn/cold/", {}, 20s);
  CHECK(r.status == 503);
  CHECK_MESSAGE(r.body.find("Docker is unavailable") != std::string::npos, r.body);
  CHECK(r.seconds < 5);

  proxy.restore();
  bool woke = false;
  for (int i = 0; i < 100 && !woke; ++i) {
    woke = svl::test::get(d.gateway_port(), "/fn/cold/", {}, 10s).status == 200;
    if (!woke) std::this_thread::sleep_for(200ms);
  }
  CHECK(woke);  // the events stream reconnected and the controller caught up
  CHECK(svl::test::get(d.gateway_port(), "/fn/warm/").status == 200);
}

// On published ports a removed replica's sandbox stays (for --idle-slot-ttl) and its next wake
// reuses it; on the namespace path the removed tier holds nothing and the wake takes a spare.
TEST_CASE("a stopped replica is removed after remove_after, and its next wake takes the sandbox the data path keeps for it") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  auto args = daemon_args();
  args.insert(args.end(), {"--idle-slot-ttl", "5s"});
  DaemonProcess d(tmp.path() / "state", args);
  auto dir = svl::test::write_function(
      tmp.path(), "gone", fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\nremove_after = \"1s\"\n"));
  REQUIRE(d.cli({"up", dir.string(), "--quiet"}).exit_code == 0);
  CHECK(svl::test::get(d.gateway_port(), "/fn/gone/").status == 200);
  auto sandbox_of = [&] { return status_of(d, "gone")["replica_list"][0]["sandbox"].get<std::string>(); };
  const auto sandbox = sandbox_of();
  const bool spares = !status_of(d, "gone")["replica_list"][0]["netns"].get<std::string>().empty();
  if (spares) {  // the removed tier gives the sandbox up at once
    CHECK(wait_status(d, "gone", [&](const json& s) { return s["replica_list"].empty() && our_containers(d).empty(); }, 30s));
  } else {
    CHECK(wait_status(d, "gone", [](const json& s) { return phases(s) == std::vector<std::string>{"removed"}; }, 30s));
    CHECK(our_containers(d).size() == 1);  // only the sandbox is left
  }
  auto r = svl::test::get(d.gateway_port(), "/fn/gone/");
  CHECK(r.status == 200);
  auto s = status_of(d, "gone");
  CHECK(s["last_cold_start"]["tier"] == "removed");
  CHECK((sandbox_of() == sandbox) != spares);  // kept, or a fresh spare
  MESSAGE("wake from removed through svl (" << (spares ? "a spare" : "its own sandbox")
                                            << "): " << s["last_cold_start"]["seconds"].get<double>() * 1000 << " ms");

  // Removed and then idle for --idle-slot-ttl: the sandbox goes too, nothing of it runs, and the
  // next request still gets an answer (through a new slot).
  CHECK(wait_status(d, "gone", [&](const json& s) { return s["replica_list"].empty() && our_containers(d).empty(); }, 60s));
  r = svl::test::get(d.gateway_port(), "/fn/gone/");
  CHECK(r.status == 200);
  CHECK(status_of(d, "gone")["last_cold_start"]["tier"] == "removed");
}

TEST_CASE("past the memory budget, a wake stops another function's idle replica first") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  // Room for one 256 MiB replica, not two.
  auto args = daemon_args();
  args.insert(args.end(), {"--memory-budget", "400MiB"});
  DaemonProcess d(tmp.path() / "state", args);
  const std::string kept_paused = "policy = \"fixed\"\npause_after = \"0s\"\nidle_timeout = \"1h\"\n";
  const std::string resources = "[resources]\nmemory = \"256MiB\"\n";
  for (const char* name : {"first", "second"}) {
    auto dir = svl::test::write_function(tmp.path(), name, fn_toml(kept_paused) + resources);
    auto up = d.cli({"up", dir.string(), "--quiet"});
    REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  }
  auto held = [&](const std::string& fn) {
    auto p = phases(status_of(d, fn));
    return std::count(p.begin(), p.end(), "paused") + std::count(p.begin(), p.end(), "ready");
  };

  CHECK(svl::test::get(d.gateway_port(), "/fn/first/").status == 200);
  auto paused_only = [](const json& s) { return phases(s) == std::vector<std::string>{"paused"}; };  // not pausing
  CHECK(wait_status(d, "first", paused_only, 20s));
  CHECK(held("second") == 0);

  // `second` needs 256 MiB more than the budget has: `first`, idle, is stopped to make room.
  CHECK(svl::test::get(d.gateway_port(), "/fn/second/").status == 200);
  CHECK(wait_status(d, "first", [](const json& s) { return phases(s) == std::vector<std::string>{"stopped"}; }, 20s));
  CHECK(wait_status(d, "second", paused_only, 20s));
  CHECK(d.log().find("memory budget: stopping the idle replicas of first") != std::string::npos);
  auto metrics = svl::test::get(d.metrics_port(), "/metrics").body;
  CHECK(metrics.find("reason=\"memory_budget\"") != std::string::npos);

  // And back: `first` wakes from stopped (a cold start), and now `second` makes room.
  auto r = svl::test::get(d.gateway_port(), "/fn/first/");
  CHECK(r.status == 200);
  CHECK(status_of(d, "first")["last_cold_start"]["tier"] == "stopped");
  CHECK(wait_status(d, "second", [](const json& s) { return phases(s) == std::vector<std::string>{"stopped"}; }, 20s));

  // A bad budget is refused with the flag named.
  auto bad = svl::test::run_svl({"daemon", "--state-dir", (tmp.path() / "other").string(), "--memory-budget", "lots"}, 30s);
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("--memory-budget lots") != std::string::npos);
}
