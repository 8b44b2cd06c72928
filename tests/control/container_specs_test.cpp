// What a function's replicas are created with: the capabilities [run] cap_add names, and
// SVL_GATEWAY_URL (docs/isolation.md).
#include <doctest/doctest.h>

#include "orchestrator/control/container_specs.hpp"
#include "tests/control/core_harness.hpp"

using namespace svl::control;
using svl::test::Harness;

TEST_CASE("a replica gets the function's cap_add and the gateway's URL on svl's network, [env] keeps its own") {
  auto f = Harness::config("api");
  f.spec.env = {{"GREETING", "hi"}};
  f.spec.run.cap_add = {"NET_BIND_SERVICE"};
  auto o = Harness::options();
  o.gateway_url = "http://172.18.0.1:8080";
  const Slot s;
  const auto r = replica_spec_for(f, o, s);
  CHECK(r.cap_add == std::vector<std::string>{"NET_BIND_SERVICE"});
  CHECK(r.env.at("SVL_GATEWAY_URL") == "http://172.18.0.1:8080");
  CHECK(r.env.at("GREETING") == "hi");
  CHECK(r.env.at("PORT") == "8080");

  f.spec.run.cap_add.clear();
  o.gateway_url.clear();
  const auto plain = replica_spec_for(f, o, s);
  CHECK(plain.cap_add.empty());
  CHECK_FALSE(plain.env.contains("SVL_GATEWAY_URL"));
}
