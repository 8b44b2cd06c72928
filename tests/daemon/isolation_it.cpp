// Functions kept apart (docs/isolation.md), end to end: the real svl binary and dockerd. From
// inside function A, B's sandbox and B's replica port cannot be reached, nor a service on the
// host's bridge address, while A's call to B through SVL_GATEWAY_URL is served (and counted) by
// the gateway; replicas have no capabilities but those [run] cap_add names. All traffic stays on
// this machine: the sandboxes' own addresses and the host's address on the test's own network.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test;
using namespace svl::test::it;
using nlohmann::json;

namespace {

// The test's own svl network: removed at the end, with any firewall chain a killed daemon left.
struct TestNetwork {
  std::string name = "svl-it-iso-" + std::to_string(::getpid());
  ~TestNetwork() {
    svl::docker::Client client;
    if (auto info = client.inspect_network(name)) {
      const std::string chain = "SVL-IN-br-" + info->id.substr(0, 12);
      shell("iptables -w -D INPUT -j " + chain + " 2>/dev/null; iptables -w -F " + chain + " 2>/dev/null; iptables -w -X " +
            chain + " 2>/dev/null");
      (void)client.remove_network(name);
    }
  }
  svl::docker::NetworkInfo info() const {
    svl::docker::Client client;
    auto info = client.inspect_network(name);
    REQUIRE_MESSAGE(info, info.error().describe());
    return *info;
  }
};

// A service on the host, listening on every address (as sshd or a database may): port 0.
struct HostService {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::uint16_t port = 0;
  HostService() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~HostService() { ::close(fd); }
};

json probe(const DaemonProcess& d, const std::string& fn, const std::string& path_and_query) {
  auto r = get(d.gateway_port(), "/fn/" + fn + path_and_query);
  INFO(fn << path_and_query << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

std::string connect_from(const DaemonProcess& d, const std::string& fn, const std::string& host, int port) {
  auto j = probe(d, fn, "/probe/connect?host=" + host + "&port=" + std::to_string(port) + "&timeout_ms=800");
  return j["result"].get<std::string>();
}

json replica_of(const DaemonProcess& d, const std::string& fn) {
  auto s = status_of(d, fn);
  REQUIRE(s.is_object());
  REQUIRE(!s["replica_list"].empty());
  return s["replica_list"][0];
}

svl::docker::ContainerInfo inspect(const std::string& id) {
  svl::docker::Client client;
  auto info = client.inspect_container(id);
  REQUIRE_MESSAGE(info, info.error().describe());
  return *info;
}

// svl_requests_total of `fn`, every status code summed.
double requests_of(const DaemonProcess& d, const std::string& fn) {
  std::istringstream lines(get(d.metrics_port(), "/metrics").body);
  double total = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("svl_requests_total{") && line.find("function=\"" + fn + "\"") != std::string::npos)
      total += std::stod(line.substr(line.rfind(' ') + 1));
  return total;
}

void deploy(const DaemonProcess& d, const std::filesystem::path& dir, const std::string& name, const std::string& extra = "") {
  auto up = d.cli({"up", write_function(dir, name, fn_toml("min = 1\n", extra)).string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
}

// The checks that hold on either data path. Returns A's SVL_GATEWAY_URL.
std::string check_apart(const DaemonProcess& d, const TestNetwork& net, const HostService& host) {
  const auto network = net.info();
  const std::string a_ip = inspect(replica_of(d, "a")["sandbox"]).ip_addresses[net.name];
  const std::string b_ip = inspect(replica_of(d, "b")["sandbox"]).ip_addresses[net.name];
  MESSAGE("network " << net.name << " gateway " << network.gateway << ", a at " << a_ip << ", b at " << b_ip);
  REQUIRE(!a_ip.empty());
  REQUIRE(!b_ip.empty());

  auto url = get(d.gateway_port(), "/fn/a/env/SVL_GATEWAY_URL").body;
  url.erase(url.find_last_not_of("\n") + 1);
  CHECK(url == "http://" + network.gateway + ":" + std::to_string(d.gateway_port()));

  // The probe does see a connection where one is possible: its own sandbox's address.
  CHECK(connect_from(d, "a", a_ip, 8080) == "connected");
  for (int port : {8080, 9}) {  // B's replica port, and any other port of B's sandbox
    const auto result = connect_from(d, "a", b_ip, port);
    INFO("a -> b " << b_ip << ":" << port);
    CHECK((result == "timeout" || result == "refused"));
  }
  // The host's other services: refused on the bridge address, though this machine reaches them there.
  CHECK(connect_from(d, "a", network.gateway, host.port) == "refused");
  CHECK(shell("curl -s -o /dev/null -m 2 -w '%{http_code}' http://" + network.gateway + ":" + std::to_string(d.gateway_port()) +
              "/fn/nothing/") == "404");

  // A calls B through the gateway: served, and counted as B's request.
  const double before = requests_of(d, "b");
  auto call = probe(d, "a", "/probe/call?url=" + url + "/fn/b/&timeout_ms=5000");
  INFO(call.dump());
  CHECK(call["status"] == 200);
  CHECK(call["body"].get<std::string>().starts_with("hello from"));
  CHECK(wait_for([&] { return requests_of(d, "b") >= before + 1; }, 2s));
  // The replica's view of its caller: the gateway, with A's address forwarded.
  auto headers = probe(d, "a", "/probe/call?url=" + url + "/fn/b/headers&timeout_ms=5000");
  CHECK(json::parse(headers["body"].get<std::string>())["X-Forwarded-For"] == a_ip);
  return url;
}

void check_capabilities(const DaemonProcess& d, const std::string& network) {
  auto a_raw = probe(d, "a", "/probe/raw");
  CHECK(a_raw["raw_socket"] == "failed");
  CHECK(a_raw["errno"] == EPERM);
  CHECK(a_raw["cap_eff"] == "0000000000000000");
  auto b_raw = probe(d, "b", "/probe/raw");
  CHECK(b_raw["raw_socket"] == "ok");
  CHECK(b_raw["cap_eff"] == "0000000000002000");  // CAP_NET_RAW (13) and nothing else

  const auto a = inspect(replica_of(d, "a")["container"]);
  CHECK(a.cap_drop == std::vector<std::string>{"ALL"});
  CHECK(a.cap_add.empty());
  CHECK(inspect(replica_of(d, "b")["container"]).cap_add == std::vector<std::string>{"NET_RAW"});
  const auto sandbox = inspect(replica_of(d, "a")["sandbox"]);
  CHECK(sandbox.network_mode == network);
  CHECK(sandbox.cap_drop == std::vector<std::string>{"ALL"});
}

std::string firewall_rules() { return shell("iptables -w -S 2>/dev/null"); }

}  // namespace

TEST_CASE("functions are kept apart: no direct connections, no raw sockets, calls through SVL_GATEWAY_URL") {
  TestNetwork net, other;  // before the janitor: the networks go once their containers have
  other.name += "-b";
  ContainerJanitor janitor;
  TempDir tmp;
  HostService host;
  const auto state = tmp.path() / "state";
  std::uint16_t port = 0;
  std::string a_replica;
  {
    DaemonProcess d(state, daemon_args({"--network", net.name, "--data-path", "netns"}));
    CHECK(d.log().find("network: sandboxes on " + net.name) != std::string::npos);
    CHECK(d.log().find("host firewall: from br-") != std::string::npos);
    port = d.gateway_port();
    deploy(d, tmp.path(), "a");
    deploy(d, tmp.path(), "b", "[run]\ncap_add = [\"CAP_NET_RAW\"]\n");
    check_apart(d, net, host);
    check_capabilities(d, net.name);
    a_replica = replica_of(d, "a")["container"];

    // A spare sandbox of the pool sits on the network too.
    std::string spare;
    CHECK(wait_for(
        [&] {
          for (const auto& c : instance_containers(state))
            if (c.labels.count("svl.role") && c.labels.at("svl.role") == "pool") spare = c.id;
          return !spare.empty();
        },
        15s));
    if (!spare.empty()) CHECK(inspect(spare).network_mode == net.name);

    auto bad = d.cli({"up", write_function(tmp.path(), "c", fn_toml("", "[run]\ncap_add = [\"NET_RAWW\"]\n")).string()});
    CHECK(bad.exit_code != 0);
    CHECK(bad.err.find("run.cap_add[0]: \"NET_RAWW\": not a Linux capability (did you mean \"NET_RAW\"?)") !=
          std::string::npos);
    CHECK(d.terminate() == 0);
  }
  // Stopped: its rules are gone with it (the network is this test's alone).
  CHECK(firewall_rules().find("SVL-IN-br-" + net.info().id.substr(0, 12)) == std::string::npos);

  // Restarted on the same port: the replicas are adopted as they run, and still kept apart.
  DaemonProcess d(state, daemon_args({"--network", net.name, "--data-path", "netns", "--listen",
                                      "127.0.0.1:" + std::to_string(port)}));
  CHECK(wait_for([&] { return get(d.gateway_port(), "/fn/a/").status == 200; }, 10s));
  CHECK(replica_of(d, "a")["container"] == a_replica);
  check_apart(d, net, host);
  CHECK(d.terminate() == 0);

  // Under another network (as after an upgrade from Docker's default bridge), the old sandboxes
  // are not adopted: they and their replicas are replaced by ones on the new network.
  DaemonProcess moved(state, daemon_args({"--network", other.name, "--data-path", "netns"}));
  CHECK(wait_for([&] { return get(moved.gateway_port(), "/fn/a/").status == 200; }, 15s));
  CHECK(replica_of(moved, "a")["container"] != a_replica);
  CHECK(inspect(replica_of(moved, "a")["sandbox"]).network_mode == other.name);
}

TEST_CASE("on the published path too, sandboxes sit on svl's network and A reaches B only through the gateway") {
  TestNetwork net;
  ContainerJanitor janitor;
  TempDir tmp;
  HostService host;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--network", net.name, "--data-path", "published"}));
  deploy(d, tmp.path(), "a");
  deploy(d, tmp.path(), "b", "[run]\ncap_add = [\"NET_RAW\"]\n");
  CHECK(replica_of(d, "a")["host_port"].get<int>() > 0);
  check_apart(d, net, host);
  check_capabilities(d, net.name);
}

TEST_CASE("a network of that name that is not svl's is refused, naming what is wrong") {
  TestNetwork net;
  svl::docker::Client client;
  svl::docker::NetworkSpec spec;
  spec.name = net.name;
  spec.labels = {{"svl.test", test_run_id()}};
  REQUIRE(client.create_network(spec));  // inter-container traffic on, no svl label
  TempDir tmp;
  std::string refusal;
  try {
    DaemonProcess d(tmp.path() / "state", daemon_args({"--network", net.name}));
  } catch (const std::exception& e) {
    refusal = e.what();
  }
  CHECK(refusal.find("--network " + net.name + ": the network " + net.name +
                     " cannot hold svl's sandboxes: it is not svl's (no label svl.managed=true)") != std::string::npos);
}
