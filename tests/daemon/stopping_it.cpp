// A request that arrives while the function's replica is being stopped must not wait for the stop:
// the app ignores SIGTERM, so `docker stop` lasts the daemon's whole stop grace (10 s).
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "orchestrator/docker/event_watcher.hpp"
#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;

namespace {

// The first SIGTERM Docker sends to one of the instance's containers (the `kill` event of a
// `docker stop`): independent of how the daemon names its phases.
class StopWatch {
public:
  explicit StopWatch(const std::filesystem::path& state_dir)
      : watcher_(options(state_dir), [this](const svl::docker::Event& e) { on_event(e); },
                 [this](bool) { set_connected(); }) {}

  bool wait_connected(std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return connected_; });
  }
  // The container Docker was told to stop, and when the event arrived.
  std::optional<std::pair<std::string, std::chrono::steady_clock::time_point>> wait_sigterm(std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, bound, [&] { return sigterm_.has_value(); });
    return sigterm_;
  }

private:
  static svl::docker::EventWatcherOptions options(const std::filesystem::path& state_dir) {
    svl::docker::EventWatcherOptions o;
    o.filter.labels = {"svl.instance=" + state_dir.string(), "svl.role=replica"};
    o.filter.events = {"kill"};
    return o;
  }
  void on_event(const svl::docker::Event& e) {
    if (e.attribute("signal") != "15") return;
    std::lock_guard lock(mu_);
    if (!sigterm_) sigterm_.emplace(e.id, std::chrono::steady_clock::now());
    cv_.notify_all();
  }
  void set_connected() {
    std::lock_guard lock(mu_);
    connected_ = true;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  std::optional<std::pair<std::string, std::chrono::steady_clock::time_point>> sigterm_;
  svl::docker::EventWatcher watcher_;  // last: its thread calls the members above
};

void request_during_stop(const std::string& run_table, bool init) {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  StopWatch stops(d.state_dir());
  REQUIRE(stops.wait_connected(10s));
  auto dir = svl::test::write_function(
      tmp.path(), "stubborn",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\n",
              "[env]\nIGNORE_SIGTERM = \"1\"\n" + run_table));
  auto up = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  REQUIRE(svl::test::get(d.gateway_port(), "/fn/stubborn/").status == 200);

  // Idle for idle_timeout: the daemon stops the replica; the app ignores the SIGTERM.
  auto stop = stops.wait_sigterm(30s);
  REQUIRE_MESSAGE(stop.has_value(), (std::string("no stop within 30 s\n") + d.log()));
  std::this_thread::sleep_for(500ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - stop->second));
  svl::docker::Client client;
  auto info = client.inspect_container(stop->first);
  REQUIRE(info.ok());
  CHECK_MESSAGE(info->state.running, "the stop should still be waiting for its grace");  // the trigger is real
  CHECK_MESSAGE(info->init == init, "[run] init is passed to Docker as HostConfig.Init");
  auto r = svl::test::get(d.gateway_port(), "/fn/stubborn/", {}, 20s);
  MESSAGE("request sent " << seconds_since(stop->second) - r.seconds << " s into the stop: " << r.status << " after "
                          << r.seconds << " s");
  CHECK(r.status == 200);
  CHECK(r.seconds < 1.0);
}

}  // namespace

TEST_CASE("a request during the stop of an app that ignores SIGTERM (init off) is answered in under 1 s") {
  request_during_stop("[run]\ninit = false\n", false);
}

TEST_CASE("the same with Docker's init on: it forwards SIGTERM, which the app still ignores") {
  request_during_stop("", true);
}
