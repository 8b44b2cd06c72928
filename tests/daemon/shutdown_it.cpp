// SIGTERM to the daemon: held requests are answered at once (503 with Retry-After) instead of
// waiting out the shutdown, and an idle daemon exits at once.
#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <map>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;

TEST_CASE("SIGTERM with 50 requests held for a slow start: each gets a 503 with Retry-After within 1 s") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  // Deployed through the admin API (`svl up` would wait for a replica) with nothing started; the
  // first request's start takes 8 s to listen, so every request is held.
  const nlohmann::json put{{"image", image()},
                           {"spec", {{"name", "slow"}, {"image", image()}, {"env", {{"READY_DELAY_MS", "8000"}}},
                                     {"scale", {{"policy", "fixed"}, {"pause_after", "off"}, {"idle_timeout", "1m"}, {"initial", 0}}}}}};
  auto deployed = svl::test::admin_request(d.admin(), "PUT", "/v1/functions/slow", put.dump());
  REQUIRE_MESSAGE(deployed.status == 201, deployed.body);

  const int port = d.gateway_port();
  auto burst = std::async(std::launch::async, [port] { return svl::test::get_concurrently(port, "/fn/slow/", 50, 30s); });
  const bool held = wait_for([&] {
    auto s = status_of(d, "slow");
    return s.is_object() && s.value("queued", 0) == 50;
  }, 4s);
  CHECK_MESSAGE(held, "the 50 requests were not all held: " << status_of(d, "slow").dump());

  const auto sigterm = std::chrono::steady_clock::now();
  d.send_signal(SIGTERM);
  auto replies = burst.get();
  const int code = d.wait_exit(30s);
  const double exit_s = seconds_since(sigterm);
  int answered_503 = 0, with_retry_after = 0;
  double slowest = 0;
  for (const auto& r : replies) {
    answered_503 += r.status == 503;
    with_retry_after += r.status == 503 && r.headers.count("retry-after") == 1;
    slowest = std::max(slowest, std::chrono::duration<double>(r.done_at - sigterm).count());
  }
  std::map<long, int> statuses;
  for (const auto& r : replies) ++statuses[r.status];
  for (const auto& [st, n] : statuses) MESSAGE(n << " answered " << st << " (0: no HTTP answer)");
  MESSAGE(answered_503 << " of 50 held requests got 503 (" << with_retry_after << " with Retry-After); the last "
                       << slowest << " s after SIGTERM; the daemon exited " << exit_s << " s after it with " << code);
  CHECK(answered_503 == 50);
  CHECK(with_retry_after == 50);
  CHECK(slowest < 1.0);
  CHECK(code == 0);
}

TEST_CASE("an idle daemon exits within 1 s of SIGTERM, and its warm replica keeps running") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto dir = svl::test::write_function(tmp.path(), "idle",
                                       fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"10m\"\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  REQUIRE(svl::test::get(d.gateway_port(), "/fn/idle/").status == 200);
  std::this_thread::sleep_for(300ms);  // the keep-alive connection to the replica is idle again

  const auto sigterm = std::chrono::steady_clock::now();
  d.send_signal(SIGTERM);
  const int code = d.wait_exit(30s);
  const double took = seconds_since(sigterm);
  MESSAGE("idle daemon exited " << took << " s after SIGTERM with " << code);
  CHECK(code == 0);
  CHECK(took < 1.0);
  int running = 0;
  for (const auto& c : instance_containers(d.state_dir())) running += c.state == "running";
  CHECK(running == 2);  // the sandbox and the replica: the next start adopts them
}

TEST_CASE("SIGTERM while a 10 s stop is in its grace (hazard 2's scenario): the daemon exits cleanly at once, and the next start kills that replica") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  // Without init the app is PID 1 and ignores SIGTERM: Docker's stop waits its whole grace, a
  // Docker call in flight on a pool worker while the daemon shuts down.
  auto dir = svl::test::write_function(
      tmp.path(), "stubborn",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\n", "[env]\nIGNORE_SIGTERM = \"1\"\n[run]\ninit = false\n"));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  REQUIRE(svl::test::get(d.gateway_port(), "/fn/stubborn/").status == 200);
  REQUIRE_MESSAGE(wait_for([&] {
    auto s = status_of(d, "stubborn");
    return s.is_object() && s.dump().find("\"stopping\"") != std::string::npos;
  }, 20s), status_of(d, "stubborn").dump());

  const auto sigterm = std::chrono::steady_clock::now();
  d.send_signal(SIGTERM);
  const int code = d.wait_exit(30s);
  const double took = seconds_since(sigterm);
  MESSAGE("daemon exited " << took << " s after SIGTERM with " << code << " while a stop was in its grace");
  CHECK(code == 0);  // no crash from a completion posted to a destroyed io_context
  CHECK(took < 2.0);  // the stop's call was cancelled, not waited for
  CHECK(d.log().find("stopped; replicas keep running") != std::string::npos);

  // The next daemon finds the replica it was stopping (the stop journal) and kills it rather
  // than serving with it.
  DaemonProcess again(tmp.path() / "state", daemon_args());
  CHECK(wait_for([&] {
    for (const auto& c : instance_containers(again.state_dir()))
      if (c.labels.count("svl.role") && c.labels.at("svl.role") == "replica" && c.state == "running") return false;
    return true;
  }, 15s));
}
