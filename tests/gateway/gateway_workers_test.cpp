// The gateway's workers (an io_context, SO_REUSEPORT listener and upstream pool each): both
// accept, they share no upstream connection, and a function's load reads the same with one
// worker or two. Real loopback sockets, port 0, bounded waits only.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"
#include "gateway_test_support.hpp"
#include "test_client.hpp"
#include "upstream_server.hpp"

using namespace svl::gateway;
using namespace svl::gateway::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Which worker sent requests over which upstream connection (by the gateway's local port).
struct UpstreamUse {
  std::mutex mu;
  std::map<std::uint16_t, std::set<unsigned>> workers_of_port;
  std::map<unsigned, int> requests_of_worker;
  void record(unsigned worker, std::uint16_t port) {
    std::lock_guard l(mu);
    workers_of_port[port].insert(worker);
    ++requests_of_worker[worker];
  }
};

}  // namespace

TEST_CASE("two workers: both accept, and no upstream connection is used by both") {
  UpstreamServer up("u1");
  RecordingListener listener;
  Observer observer;
  UpstreamUse use;
  Options o;
  o.port = 0;
  o.threads = 2;
  o.on_upstream_request = [&](unsigned w, std::uint16_t port) { use.record(w, port); };
  Gateway gw(o, listener, observer);
  gw.start();
  gw.upsert_function({.name = "echo"});
  gw.add_replica("echo", {up.id(), "127.0.0.1", up.port()});

  // 32 client connections (the kernel spreads them over the two listeners: all on one would be
  // a 1 in 2^31 chance) with 10 requests each, concurrently, so connections are given back and
  // reused all the time.
  constexpr int clients = 32, per_client = 10;
  std::mutex mu;
  std::map<std::uint16_t, int> requests_of_port;  // as the upstream saw them
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i)
    ts.emplace_back([&] {
      TestClient c(gw.port());
      for (int k = 0; k < per_client; ++k) {
        auto res = c.get("/fn/echo/x");
        if (res.result_int() != 200) continue;
        ++ok;
        const auto port = json::parse(res.body())["peer_port"].get<std::uint16_t>();
        std::lock_guard l(mu);
        ++requests_of_port[port];
      }
    });
  for (auto& t : ts) t.join();
  REQUIRE(ok.load() == clients * per_client);

  std::lock_guard l(use.mu);
  CHECK(use.requests_of_worker.size() == 2);  // both workers accepted and served
  CHECK(use.requests_of_worker[0] + use.requests_of_worker[1] == clients * per_client);
  // Every upstream connection the upstream saw was used by exactly one worker.
  CHECK(requests_of_port.size() == use.workers_of_port.size());
  CHECK(static_cast<int>(requests_of_port.size()) == up.connections.load());
  for (auto& [port, n] : requests_of_port) {
    INFO("upstream connection from port " << port << " carried " << n << " requests");
    REQUIRE(use.workers_of_port.count(port) == 1);
    CHECK(use.workers_of_port[port].size() == 1);
  }
  // Connections were reused (far fewer than requests), within each worker.
  CHECK(up.connections.load() < clients * per_client / 2);
}

namespace {

// 8 requests of 300 ms on 8 connections to one replica with container_concurrency 2: served in
// 4 waves, the rest held at the gateway. Returns the load once everything is over, and what was
// seen while all 8 were in.
struct Traffic {
  LoadSnapshot during;
  LoadSnapshot after;
  int ok = 0;
};

Traffic same_traffic(unsigned workers) {
  UpstreamServer up("u1");
  RecordingListener listener;
  Observer observer;
  Options o;
  o.port = 0;
  o.threads = workers;
  Gateway gw(o, listener, observer);
  gw.start();
  gw.upsert_function({.name = "cc", .container_concurrency = 2});
  gw.add_replica("cc", {up.id(), "127.0.0.1", up.port()});
  Traffic t;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      TestClient c(gw.port(), 15s);
      if (c.get("/fn/cc/slow?ms=300").result_int() == 200) ++ok;
    });
  wait_until([&] {
    auto l = gw.load("cc");
    return l.inflight + l.queued == 8;
  });
  t.during = gw.load("cc");
  for (auto& th : ts) th.join();
  wait_until([&] { return gw.load("cc").inflight == 0; });
  t.after = gw.load("cc");
  t.ok = ok.load();
  return t;
}

}  // namespace

TEST_CASE("a function's load reads the same with one worker and two") {
  const auto one = same_traffic(1);
  const auto two = same_traffic(2);
  for (const auto* t : {&one, &two}) {
    CHECK(t->ok == 8);
    // All 8 in at once: 2 on the replica (its limit, however many workers admit), 6 held.
    CHECK(t->during.inflight == 2);
    CHECK(t->during.queued == 6);
    REQUIRE(t->during.replicas.size() == 1);
    CHECK(t->during.replicas[0].inflight == 2);
    CHECK(t->after.inflight == 0);
    CHECK(t->after.queued == 0);
    CHECK(t->after.requests_total == 8);
    REQUIRE(t->after.replicas.size() == 1);
    CHECK(t->after.replicas[0].requests_total == 8);
    // Each request's time in the gateway summed: waves end at 0.3, 0.6, 0.9, 1.2 s, two each, so
    // 6.0 s of (inflight + queued) and 8 x 0.3 = 2.4 s on the replica, plus the proxying.
    CHECK(t->after.concurrency_integral >= 5.9);
    CHECK(t->after.concurrency_integral < 6.8);
    CHECK(t->after.replicas[0].concurrency_integral >= 2.39);
    CHECK(t->after.replicas[0].concurrency_integral < 2.8);
  }
  CHECK(std::abs(one.after.concurrency_integral - two.after.concurrency_integral) < 0.5);
  CHECK(std::abs(one.after.replicas[0].concurrency_integral - two.after.replicas[0].concurrency_integral) < 0.3);
}

TEST_CASE("workers share the port: a fixed port taken by another listener fails to bind") {
  RecordingListener listener;
  Observer observer;
  Options o;
  o.port = 0;
  o.threads = 2;
  Gateway first(o, listener, observer);
  first.start();
  o.port = first.port();
  Gateway second(o, listener, observer);
  CHECK_THROWS_AS(second.start(), std::system_error);
  // The first one still serves on it.
  TestClient c(first.port());
  CHECK(c.get("/fn/none/x").result_int() == 404);
}
