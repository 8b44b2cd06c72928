// docker::Client's network calls and what inspect reads of a container's isolation, against
// FakeDockerServer.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "orchestrator/docker/client.hpp"
#include "tests/docker/fake_docker_server.hpp"

using namespace svl::docker;
using svl::docker::testing::FakeDockerServer;
using svl::docker::testing::FakeReply;
using svl::docker::testing::RecordedRequest;

namespace {

ClientOptions options_for(const FakeDockerServer& server) {
  ClientOptions o;
  o.host = server.host();
  return o;
}

const char* network_json = R"({
  "Name": "svl", "Id": "5d39a5e3764f0123456789", "Driver": "bridge",
  "IPAM": {"Driver": "default", "Config": [{"Subnet": "fd00::/64", "Gateway": "fd00::1"},
                                           {"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]},
  "Options": {"com.docker.network.bridge.enable_icc": "false"}, "Labels": {"svl.managed": "true"}
})";

}  // namespace

TEST_CASE("network create sends name, driver, labels and options, inspect reads the IPv4 gateway") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/networks/create")) return FakeReply::json(201, R"({"Id":"5d39a5e3764f","Warning":""})");
    if (r.path().ends_with("/networks/svl")) return FakeReply::json(200, network_json);
    if (r.path().ends_with("/networks/missing")) return FakeReply::json(404, R"({"message":"network missing not found"})");
    return std::nullopt;
  });
  Client client(options_for(server));
  NetworkSpec spec;
  spec.name = "svl";
  spec.labels = {{"svl.managed", "true"}};
  spec.options = {{"com.docker.network.bridge.enable_icc", "false"}};
  auto id = client.create_network(spec);
  REQUIRE(id);
  CHECK(*id == "5d39a5e3764f");
  const auto body = nlohmann::json::parse(server.requests().back().body);
  CHECK(body["Name"] == "svl");
  CHECK(body["Driver"] == "bridge");
  CHECK(body["CheckDuplicate"] == true);
  CHECK(body["Labels"]["svl.managed"] == "true");
  CHECK(body["Options"]["com.docker.network.bridge.enable_icc"] == "false");

  auto info = client.inspect_network("svl");
  REQUIRE(info);
  CHECK(info->id == "5d39a5e3764f0123456789");
  CHECK(info->driver == "bridge");
  CHECK(info->subnet == "172.18.0.0/16");  // the IPv6 config is skipped
  CHECK(info->gateway == "172.18.0.1");
  CHECK(info->options.at("com.docker.network.bridge.enable_icc") == "false");
  CHECK(info->labels.at("svl.managed") == "true");
  auto missing = client.inspect_network("missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
}

TEST_CASE("container inspect reads capabilities and each network's address") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/c1/json"))
      return FakeReply::json(200, R"({"Id":"c1","State":{"Status":"running"},
        "HostConfig":{"NetworkMode":"svl","CapDrop":["ALL"],"CapAdd":["NET_RAW"]},
        "NetworkSettings":{"Networks":{"svl":{"IPAddress":"172.18.0.5"}}}})");
    return std::nullopt;
  });
  Client client(options_for(server));
  auto info = client.inspect_container("c1");
  REQUIRE(info);
  CHECK(info->cap_drop == std::vector<std::string>{"ALL"});
  CHECK(info->cap_add == std::vector<std::string>{"NET_RAW"});
  CHECK(info->ip_addresses.at("svl") == "172.18.0.5");
}
