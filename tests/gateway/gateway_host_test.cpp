// Host and request-target checks through real loopback sockets (RFC 9112 section 3.2): raw bytes
// in, what the client and the in-process upstreams saw out.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"
#include "gateway_test_support.hpp"
#include "test_client.hpp"
#include "upstream_server.hpp"

using namespace svl::gateway;
using namespace svl::gateway::test;
using json = nlohmann::json;

namespace {

// Two functions, a and b, each with its own upstream, behind a gateway with two threads.
struct TwoFunctions {
  UpstreamServer up_a{"ua"}, up_b{"ub"};
  RecordingListener listener;
  CountingObserver observer;
  std::unique_ptr<Gateway> gw;
  TwoFunctions() {
    Options o;
    o.port = 0;
    o.threads = 2;
    gw = std::make_unique<Gateway>(o, listener, observer);
    gw->start();
    for (auto* up : {&up_a, &up_b}) {
      FunctionRoute r;
      r.name = up == &up_a ? "a" : "b";
      gw->upsert_function(r);
      gw->add_replica(r.name, {up->id(), "127.0.0.1", up->port()});
    }
  }
  std::uint16_t port() const { return gw->port(); }
};

// Sends raw bytes on a fresh connection and reads one response.
struct RawExchange {
  http::response<http::string_body> res;
  bool closed = false;
};
RawExchange exchange(std::uint16_t port, const std::string& raw) {
  TestClient c(port, std::chrono::seconds(5));
  c.send_raw(raw);
  RawExchange e;
  e.res = c.read();
  e.closed = c.closed_by_peer();
  return e;
}

}  // namespace

TEST_CASE("duplicate or comma-separated Host: 400 JSON naming it, counted as bad_request, connection closed") {
  TwoFunctions f;
  TestClient other(f.port());  // a keep-alive client from before the bad input
  REQUIRE(other.get("/", "a.localhost").result_int() == 200);

  for (const std::string raw : {
           "GET /p HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n",
           "GET /fn/a/p HTTP/1.1\r\nHost: a.localhost\r\nhost: a.localhost\r\n\r\n",
           "GET /p HTTP/1.1\r\nHost: a.localhost, b.localhost\r\n\r\n",
           "GET http://b.localhost/p HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n",
       }) {
    CAPTURE(raw);
    auto e = exchange(f.port(), raw);
    CHECK(e.res.result_int() == 400);
    auto j = json::parse(e.res.body());
    CHECK(j["error"] == "bad_request");
    CHECK(j["detail"] == "duplicate Host header");
    CHECK(j["function"] == "");
    CHECK(!std::string(j["request_id"]).empty());
    CHECK(e.res["X-Request-Id"] == std::string(j["request_id"]));
    CHECK(e.closed);
  }
  CHECK(wait_until([&] { return f.observer.rejections("bad_request") == 4; }));
  CHECK(f.up_a.requests.load() == 1);  // only the good request above
  CHECK(f.up_b.requests.load() == 0);

  CHECK(other.get("/", "b.localhost").result_int() == 200);  // other clients are still served
  CHECK(TestClient(f.port()).get("/", "a.localhost").result_int() == 200);
}

TEST_CASE("HTTP/1.1 without Host: 400 unless the target is absolute-form, and HTTP/1.0 needs none") {
  TwoFunctions f;
  auto e = exchange(f.port(), "GET /fn/a/p HTTP/1.1\r\n\r\n");
  CHECK(e.res.result_int() == 400);
  CHECK(json::parse(e.res.body())["detail"] == "missing Host header");
  CHECK(e.closed);
  CHECK(f.up_a.requests.load() == 0);

  e = exchange(f.port(), "GET /fn/a/p HTTP/1.0\r\n\r\n");
  CHECK(e.res.result_int() == 200);
  CHECK(json::parse(e.res.body())["id"] == "ua");

  e = exchange(f.port(), "GET http://b.localhost/q HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(e.res.result_int() == 200);
  auto j = json::parse(e.res.body());
  CHECK(j["id"] == "ub");
  CHECK(j["headers"]["Host"] == "b.localhost");
}

TEST_CASE("absolute-form target: routed by its authority, origin-form upstream with Host rewritten") {
  TwoFunctions f;
  TestClient c(f.port());
  c.send_raw("GET http://b.localhost:8080/p/q?x=1 HTTP/1.1\r\nHost: a.localhost\r\n\r\n");
  auto res = c.read();
  REQUIRE(res.result_int() == 200);
  auto j = json::parse(res.body());
  CHECK(j["id"] == "ub");  // the target's function, not Host's
  CHECK(j["target"] == "/p/q?x=1");
  CHECK(j["headers"]["Host"] == "b.localhost:8080");
  CHECK(j["headers"]["X-Forwarded-Host"] == "b.localhost:8080");
  CHECK(f.up_a.requests.load() == 0);
  CHECK(f.up_b.requests.load() == 1);
  // the load signal and the metrics agree with where the request went
  CHECK(wait_until([&] { return f.gw->load("b").requests_total == 1; }));
  CHECK(wait_until([&] { return f.observer.done_for("b") == 1; }));
  CHECK(f.gw->load("a").requests_total == 0);
  CHECK(f.observer.done_for("a") == 0);

  // the connection stays usable; the path style inside an absolute target still wins
  c.send_raw("GET http://127.0.0.1/fn/a/z HTTP/1.1\r\nHost: b.localhost\r\n\r\n");
  res = c.read();
  REQUIRE(res.result_int() == 200);
  j = json::parse(res.body());
  CHECK(j["id"] == "ua");
  CHECK(j["target"] == "/z");
  CHECK(j["headers"]["X-Forwarded-Prefix"] == "/fn/a");
  CHECK(j["headers"]["Host"] == "127.0.0.1");

  // an absolute target naming no function is a 404, whatever Host says
  c.send_raw("GET http://nobody.example/ HTTP/1.1\r\nHost: a.localhost\r\n\r\n");
  res = c.read();
  CHECK(res.result_int() == 404);
  CHECK(f.up_a.requests.load() == 1);
}

TEST_CASE("malformed absolute-form target: 400, the gateway keeps serving") {
  TwoFunctions f;
  for (const std::string target : {"http://b.localhost:80x/", "ftp://b.localhost/", "http:///p",
                                   "http://user@b.localhost/", "b.localhost:80", "nonsense"}) {
    CAPTURE(target);
    auto e = exchange(f.port(), "GET " + target + " HTTP/1.1\r\nHost: a.localhost\r\n\r\n");
    CHECK(e.res.result_int() == 400);
    CHECK(json::parse(e.res.body())["error"] == "bad_request");
    CHECK(e.closed);
  }
  CHECK(wait_until([&] { return f.observer.rejections("bad_request") == 6; }));
  CHECK(f.up_a.requests.load() == 0);
  CHECK(f.up_b.requests.load() == 0);
  CHECK(TestClient(f.port()).get("/", "b.localhost").result_int() == 200);
}

TEST_CASE("custom domain: its Host reaches the function with the whole path, an unknown host is a 404") {
  TwoFunctions f;
  FunctionRoute a;
  a.name = "a";
  a.custom_domains = {"api.example.com"};
  f.gw->upsert_function(a);

  TestClient c(f.port());
  auto res = c.get("/v1/users?x=1", "api.example.com");
  REQUIRE(res.result_int() == 200);
  auto j = json::parse(res.body());
  CHECK(j["id"] == "ua");
  CHECK(j["target"] == "/v1/users?x=1");
  CHECK(j["headers"]["Host"] == "api.example.com");
  CHECK(!j["headers"].contains("X-Forwarded-Prefix"));
  res = c.get("/fn/b/z", "api.example.com");  // the path style still wins
  REQUIRE(res.result_int() == 200);
  CHECK(json::parse(res.body())["id"] == "ub");
  res = c.get("/", "API.Example.com:8080");  // any case, any port
  REQUIRE(res.result_int() == 200);
  CHECK(json::parse(res.body())["id"] == "ua");
  c.send_raw("GET http://api.example.com/abs HTTP/1.1\r\nHost: b.localhost\r\n\r\n");
  res = c.read();
  REQUIRE(res.result_int() == 200);
  CHECK(json::parse(res.body())["target"] == "/abs");
  CHECK(json::parse(res.body())["id"] == "ua");

  res = c.get("/", "www.example.com");
  CHECK(res.result_int() == 404);
  CHECK(json::parse(res.body())["error"] == "unknown_function");
  CHECK(f.up_a.requests.load() == 3);
  CHECK(f.up_b.requests.load() == 1);

  // The domain moves to b on the next request of every worker (each builds its own map).
  a.custom_domains.clear();
  f.gw->upsert_function(a);
  FunctionRoute b;
  b.name = "b";
  b.custom_domains = {"api.example.com"};
  f.gw->upsert_function(b);
  for (int i = 0; i < 4; ++i) {  // fresh connections: the kernel spreads them over the workers
    res = TestClient(f.port()).get("/", "api.example.com");
    REQUIRE(res.result_int() == 200);
    CHECK(json::parse(res.body())["id"] == "ub");
  }
  // Removing the function removes its domain.
  f.gw->remove_function("b");
  CHECK(TestClient(f.port()).get("/", "api.example.com").result_int() == 404);
}
