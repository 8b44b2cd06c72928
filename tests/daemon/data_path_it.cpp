// How the gateway reaches replicas (--data-path), end to end: the real svl binary and dockerd.
// On the namespace path nothing of a function is published on the host; without CAP_SYS_ADMIN the
// daemon falls back to published ports and says why; a replica killed with its sandbox behind
// svl's back never leaves a request hanging.
#include <doctest/doctest.h>

#include <dirent.h>

#include <fstream>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test;
using namespace svl::test::it;
using nlohmann::json;

namespace {

// docker-proxy processes on this machine: one per published port.
int docker_proxies() {
  int n = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    std::ifstream comm(std::string("/proc/") + e->d_name + "/comm");
    std::string name;
    if (comm && std::getline(comm, name) && name == "docker-proxy") ++n;
  }
  if (proc) ::closedir(proc);
  return n;
}

json first_replica(const DaemonProcess& d, const std::string& fn) {
  auto s = status_of(d, fn);
  REQUIRE(s.is_object());
  REQUIRE(!s["replica_list"].empty());
  return s["replica_list"][0];
}

std::filesystem::path warm_function(const std::filesystem::path& dir, const std::string& name) {
  return write_function(dir, name, fn_toml("min = 1\n"));
}

// The daemon, without CAP_SYS_ADMIN (as an unprivileged or confined svl would be).
const std::vector<std::string> no_sys_admin{"/usr/bin/setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin"};

}  // namespace

TEST_CASE("on the namespace path a function publishes nothing on the host and answers through its sandbox") {
  ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "netns"}));
  CHECK(d.log().find("data path: sockets inside each sandbox's network namespace") != std::string::npos);
  const int proxies_before = docker_proxies();
  auto up = d.cli({"up", warm_function(tmp.path(), "inside").string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  for (int i = 0; i < 20; ++i) REQUIRE(get(d.gateway_port(), "/fn/inside/").status == 200);

  const auto replica = first_replica(d, "inside");
  CHECK(replica["host_port"] == 0);
  CHECK(replica["netns"].get<std::string>().starts_with("/proc/"));
  svl::docker::Client client;
  auto sandbox = client.inspect_container(replica["sandbox"].get<std::string>());
  REQUIRE(sandbox);
  CHECK(sandbox->host_ports.empty());      // no port published on the host
  CHECK(docker_proxies() == proxies_before);  // and no userland proxy started for it
}

TEST_CASE("without CAP_SYS_ADMIN the daemon falls back to published ports and says why, --data-path netns is refused") {
  ContainerJanitor janitor;
  TempDir tmp;
  {
    DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "auto"}), no_sys_admin);
    CHECK(d.log().find("data path: published ports through docker-proxy (setns (needs CAP_SYS_ADMIN)") !=
          std::string::npos);
    auto up = d.cli({"up", warm_function(tmp.path(), "outside").string(), "--quiet"});
    REQUIRE_MESSAGE(up.exit_code == 0, up.err);
    CHECK(get(d.gateway_port(), "/fn/outside/").status == 200);
    const auto replica = first_replica(d, "outside");
    CHECK(replica["host_port"].get<int>() > 0);
    CHECK(replica["netns"] == "");
  }
  std::string refusal;
  try {
    DaemonProcess d(tmp.path() / "state2", daemon_args({"--data-path", "netns"}), no_sys_admin);
  } catch (const std::exception& e) {
    refusal = e.what();
  }
  CHECK(refusal.find("--data-path netns: setns (needs CAP_SYS_ADMIN)") != std::string::npos);
}

TEST_CASE("a replica killed with its sandbox behind svl's back: the next request is answered, never left hanging") {
  ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  auto up = d.cli({"up", warm_function(tmp.path(), "victim").string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  REQUIRE(get(d.gateway_port(), "/fn/victim/").status == 200);
  const auto replica = first_replica(d, "victim");

  svl::docker::Client client;
  for (const char* key : {"container", "sandbox"})
    REQUIRE(client.remove_container(replica[key].get<std::string>(), {.force = true}));
  const auto sent = std::chrono::steady_clock::now();
  auto r = get(d.gateway_port(), "/fn/victim/");
  const double took = seconds_since(sent);
  MESSAGE("answered " << r.status << " after " << took * 1000 << " ms: " << r.body);
  CHECK(r.status == 200);  // held or retried, then served by the replacement
  CHECK(took < 15);
  CHECK(wait_for([&] { return first_replica(d, "victim")["sandbox"] != replica["sandbox"]; }, 20s));
}
