// The route the core gives the gateway: the spec's limits and custom domains, again on every change.
#include <doctest/doctest.h>

#include "tests/control/core_harness.hpp"

using namespace svl::control;
using namespace std::chrono_literals;
using svl::test::Harness;

TEST_CASE("the route carries the spec's custom domains, and a new revision routes the new ones") {
  Harness h;
  auto config = Harness::config("api");
  config.spec.custom_domains = {"api.example.com", "www.example.com"};
  config.spec.http.max_body_bytes = 1234;
  h.core.load(config, true, h.now, h.out);
  auto route = Harness::one<step::Route>(h.take()).route;
  CHECK(route.name == "api");
  CHECK(route.max_body == 1234);
  CHECK(route.custom_domains == std::vector<std::string>{"api.example.com", "www.example.com"});

  config.revision = 2;
  config.spec.custom_domains = {"v2.example.com"};
  h.core.apply(config, h.now, h.out);
  route = Harness::one<step::Route>(h.take()).route;
  CHECK(route.custom_domains == std::vector<std::string>{"v2.example.com"});
}
