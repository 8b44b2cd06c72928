// What the Docker runtime creates sandboxes and replicas with (docs/isolation.md), down to the
// Engine API's create body: no capabilities but cap_add, sandboxes on svl's network.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "orchestrator/docker/api_json.hpp"
#include "orchestrator/runtime/confinement.hpp"

using namespace svl;
using nlohmann::json;

TEST_CASE("a sandbox joins svl's network with no capabilities, the create body says so") {
  docker::ContainerSpec spec;
  spec.image = "svl-sandbox:1";
  runtime::confine_sandbox(spec, "svl");
  const auto host = json::parse(docker::api::container_create_body(spec))["HostConfig"];
  CHECK(host["NetworkMode"] == "svl");
  CHECK(host["CapDrop"] == json::array({"ALL"}));
  CHECK_FALSE(host.contains("CapAdd"));

  docker::ContainerSpec on_default;
  runtime::confine_sandbox(on_default, "");
  CHECK(on_default.network_mode.empty());
  CHECK(on_default.cap_drop == std::vector<std::string>{"ALL"});
}

TEST_CASE("a replica drops every capability and gets back only cap_add's, it still joins its sandbox") {
  docker::ContainerSpec spec;
  spec.image = "app:1";
  spec.network_mode = "container:abc";
  runtime::confine_replica(spec, {"NET_BIND_SERVICE", "NET_RAW"});
  const auto host = json::parse(docker::api::container_create_body(spec))["HostConfig"];
  CHECK(host["CapDrop"] == json::array({"ALL"}));
  CHECK(host["CapAdd"] == json::array({"NET_BIND_SERVICE", "NET_RAW"}));
  CHECK(host["NetworkMode"] == "container:abc");

  docker::ContainerSpec none;
  runtime::confine_replica(none, {});
  const auto none_host = json::parse(docker::api::container_create_body(none))["HostConfig"];
  CHECK(none_host["CapDrop"] == json::array({"ALL"}));
  CHECK_FALSE(none_host.contains("CapAdd"));
}

TEST_CASE("only sandboxes on svl's network are adopted") {
  docker::ContainerSummary c;
  c.network_mode = "svl";
  CHECK(runtime::on_network(c, "svl"));
  CHECK_FALSE(runtime::on_network(c, "svl-other"));
  c.network_mode = "default";  // made before svl had its own network
  CHECK_FALSE(runtime::on_network(c, "svl"));
  CHECK(runtime::on_network(c, ""));
}
