#include "orchestrator/metrics/metrics.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/metrics/exposition.hpp"

using namespace svl::orchestrator;
using svl::test::parse_exposition;
using svl::test::select;
using svl::test::value_of;

namespace {

std::vector<svl::test::Sample> scrape(const Metrics& m) { return parse_exposition(m.serialize()); }

}  // namespace

TEST_CASE("build info carries the version and the events reconnect counter starts at zero") {
  Metrics m("1.2.3");
  auto s = scrape(m);
  CHECK(value_of(s, "svl_build_info", {{"version", "1.2.3"}}) == 1.0);
  CHECK(value_of(s, "svl_docker_events_reconnects_total") == 0.0);
  m.events_reconnect();
  m.events_reconnect();
  CHECK(value_of(scrape(m), "svl_docker_events_reconnects_total") == 2.0);
}

TEST_CASE("register_function creates zero-valued series for a function") {
  Metrics m("0");
  REQUIRE(m.register_function("hello"));
  auto s = scrape(m);
  const std::map<std::string, std::string> fn{{"function", "hello"}};
  CHECK(value_of(s, "svl_inflight_requests", fn) == 0.0);
  CHECK(value_of(s, "svl_queued_requests", fn) == 0.0);
  CHECK(value_of(s, "svl_autoscaler_desired_replicas", fn) == 0.0);
  CHECK(value_of(s, "svl_autoscaler_panic_mode", fn) == 0.0);
  CHECK(value_of(s, "svl_usage_container_seconds_total", fn) == 0.0);
  CHECK(value_of(s, "svl_usage_memory_byte_seconds_total", fn) == 0.0);
  CHECK(value_of(s, "svl_request_duration_seconds_count", fn) == 0.0);
  CHECK(value_of(s, "svl_request_held_seconds_count", fn) == 0.0);
  CHECK(select(s, "svl_replicas", fn).size() == 5);
  CHECK(select(s, "svl_requests_rejected_total", fn).size() == 13);
  CHECK(select(s, "svl_cold_starts_total", fn).size() == 3);
  for (const char* state : {"starting", "ready", "draining", "paused", "stopped"}) {
    CHECK(value_of(s, "svl_replicas", {{"function", "hello"}, {"state", state}}) == 0.0);
  }
}

TEST_CASE("register_function refuses names that are not function names") {
  Metrics m("0");
  CHECK_FALSE(m.register_function(""));
  CHECK_FALSE(m.register_function("_unknown"));
  CHECK_FALSE(m.register_function("Hello"));
  CHECK_FALSE(m.register_function("a.b"));
  CHECK_FALSE(m.register_function(std::string(64, 'a')));
  CHECK(m.register_function(std::string(63, 'a')));
  CHECK(m.register_function("a-1"));
  CHECK(m.register_function("a-1"));  // idempotent
  CHECK(m.is_registered("a-1"));
  CHECK_FALSE(m.is_registered("Hello"));
}

TEST_CASE("request_done counts by code and observes gateway and held time") {
  Metrics m("0");
  m.register_function("hello");
  m.request_done("hello", 200, 0.004, 0);
  m.request_done("hello", 200, 0.020, 0);
  m.request_done("hello", 503, 0.5, 0.3);
  m.request_done("hello", 42, 0.001, 0);  // not an HTTP status: bounded label
  auto s = scrape(m);
  CHECK(value_of(s, "svl_requests_total", {{"function", "hello"}, {"code", "200"}}) == 2.0);
  CHECK(value_of(s, "svl_requests_total", {{"function", "hello"}, {"code", "503"}}) == 1.0);
  CHECK(value_of(s, "svl_requests_total", {{"function", "hello"}, {"code", "_other"}}) == 1.0);
  CHECK(value_of(s, "svl_request_duration_seconds_count", {{"function", "hello"}}) == 4.0);
  CHECK(value_of(s, "svl_request_duration_seconds_sum", {{"function", "hello"}}) ==
        doctest::Approx(0.525));
  CHECK(value_of(s, "svl_request_duration_seconds_bucket", {{"function", "hello"}, {"le", "0.005"}}) ==
        2.0);
  CHECK(value_of(s, "svl_request_duration_seconds_bucket", {{"function", "hello"}, {"le", "60"}}) ==
        4.0);
  CHECK(value_of(s, "svl_request_duration_seconds_bucket", {{"function", "hello"}, {"le", "+Inf"}}) ==
        4.0);
  // Only the held request is in the held histogram.
  CHECK(value_of(s, "svl_request_held_seconds_count", {{"function", "hello"}}) == 1.0);
  CHECK(value_of(s, "svl_request_held_seconds_sum", {{"function", "hello"}}) ==
        doctest::Approx(0.3));
  CHECK(value_of(s, "svl_request_held_seconds_bucket", {{"function", "hello"}, {"le", "0.25"}}) ==
        0.0);
  CHECK(value_of(s, "svl_request_held_seconds_bucket", {{"function", "hello"}, {"le", "0.5"}}) ==
        1.0);
}

TEST_CASE("rejected counts by reason with every reason spelled out") {
  Metrics m("0");
  m.register_function("hello");
  const std::vector<std::pair<RejectReason, const char*>> reasons{
      {RejectReason::queue_full, "queue_full"},
      {RejectReason::start_timeout, "start_timeout"},
      {RejectReason::body_too_large, "body_too_large"},
      {RejectReason::header_too_large, "header_too_large"},
      {RejectReason::header_timeout, "header_timeout"},
      {RejectReason::bad_request, "bad_request"},
      {RejectReason::upstream_reset, "upstream_reset"},
      {RejectReason::upstream_timeout, "upstream_timeout"},
      {RejectReason::unknown_function, "unknown_function"},
      {RejectReason::crash_loop, "crash_loop"},
      {RejectReason::docker_unavailable, "docker_unavailable"},
      {RejectReason::held_failed, "held_failed"},
      {RejectReason::client_gone, "client_gone"},
  };
  for (auto [reason, name] : reasons) {
    CHECK(to_string(reason) == name);
    CHECK(reject_reason_from_label(name) == reason);
    m.rejected("hello", reason);
  }
  m.rejected("hello", RejectReason::queue_full);
  CHECK_FALSE(reject_reason_from_label("no_such_reason"));
  CHECK_FALSE(reject_reason_from_label(""));
  auto s = scrape(m);
  CHECK(select(s, "svl_requests_rejected_total", {{"function", "hello"}}).size() == reasons.size());
  for (auto [reason, name] : reasons) {
    const double expected = reason == RejectReason::queue_full ? 2.0 : 1.0;
    CHECK(value_of(s, "svl_requests_rejected_total", {{"function", "hello"}, {"reason", name}}) ==
          expected);
  }
}

TEST_CASE("gauges follow the latest value and ignore unregistered functions") {
  Metrics m("0");
  m.register_function("hello");
  m.set_load("hello", 3, 7);
  m.set_replicas("hello", ReplicaState::ready, 2);
  m.set_replicas("hello", ReplicaState::paused, 1);
  m.set_replicas("hello", ReplicaState::ready, 4);
  m.set_desired("hello", 5, true);
  m.set_load("ghost", 9, 9);
  m.set_replicas("ghost", ReplicaState::ready, 9);
  m.set_desired("ghost", 9, true);
  auto s = scrape(m);
  CHECK(value_of(s, "svl_inflight_requests", {{"function", "hello"}}) == 3.0);
  CHECK(value_of(s, "svl_queued_requests", {{"function", "hello"}}) == 7.0);
  CHECK(value_of(s, "svl_replicas", {{"function", "hello"}, {"state", "ready"}}) == 4.0);
  CHECK(value_of(s, "svl_replicas", {{"function", "hello"}, {"state", "paused"}}) == 1.0);
  CHECK(value_of(s, "svl_replicas", {{"function", "hello"}, {"state", "draining"}}) == 0.0);
  CHECK(value_of(s, "svl_autoscaler_desired_replicas", {{"function", "hello"}}) == 5.0);
  CHECK(value_of(s, "svl_autoscaler_panic_mode", {{"function", "hello"}}) == 1.0);
  m.set_desired("hello", 0, false);
  s = scrape(m);
  CHECK(value_of(s, "svl_autoscaler_panic_mode", {{"function", "hello"}}) == 0.0);
  // No gauge of any kind appears for a function that does not exist.
  for (const auto& sample : s) {
    auto it = sample.labels.find("function");
    CHECK((it == sample.labels.end() || it->second != "ghost"));
  }
  CHECK(select(s, "svl_inflight_requests", {{"function", "_unknown"}}).empty());
}

TEST_CASE("cold_start counts by tier and observes its duration per tier") {
  Metrics m("0");
  m.register_function("hello");
  m.cold_start("hello", svl::autoscaler::Tier::paused, 0.014);
  m.cold_start("hello", svl::autoscaler::Tier::stopped, 0.09);
  m.cold_start("hello", svl::autoscaler::Tier::stopped, 0.11);
  m.cold_start("hello", svl::autoscaler::Tier::removed, 0.4);
  auto s = scrape(m);
  CHECK(value_of(s, "svl_cold_starts_total", {{"function", "hello"}, {"tier", "paused"}}) == 1.0);
  CHECK(value_of(s, "svl_cold_starts_total", {{"function", "hello"}, {"tier", "stopped"}}) == 2.0);
  CHECK(value_of(s, "svl_cold_starts_total", {{"function", "hello"}, {"tier", "removed"}}) == 1.0);
  const std::map<std::string, std::string> paused{{"function", "hello"}, {"tier", "paused"}};
  auto with_le = [](auto labels, const char* le) {
    labels["le"] = le;
    return labels;
  };
  CHECK(value_of(s, "svl_cold_start_duration_seconds_bucket", with_le(paused, "0.01")) == 0.0);
  CHECK(value_of(s, "svl_cold_start_duration_seconds_bucket", with_le(paused, "0.015")) == 1.0);
  const std::map<std::string, std::string> stopped{{"function", "hello"}, {"tier", "stopped"}};
  CHECK(value_of(s, "svl_cold_start_duration_seconds_bucket", with_le(stopped, "0.1")) == 1.0);
  CHECK(value_of(s, "svl_cold_start_duration_seconds_bucket", with_le(stopped, "0.15")) == 2.0);
  CHECK(value_of(s, "svl_cold_start_duration_seconds_count", stopped) == 2.0);
  CHECK(value_of(s, "svl_cold_start_duration_seconds_sum", stopped) == doctest::Approx(0.2));
}

TEST_CASE("scale_event counts by direction and reason, with a cap on distinct reasons") {
  Metrics m("0");
  m.register_function("hello");
  m.scale_event("hello", ScaleDirection::up, "panic");
  m.scale_event("hello", ScaleDirection::up, "panic");
  m.scale_event("hello", ScaleDirection::down, "idle");
  m.scale_event("hello", ScaleDirection::down, "Not A Label!");
  auto s = scrape(m);
  CHECK(value_of(s, "svl_scale_events_total",
                 {{"function", "hello"}, {"direction", "up"}, {"reason", "panic"}}) == 2.0);
  CHECK(value_of(s, "svl_scale_events_total",
                 {{"function", "hello"}, {"direction", "down"}, {"reason", "idle"}}) == 1.0);
  CHECK(value_of(s, "svl_scale_events_total",
                 {{"function", "hello"}, {"direction", "down"}, {"reason", "_other"}}) == 1.0);

  for (int i = 0; i < 100; ++i) {
    m.scale_event("hello", ScaleDirection::up, "reason-" + std::to_string(i));
  }
  s = scrape(m);
  const auto up = select(s, "svl_scale_events_total", {{"function", "hello"}, {"direction", "up"}});
  // "panic", the 30 new reasons that fit under the cap next to "panic" and "idle", "_other".
  CHECK(up.size() == 1 + (free_label_cap - 2) + 1);
  double other = 0;
  for (const auto& sample : up) {
    if (sample.labels.at("reason") == "_other") other = sample.value;
  }
  CHECK(other == 100.0 - (free_label_cap - 2));  // "panic" and "idle" took two slots
}

TEST_CASE("docker_call counts by operation and outcome and observes latency by operation") {
  Metrics m("0");
  m.docker_call("start", DockerOutcome::ok, 0.08);
  m.docker_call("start", DockerOutcome::ok, 0.07);
  m.docker_call("start", DockerOutcome::conflict, 0.002);
  m.docker_call("inspect", DockerOutcome::not_found, 0.0004);
  m.docker_call("list", DockerOutcome::unreachable, 0.0001);
  m.docker_call("stop", DockerOutcome::timeout, 10);
  m.docker_call("pause", DockerOutcome::error, 0.01);
  auto s = scrape(m);
  CHECK(value_of(s, "svl_docker_api_calls_total", {{"operation", "start"}, {"outcome", "ok"}}) == 2.0);
  CHECK(value_of(s, "svl_docker_api_calls_total", {{"operation", "start"}, {"outcome", "conflict"}}) ==
        1.0);
  CHECK(value_of(s, "svl_docker_api_calls_total",
                 {{"operation", "inspect"}, {"outcome", "not_found"}}) == 1.0);
  CHECK(value_of(s, "svl_docker_api_calls_total",
                 {{"operation", "list"}, {"outcome", "unreachable"}}) == 1.0);
  CHECK(value_of(s, "svl_docker_api_calls_total", {{"operation", "stop"}, {"outcome", "timeout"}}) ==
        1.0);
  CHECK(value_of(s, "svl_docker_api_calls_total", {{"operation", "pause"}, {"outcome", "error"}}) ==
        1.0);
  CHECK(value_of(s, "svl_docker_api_call_duration_seconds_count", {{"operation", "start"}}) == 3.0);
  CHECK(value_of(s, "svl_docker_api_call_duration_seconds_bucket",
                 {{"operation", "inspect"}, {"le", "0.0005"}}) == 1.0);
  CHECK(value_of(s, "svl_docker_api_call_duration_seconds_bucket",
                 {{"operation", "stop"}, {"le", "5"}}) == 0.0);
}

TEST_CASE("usage accumulates container-seconds and memory byte-seconds") {
  Metrics m("0");
  m.register_function("hello");
  m.usage("hello", 1.5, 1.5 * 256.0 * 1024 * 1024);
  m.usage("hello", 0.5, 0.5 * 256.0 * 1024 * 1024);
  m.usage("hello", -3, -1);  // never decreases a counter
  auto s = scrape(m);
  CHECK(value_of(s, "svl_usage_container_seconds_total", {{"function", "hello"}}) ==
        doctest::Approx(2.0));
  CHECK(value_of(s, "svl_usage_memory_byte_seconds_total", {{"function", "hello"}}) ==
        doctest::Approx(2.0 * 256 * 1024 * 1024));
}

TEST_CASE("a flood of unknown functions stays one series") {
  Metrics m("0");
  m.register_function("hello");
  for (int i = 0; i < 1000; ++i) {
    const std::string host = "random-" + std::to_string(i) + ".example";
    m.request_done(host, 404, 0.0001, 0);
    m.rejected(host, RejectReason::unknown_function);
    m.cold_start(host, svl::autoscaler::Tier::stopped, 0.1);
    m.scale_event(host, ScaleDirection::up, "concurrency");
    m.usage(host, 1, 1);
  }
  m.request_done("", 404, 0.0001, 0);  // no Host at all
  auto s = scrape(m);
  const auto requests = select(s, "svl_requests_total");
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].labels.at("function") == "_unknown");
  CHECK(requests[0].value == 1001.0);
  CHECK(value_of(s, "svl_requests_rejected_total",
                 {{"function", "_unknown"}, {"reason", "unknown_function"}}) == 1000.0);
  std::set<std::string> functions;
  for (const auto& sample : s) {
    if (auto it = sample.labels.find("function"); it != sample.labels.end()) {
      functions.insert(it->second);
    }
  }
  CHECK(functions == std::set<std::string>{"hello", "_unknown"});
  CHECK(s.size() < 400);  // one function plus one pseudo-function, whatever was sent
}

TEST_CASE("forget_function removes every series of that function and only those") {
  Metrics m("0");
  m.register_function("hello");
  m.register_function("other");
  for (const char* fn : {"hello", "other"}) {
    m.request_done(fn, 200, 0.01, 0.02);
    m.rejected(fn, RejectReason::queue_full);
    m.set_load(fn, 1, 1);
    m.set_replicas(fn, ReplicaState::ready, 1);
    m.set_desired(fn, 1, false);
    m.cold_start(fn, svl::autoscaler::Tier::paused, 0.01);
    m.scale_event(fn, ScaleDirection::up, "concurrency");
    m.usage(fn, 1, 1);
  }
  const auto before = scrape(m);
  const auto hello_series = [](const std::vector<svl::test::Sample>& samples) {
    std::size_t n = 0;
    for (const auto& sample : samples) {
      auto it = sample.labels.find("function");
      if (it != sample.labels.end() && it->second == "hello") ++n;
    }
    return n;
  };
  REQUIRE(hello_series(before) > 50);

  m.forget_function("hello");
  CHECK_FALSE(m.is_registered("hello"));
  const auto after = scrape(m);
  CHECK(hello_series(after) == 0);
  CHECK(before.size() - after.size() == hello_series(before));
  CHECK(value_of(after, "svl_requests_total", {{"function", "other"}, {"code", "200"}}) == 1.0);

  // Late events for the forgotten name: counted, but under "_unknown".
  m.request_done("hello", 200, 0.01, 0);
  m.set_load("hello", 5, 5);
  const auto late = scrape(m);
  CHECK(hello_series(late) == 0);
  CHECK(value_of(late, "svl_requests_total", {{"function", "_unknown"}, {"code", "200"}}) == 1.0);

  // Registering again starts from zero.
  m.register_function("hello");
  CHECK(value_of(scrape(m), "svl_requests_rejected_total",
                 {{"function", "hello"}, {"reason", "queue_full"}}) == 0.0);
  m.forget_function("never-registered");  // harmless
}

TEST_CASE("concurrent recording and forgetting keeps exact counts") {
  Metrics m("0");
  m.register_function("steady");
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&m] {
      for (int i = 0; i < per_thread; ++i) {
        m.request_done("steady", 200, 0.001, 0);
        m.set_load("steady", i, 0);
        m.docker_call("inspect", DockerOutcome::ok, 0.001);
      }
    });
  }
  workers.emplace_back([&m] {
    for (int i = 0; i < 500; ++i) {
      m.register_function("churn");
      m.request_done("churn", 200, 0.001, 0);
      m.set_replicas("churn", ReplicaState::ready, 1);
      m.forget_function("churn");
      (void)m.serialize();
    }
  });
  for (auto& w : workers) w.join();
  auto s = scrape(m);
  CHECK(value_of(s, "svl_requests_total", {{"function", "steady"}, {"code", "200"}}) ==
        double(threads * per_thread));
  CHECK(value_of(s, "svl_docker_api_calls_total", {{"operation", "inspect"}, {"outcome", "ok"}}) ==
        double(threads * per_thread));
  CHECK(select(s, "svl_requests_total", {{"function", "churn"}}).empty());
}
