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

namespace {

RouteDecision decide(std::vector<std::string_view> hosts, std::string_view target, unsigned version = 11) {
  static const std::vector<std::string> domains{"localhost"};
  return route_request(hosts, version, target, domains);
}

}  // namespace

TEST_CASE("route_request: one Host routes as resolve_route does, origin-form kept") {
  auto d = decide({"echo.localhost:8080"}, "/a?b=1");
  CHECK(d.error.empty());
  REQUIRE(d.route);
  CHECK(d.route->function == "echo");
  CHECK(d.route->target == "/a?b=1");
  CHECK(d.route->authority.empty());
  d = decide({"127.0.0.1:8080"}, "/fn/echo/x");
  REQUIRE(d.route);
  CHECK(d.route->target == "/x");
  CHECK(d.route->authority.empty());
  d = decide({"nobody.example"}, "/");
  CHECK(d.error.empty());
  CHECK(!d.route);
  d = decide({"[::1]:8080"}, "/fn/echo/");  // an IPv6 literal is a valid Host, just never a function
  CHECK(d.error.empty());
  CHECK(d.route);
  d = decide({"echo.localhost"}, "*");  // asterisk-form (OPTIONS *) routes by Host
  REQUIRE(d.route);
  CHECK(d.route->target == "*");
}

TEST_CASE("route_request: duplicate, comma-separated, invalid or missing Host is a 400") {
  auto d = decide({"a.localhost", "b.localhost"}, "/");
  CHECK(d.error == "duplicate Host header");
  CHECK(!d.route);
  CHECK(decide({"a.localhost", "a.localhost"}, "/").error == "duplicate Host header");  // even when equal
  CHECK(decide({"a.localhost, b.localhost"}, "/").error == "duplicate Host header");
  CHECK(decide({"a.localhost,b.localhost"}, "/fn/a/").error == "duplicate Host header");
  // duplicates are refused for an absolute-form target too, although Host is ignored there
  CHECK(decide({"a.localhost", "b.localhost"}, "http://a.localhost/").error == "duplicate Host header");
  CHECK(decide({"a b"}, "/").error == "invalid Host header");
  CHECK(decide({"user@a.localhost"}, "/").error == "invalid Host header");
  CHECK(decide({"a.localhost/x"}, "/").error == "invalid Host header");
  CHECK(decide({}, "/fn/a/").error == "missing Host header");
  // HTTP/1.0 has no Host requirement
  d = decide({}, "/fn/a/", 10);
  CHECK(d.error.empty());
  REQUIRE(d.route);
  CHECK(d.route->function == "a");
}

TEST_CASE("route_request: an absolute-form target routes by its authority, Host ignored") {
  auto d = decide({"a.localhost"}, "http://b.localhost:8080/p/q?x=1&y");
  CHECK(d.error.empty());
  REQUIRE(d.route);
  CHECK(d.route->function == "b");
  CHECK(d.route->target == "/p/q?x=1&y");
  CHECK(d.route->authority == "b.localhost:8080");
  CHECK(d.route->prefix.empty());
  d = decide({}, "HTTP://B.localhost");  // no Host needed; empty path becomes "/"; scheme case-insensitive
  REQUIRE(d.route);
  CHECK(d.route->function == "b");
  CHECK(d.route->target == "/");
  CHECK(d.route->authority == "B.localhost");
  d = decide({"a.localhost"}, "http://127.0.0.1:9/fn/c/z?k");  // the path style still wins
  REQUIRE(d.route);
  CHECK(d.route->function == "c");
  CHECK(d.route->target == "/z?k");
  CHECK(d.route->prefix == "/fn/c");
  CHECK(d.route->authority == "127.0.0.1:9");
  d = decide({"a.localhost"}, "https://b.localhost/");
  REQUIRE(d.route);
  CHECK(d.route->function == "b");
  d = decide({"a.localhost"}, "http://nobody.example/");  // a valid target that names nothing: 404, not a.localhost
  CHECK(d.error.empty());
  CHECK(!d.route);
}

TEST_CASE("route_request: a malformed or non-http absolute-form target is a 400") {
  for (std::string_view t : {"http://b.localhost/p#frag", "http://b.local host/", "http://[::1/", "http:/b.localhost/",
                             "http:", "http:///p", "nonsense", "b.localhost:8080", "ftp://b.localhost/",
                             "http://user:pw@b.localhost/", "http://b.localhost:80x/"}) {
    CAPTURE(t);
    auto d = decide({"a.localhost"}, t);
    CHECK(!d.error.empty());
    CHECK(!d.route);
  }
}

TEST_CASE("custom domains: the Host or the absolute target's authority routes with the whole path") {
  const std::vector<std::string> domains{"localhost"};
  CustomDomains custom;
  add_custom_domains(custom, "api", {"api.example.com", "Www.Example.com"});
  add_custom_domains(custom, "site", {"example.org"});
  CHECK(custom.at("www.example.com") == "api");  // stored lower-cased

  auto r = resolve_route("API.example.com:8443", "/v1/x?y=1", domains, custom);
  REQUIRE(r);
  CHECK(r->function == "api");
  CHECK(r->target == "/v1/x?y=1");  // nothing stripped
  CHECK(r->prefix.empty());
  r = resolve_route("example.org.", "/", domains, custom);  // a trailing dot is the same name
  REQUIRE(r);
  CHECK(r->function == "site");
  CHECK(!resolve_route("other.example.com", "/", domains, custom));
  CHECK(!resolve_route("example.com", "/", domains, custom));
  CHECK(!resolve_route("xapi.example.com", "/", domains, custom));
  CHECK(!resolve_route(std::string(300, 'a'), "/", domains, custom));
  // the path style still wins; NAME.<domain> still works beside custom domains
  r = resolve_route("api.example.com", "/fn/site/p", domains, custom);
  REQUIRE(r);
  CHECK(r->function == "site");
  CHECK(r->target == "/p");
  r = resolve_route("site.localhost", "/q", domains, custom);
  REQUIRE(r);
  CHECK(r->function == "site");
  // without the map nothing routes by custom domain
  CHECK(!resolve_route("api.example.com", "/", domains));

  auto d = route_request(std::vector<std::string_view>{"site.localhost"}, 11, "http://api.example.com:80/a/b", domains, custom);
  CHECK(d.error.empty());
  REQUIRE(d.route);
  CHECK(d.route->function == "api");  // the absolute target's authority, not Host
  CHECK(d.route->target == "/a/b");
  CHECK(d.route->authority == "api.example.com:80");
  d = route_request(std::vector<std::string_view>{"WWW.example.COM"}, 11, "/", domains, custom);
  REQUIRE(d.route);
  CHECK(d.route->function == "api");
  d = route_request(std::vector<std::string_view>{"unknown.example.com"}, 11, "/", domains, custom);
  CHECK(d.error.empty());
  CHECK(!d.route);  // 404
}

TEST_CASE("custom domains: a domain two functions claim goes to the name that sorts first, in any order") {
  CustomDomains one, other;
  add_custom_domains(one, "b", {"x.example"});
  add_custom_domains(one, "a", {"x.example"});
  add_custom_domains(other, "a", {"x.example"});
  add_custom_domains(other, "b", {"x.example"});
  CHECK(one.at("x.example") == "a");
  CHECK(other.at("x.example") == "a");
}
