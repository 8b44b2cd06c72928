// Cron triggers and scheduled capacity end to end, on seconds schedules so that CI waits
// seconds: a trigger wakes a function from zero through the gateway (the app sees X-Svl-Cron;
// outside callers get 404 on the private path and cannot forge the header), a window's replica
// is ready when the window starts and let go after it ends, and fire times that pass while the
// daemon is down are skipped, or run once with catch_up.
#include <doctest/doctest.h>

#include <ctime>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;
using Wall = std::chrono::system_clock;

namespace {

// A 6-field cron that fires once a day, at `t` (UTC).
std::string cron_at(Wall::time_point t) {
  const std::time_t tt = Wall::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return std::to_string(tm.tm_sec) + " " + std::to_string(tm.tm_min) + " " + std::to_string(tm.tm_hour) + " * * *";
}

Wall::time_point whole_second(Wall::time_point t) { return std::chrono::ceil<std::chrono::seconds>(t); }

nlohmann::json cron_of(const DaemonProcess& d, const std::string& name) {
  auto r = svl::test::admin_request(d.admin(), "GET", "/v1/functions/" + name + "/cron?limit=50");
  if (r.status != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, false);
}

std::vector<nlohmann::json> runs_of(const DaemonProcess& d, const std::string& name, const std::string& trigger,
                                    const std::string& result) {
  std::vector<nlohmann::json> out;
  auto c = cron_of(d, name);
  if (!c.is_object()) return out;
  for (const auto& r : c["runs"])
    if (r["trigger"] == trigger && r["result"] == result) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("a cron trigger wakes a function from zero through the gateway, outside callers cannot reach its path") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto api = svl::test::write_function(
      tmp.path(), "api",
      fn_toml("policy = \"fixed\"\nidle_timeout = \"1s\"\nremove_after = \"1h\"",
              "[[cron]]\nschedule = \"*/4 * * * * *\"\npath = \"/tasks/cleanup\"\ntimeout = \"20s\"\n"));
  auto up = d.cli({"up", api.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);

  // Outside requests: the private path is not there, whatever its spelling; X-Svl-Cron is dropped.
  CHECK(svl::test::get(d.gateway_port(), "/fn/api/tasks/cleanup").status == 404);
  CHECK(svl::test::get(d.gateway_port(), "/fn/api//tasks/%63leanup/").status == 404);
  const std::string port = std::to_string(d.gateway_port());
  const auto forged = shell("curl -s -H 'X-Svl-Cron: forged' -H 'X-Svl-Internal: guess' http://127.0.0.1:" + port +
                            "/fn/api/headers");
  CHECK_MESSAGE(forged.find("forged") == std::string::npos, forged);
  CHECK(forged.find("guess") == std::string::npos);
  CHECK(forged.find("Host") != std::string::npos);  // the app did answer

  // At zero, then a fire time: woken, called, recorded.
  REQUIRE(wait_for([&] { return status_of(d, "api")["state"] == "scaled-to-zero"; }, 30s, 100ms));
  const auto at_zero = Wall::now();
  REQUIRE(wait_for(
      [&] {
        for (const auto& r : runs_of(d, "api", "/tasks/cleanup", "ok"))
          if (r["scheduled"]["unix"].get<double>() >= std::chrono::duration<double>(at_zero.time_since_epoch()).count())
            return true;
        return false;
      },
      30s, 200ms));
  const auto ok = runs_of(d, "api", "/tasks/cleanup", "ok");
  REQUIRE(!ok.empty());
  CHECK(ok.front()["status"] == 200);
  CHECK(ok.front()["lateness_seconds"].get<double>() < 1.0);
  const auto status = status_of(d, "api");
  CHECK(status["last_cold_start"].is_object());
  auto logs = d.cli({"logs", "api"});
  CHECK_MESSAGE(logs.out.find("POST /tasks/cleanup 200 cron=/tasks/cleanup") != std::string::npos, logs.out);

  // svl cron shows the trigger, its next fire time and the runs.
  auto listed = d.cli({"cron", "api"});
  REQUIRE(listed.exit_code == 0);
  CHECK_MESSAGE(listed.out.find("/tasks/cleanup: \"*/4 * * * * *\" UTC, POST /tasks/cleanup (private), next ") !=
                    std::string::npos,
                listed.out);
  CHECK(listed.out.find(" ok ") != std::string::npos);
  auto metrics = svl::test::get(d.metrics_port(), "/metrics");
  CHECK(metrics.body.find("svl_cron_runs_total{function=\"api\",result=\"ok\"}") != std::string::npos);
  CHECK(metrics.body.find("svl_cron_lateness_seconds_count") != std::string::npos);
}

TEST_CASE("a window's replica is ready, not paused, when the window starts, its end lets it go") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  // Far enough ahead for the deploy, its wake measured, and the lead (wake + 5 s).
  const auto start = whole_second(Wall::now() + 20s);
  const auto end = start + 8s;
  auto api = svl::test::write_function(
      tmp.path(), "api",
      fn_toml("policy = \"fixed\"\npause_after = \"1s\"\nidle_timeout = \"2s\"\n"
              "[[scale.schedule]]\nstart = \"" + cron_at(start) + "\"\nend = \"" + cron_at(end) + "\"\nmin = 1\n"));
  auto up = d.cli({"up", api.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  REQUIRE(wait_for([&] { return status_of(d, "api")["replicas"]["ready"] == 0; }, 15s, 100ms));
  REQUIRE_MESSAGE(Wall::now() < start - 7s, "the deploy took too long to leave room for the lead");
  auto before = d.cli({"status", "api"});
  CHECK_MESSAGE(before.out.find("schedule:        no window in force; next change ") != std::string::npos, before.out);
  CHECK(before.out.find("window 1 (min 1) opens ") != std::string::npos);

  std::optional<Wall::time_point> ready_since;
  while (Wall::now() < start) {
    auto s = status_of(d, "api");
    if (!ready_since && s["replicas"]["ready"] == 1) ready_since = Wall::now();
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(ready_since);
  const double ahead = std::chrono::duration<double>(start - *ready_since).count();
  MESSAGE("the window's replica was ready " << ahead << " s before its start");
  CHECK(ahead > 0);
  auto at_start = status_of(d, "api");
  CHECK(at_start["replicas"]["ready"] == 1);
  CHECK(at_start["replicas"]["paused"] == 0);
  REQUIRE(wait_for([&] { return status_of(d, "api")["schedule"]["in_force"].is_object(); }, 3s, 100ms));
  // Idle inside the window (longer than pause_after and idle_timeout): still ready.
  std::this_thread::sleep_for(4s);
  CHECK(status_of(d, "api")["replicas"]["ready"] == 1);
  auto during = d.cli({"status", "api"});
  CHECK_MESSAGE(during.out.find("schedule:        window 1 in force since ") != std::string::npos, during.out);
  // After the end, the fixed policy pauses it.
  while (Wall::now() < end) std::this_thread::sleep_for(100ms);
  CHECK(wait_for([&] { return status_of(d, "api")["replicas"]["ready"] == 0; }, 10s, 100ms));
}

TEST_CASE("fire times while the daemon is down are skipped and logged, with catch_up the last one runs once") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  const auto state = tmp.path() / "state";
  const auto fire = whole_second(Wall::now() + 15s);
  {
    DaemonProcess d(state, daemon_args());
    auto api = svl::test::write_function(
        tmp.path(), "api",
        fn_toml("policy = \"fixed\"",
                "[[cron]]\nname = \"skip\"\nschedule = \"" + cron_at(fire) + "\"\npath = \"/tasks/skip\"\n"
                "[[cron]]\nname = \"catch\"\nschedule = \"" + cron_at(fire) + "\"\npath = \"/tasks/catch\"\n"
                "catch_up = true\n"));
    auto up = d.cli({"up", api.string(), "--quiet"});
    REQUIRE_MESSAGE(up.exit_code == 0, up.err);
    REQUIRE_MESSAGE(Wall::now() < fire - 2s, "the deploy took too long");
    d.kill9();
  }
  while (Wall::now() < fire + 1s) std::this_thread::sleep_for(100ms);
  DaemonProcess d(state, daemon_args());
  REQUIRE(wait_for([&] { return !runs_of(d, "api", "catch", "ok").empty(); }, 30s, 200ms));
  const auto missed_skip = runs_of(d, "api", "skip", "missed");
  REQUIRE(missed_skip.size() == 1);
  CHECK(missed_skip[0]["count"] == 1);
  CHECK(missed_skip[0]["catch_up"] == false);
  CHECK(runs_of(d, "api", "skip", "ok").empty());
  CHECK(runs_of(d, "api", "catch", "missed").size() == 1);
  const auto caught = runs_of(d, "api", "catch", "ok");
  REQUIRE(caught.size() == 1);
  CHECK(caught[0]["catch_up"] == true);
  CHECK(d.log().find("cron skip of api: 1 fire time from ") != std::string::npos);
  CHECK(d.log().find("passed while the daemon was down; skipped") != std::string::npos);
  // Once only: nothing more runs for it.
  std::this_thread::sleep_for(2s);
  CHECK(runs_of(d, "api", "catch", "ok").size() == 1);
}

// Not our fixture's manners: an app that takes 1.5 s to listen, ignores SIGTERM (so each scale
// to zero ends in a kill) and blocks a thread per connection. Each fire time still wakes it from
// zero, waits for it to be ready and records the answer; none is lost on a refused connection.
TEST_CASE("a cron trigger wakes a slow-starting, SIGTERM-ignoring, thread-per-connection app from zero, run after run") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(
      tmp.path(), "stubborn-cron",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\nremove_after = \"1h\"",
              "[env]\nIGNORE_SIGTERM = \"1\"\nREADY_DELAY_MS = \"1500\"\nTHREAD_PER_CONNECTION = \"1\"\n"
              "[[cron]]\nschedule = \"*/15 * * * * *\"\npath = \"/tasks/report\"\ntimeout = \"20s\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  REQUIRE(wait_for([&] { return status_of(d, "stubborn-cron")["state"] == "scaled-to-zero"; }, 30s, 100ms));
  const double at_zero = std::chrono::duration<double>(Wall::now().time_since_epoch()).count();
  auto runs_since_zero = [&] {
    std::vector<nlohmann::json> out;
    for (const auto& r : runs_of(d, "stubborn-cron", "/tasks/report", "ok"))
      if (r["scheduled"]["unix"].get<double>() >= at_zero) out.push_back(r);
    return out;
  };
  REQUIRE(wait_for([&] { return runs_since_zero().size() >= 2; }, 50s, 200ms));
  for (const auto& run : runs_since_zero()) {
    CAPTURE(run.dump());
    CHECK(run["status"] == 200);
    CHECK(run["lateness_seconds"].get<double>() < 1.0);
    // Woken from zero and waited for (the app's 1.5 s start), not held out a stop grace.
    CHECK(run["duration_seconds"].get<double>() >= 1.4);
    CHECK(run["duration_seconds"].get<double>() < 8.0);
  }
  CHECK(runs_of(d, "stubborn-cron", "/tasks/report", "failed").empty());
}
