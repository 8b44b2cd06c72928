#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gateway/error.hpp"
#include "gateway/error_body.hpp"
#include "gateway/request_id.hpp"
#include "gateway/routing.hpp"

using namespace svl::gateway;

TEST_CASE("Host NAME.<domain> routes, with or without port, case-insensitive") {
  const std::vector<std::string> domains{"localhost", "fn.example.com"};
  auto r = resolve_route("hello.localhost:8080", "/a?b=1", domains);
  REQUIRE(r);
  CHECK(r->function == "hello");
  CHECK(r->target == "/a?b=1");
  CHECK(r->prefix.empty());
  r = resolve_route("Hello.FN.example.com", "/", domains);
  REQUIRE(r);
  CHECK(r->function == "hello");
  CHECK(!resolve_route("localhost", "/", domains));
  CHECK(!resolve_route("a.b.localhost", "/", domains));
  CHECK(!resolve_route("hello.other", "/", domains));
  CHECK(!resolve_route("", "/", domains));
}

TEST_CASE("/fn/NAME/... routes with the prefix stripped") {
  const std::vector<std::string> domains{"localhost"};
  auto r = resolve_route("127.0.0.1:8080", "/fn/echo/x/y?z=1", domains);
  REQUIRE(r);
  CHECK(r->function == "echo");
  CHECK(r->target == "/x/y?z=1");
  CHECK(r->prefix == "/fn/echo");
  r = resolve_route("x", "/fn/echo", domains);
  REQUIRE(r);
  CHECK(r->target == "/");
  r = resolve_route("x", "/fn/echo?q", domains);
  REQUIRE(r);
  CHECK(r->target == "/?q");
  // the path style wins over the host style
  r = resolve_route("other.localhost", "/fn/echo/", domains);
  REQUIRE(r);
  CHECK(r->function == "echo");
  CHECK(!resolve_route("x", "/fn/", domains));
  CHECK(!resolve_route("x", "/fn/bad$name/", domains));
}

TEST_CASE("error bodies are JSON with a request_id, even from bad bytes") {
  auto j = nlohmann::json::parse(error_body("unknown_function", "f\xff", "abc", "why"));
  CHECK(j["error"] == "unknown_function");
  CHECK(j["request_id"] == "abc");
  CHECK(j["detail"] == "why");
  CHECK(j.contains("function"));
}

TEST_CASE("request ids are unique and 32 hex digits") {
  auto a = generate_request_id(), b = generate_request_id();
  CHECK(a != b);
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("gateway errors convert to std::error_code") {
  std::error_code ec = Error::queue_full;
  CHECK(ec.category().name() == std::string("svl.gateway"));
  CHECK(ec.message() == "queue_full");
}
