// The daemon's side of keeping functions apart (docs/isolation.md): which network it accepts as
// svl's, and the host firewall's iptables rules, against an iptables fake that keeps chains.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "orchestrator/daemon/daemon.hpp"
#include "orchestrator/daemon/host_firewall.hpp"
#include "orchestrator/daemon/svl_network.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::orchestrator;

namespace {

// Chains of rules, each rule its arguments after the chain's name joined by spaces.
struct FakeIptables final : Iptables {
  std::map<std::string, std::vector<std::string>> chains{{"INPUT", {}}, {"FORWARD", {}}};
  std::vector<std::vector<std::string>> calls;

  static std::string joined(const std::vector<std::string>& args, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < args.size(); ++i) out += (out.empty() ? "" : " ") + args[i];
    return out;
  }
  int run(const std::vector<std::string>& args, std::string* out) override {
    calls.push_back(args);
    const std::string& op = args.at(0);
    const std::string& chain = args.at(1);
    auto it = chains.find(chain);
    if (op == "-N") return it == chains.end() ? (chains[chain], 0) : 1;
    if (it == chains.end()) return 1;
    auto& rules = it->second;
    if (op == "-S") {
      if (out) {
        *out = "-N " + chain + "\n";
        for (const auto& r : rules) *out += "-A " + chain + " " + r + "\n";
      }
      return 0;
    }
    if (op == "-F") return rules.clear(), 0;
    if (op == "-X") return rules.empty() ? (chains.erase(it), 0) : 1;
    if (op == "-I") return rules.insert(rules.begin() + (std::stoi(args.at(2)) - 1), joined(args, 3)), 0;
    const std::string rule = joined(args, 2);
    auto found = std::find(rules.begin(), rules.end(), rule);
    if (op == "-A") return rules.push_back(rule), 0;
    if (op == "-C") return found == rules.end() ? 1 : 0;
    if (op == "-D") return found == rules.end() ? 1 : (rules.erase(found), 0);
    return 2;
  }
  const std::vector<std::string>& chain(const std::string& name) { return chains.at(name); }
};

BridgeGuard guard(std::uint16_t port, const std::string& tag) { return {"br-5d39a5e3764f", "172.18.0.1", {port}, tag}; }

svl::docker::NetworkInfo svl_network() {
  return {"5d39a5e3764f0123", "svl", "bridge", {{"svl.managed", "true"}},
          {{"com.docker.network.bridge.enable_icc", "false"}}, "172.18.0.0/16", "172.18.0.1"};
}

}  // namespace

TEST_CASE("svl's network is a labelled bridge with inter-container traffic off, anything else is refused with why") {
  CHECK(network_problem(svl_network()).empty());
  const auto spec = svl_network_spec("svl");
  CHECK(spec.driver == "bridge");
  CHECK(spec.labels.at("svl.managed") == "true");
  CHECK(spec.options.at("com.docker.network.bridge.enable_icc") == "false");
  auto n = svl_network();
  CHECK(svl_network_of(n).bridge == "br-5d39a5e3764f");
  n.options["com.docker.network.bridge.name"] = "svl0";
  CHECK(svl_network_of(n).bridge == "svl0");

  auto icc = svl_network();
  icc.options.clear();
  CHECK(network_problem(icc) == "its containers can reach each other (com.docker.network.bridge.enable_icc is not false)");
  auto foreign = svl_network();
  foreign.labels.clear();
  CHECK(network_problem(foreign) == "it is not svl's (no label svl.managed=true)");
  auto overlay = svl_network();
  overlay.driver = "overlay";
  CHECK(network_problem(overlay) == "its driver is overlay, not bridge");
  auto v6 = svl_network();
  v6.gateway.clear();
  CHECK(network_problem(v6) == "it has no IPv4 gateway address");
}

TEST_CASE("host firewall: only the gateway's port answers from the bridge, installing twice is installing once") {
  FakeIptables ipt;
  const auto g = guard(8080, "svl-aaaa0000");
  REQUIRE(install_host_firewall(ipt, g).empty());
  const std::vector<std::string> expected{
      "-i br-5d39a5e3764f -d 172.18.0.1 -p tcp --dport 8080 -m comment --comment svl-aaaa0000 -j ACCEPT",
      "! -i lo -d 172.18.0.1 -p tcp --dport 8080 -m comment --comment svl-aaaa0000 -j DROP",
      "-i br-5d39a5e3764f -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-i br-5d39a5e3764f -j REJECT"};
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f") == expected);
  CHECK(ipt.chain("INPUT") == std::vector<std::string>{"-j SVL-IN-br-5d39a5e3764f"});
  REQUIRE(install_host_firewall(ipt, g).empty());
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f") == expected);
  CHECK(ipt.chain("INPUT").size() == 1);

  // A killed run of the same daemon left its rules for another port: they go.
  REQUIRE(install_host_firewall(ipt, guard(9090, "svl-aaaa0000")).empty());
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f").size() == 4);
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f")[0].find("--dport 9090") != std::string::npos);

  remove_host_firewall(ipt, guard(9090, "svl-aaaa0000"));
  CHECK_FALSE(ipt.chains.contains("SVL-IN-br-5d39a5e3764f"));
  CHECK(ipt.chain("INPUT").empty());
}

TEST_CASE("host firewall: two daemons on one network each keep their port, the last one out removes the chain") {
  FakeIptables ipt;
  REQUIRE(install_host_firewall(ipt, guard(8080, "svl-aaaa0000")).empty());
  REQUIRE(install_host_firewall(ipt, guard(8081, "svl-bbbb0000")).empty());
  const auto& rules = ipt.chain("SVL-IN-br-5d39a5e3764f");
  CHECK(rules.size() == 6);
  CHECK(rules.back() == "-i br-5d39a5e3764f -j REJECT");  // the shared refusal stays last
  remove_host_firewall(ipt, guard(8080, "svl-aaaa0000"));
  REQUIRE(ipt.chains.contains("SVL-IN-br-5d39a5e3764f"));
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f").size() == 4);
  CHECK(ipt.chain("SVL-IN-br-5d39a5e3764f")[0].find("--dport 8081") != std::string::npos);
  remove_host_firewall(ipt, guard(8081, "svl-bbbb0000"));
  CHECK_FALSE(ipt.chains.contains("SVL-IN-br-5d39a5e3764f"));
}

TEST_CASE("host firewall: nothing is left when iptables cannot run, and dockerd's inter-container drop is looked for") {
  struct Broken final : Iptables {
    int run(const std::vector<std::string>&, std::string*) override { return -1; }
  };
  HostFirewall broken(std::make_unique<Broken>(), guard(8080, "svl-aaaa0000"));
  CHECK(broken.problem() == "iptables cannot be run (not installed, or no CAP_NET_ADMIN)");

  // The firewall owns its Iptables: it gets one that forwards to the fake, which outlives it.
  struct Forward final : Iptables {
    explicit Forward(FakeIptables& f) : to(f) {}
    int run(const std::vector<std::string>& args, std::string* out) override { return to.run(args, out); }
    FakeIptables& to;
  };
  FakeIptables fake;
  fake.chains["FORWARD"] = {"-i br-5d39a5e3764f -o br-5d39a5e3764f -j DROP"};
  {
    HostFirewall firewall(std::make_unique<Forward>(fake), guard(8080, "svl-aaaa0000"));
    CHECK(firewall.problem().empty());
    CHECK(firewall.inter_container_traffic_dropped());
    CHECK(fake.chains.contains("SVL-IN-br-5d39a5e3764f"));
  }
  CHECK_FALSE(fake.chains.contains("SVL-IN-br-5d39a5e3764f"));  // removed at the daemon's stop
  CHECK(firewall_tag("/var/lib/svl") == firewall_tag("/var/lib/svl"));
  CHECK(firewall_tag("/var/lib/svl") != firewall_tag("/tmp/svl"));
  CHECK(firewall_tag("/var/lib/svl").size() == 12);
}

TEST_CASE("daemon config: network names svl's bridge network") {
  svl::test::TempDir dir{"svl-daemon-network"};
  std::ofstream(dir.path() / "d.toml") << "network = \"svl-prod\"\n";
  DaemonOptions options;
  CHECK(options.network == "svl");
  load_daemon_config(dir.path() / "d.toml", options, {});
  CHECK(options.network == "svl-prod");
  DaemonOptions by_flag;
  by_flag.network = "svl-flag";
  load_daemon_config(dir.path() / "d.toml", by_flag, {"network"});
  CHECK(by_flag.network == "svl-flag");
}
