// The spare sandbox pool against real dockerd (`--data-path netns`): a wake from the removed
// tier takes a spare, a function's sandbox is never handed to another one (its /etc/hosts, which
// a root replica can write, stays its own), and removed functions hold no containers at all.
// Also measures the wake from removed against Docker's floor and the host memory held per
// stopped and per removed function (printed; see docs/daemon.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/daemon/daemon_it_support.hpp"
#include "tests/support/http_probe.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;

namespace {

std::string label(const svl::docker::ContainerSummary& c, const std::string& key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

std::vector<svl::docker::ContainerSummary> with_role(const DaemonProcess& d, const std::string& role, const std::string& fn = "") {
  std::vector<svl::docker::ContainerSummary> out;
  for (auto& c : instance_containers(d.state_dir()))
    if (label(c, "svl.role") == role && (fn.empty() || label(c, "svl.function") == fn)) out.push_back(c);
  return out;
}

std::string hosts_of(const std::string& container) { return shell("docker cp " + container + ":/etc/hosts - 2>/dev/null"); }

bool exists(const std::string& id) { return svl::docker::Client().inspect_container(id).ok(); }

// The sandbox a function's (only) replica joined: a spare of the pool.
std::string home_of(const DaemonProcess& d, const std::string& fn) {
  auto replicas = with_role(d, "replica", fn);
  REQUIRE(replicas.size() == 1);
  REQUIRE(replicas[0].network_mode.starts_with("container:"));
  return replicas[0].network_mode.substr(10);
}

std::string removed_toml(const std::string& remove_after) {
  return fn_toml("policy = \"fixed\"\nmin = 0\ninitial = 0\npause_after = \"off\"\nidle_timeout = \"1s\"\nremove_after = \"" + remove_after + "\"\n");
}

void up(const DaemonProcess& d, const std::filesystem::path& dir) {
  auto r = d.cli({"up", dir.string(), "--quiet"});
  REQUIRE_MESSAGE(r.exit_code == 0, (r.err + r.out));
}

bool gone(const DaemonProcess& d, const std::string& fn) { return with_role(d, "replica", fn).empty(); }

long used_kib() {  // MemTotal - MemAvailable
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value = 0, total = 0, available = 0;
  std::string unit;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:") total = value;
    if (key == "MemAvailable:") available = value;
  }
  return total - available;
}

// Rss and Pss (KiB) of a process, from smaps_rollup.
std::pair<long, long> memory_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key, unit;
  long value = 0, rss = 0, pss = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    if (!(l >> key >> value)) continue;
    if (key == "Rss:") rss = value;
    if (key == "Pss:") pss = value;
  }
  return {rss, pss};
}

int parent_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  char state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

// What the instance's running sandboxes hold on the host: each one's process and its containerd
// shim (Rss, Pss in KiB). Nothing else runs for a stopped function on the netns path: no
// docker-proxy, and a stopped replica has no process.
std::pair<long, long> sandboxes_memory(const DaemonProcess& d) {
  long rss = 0, pss = 0;
  svl::docker::Client client;
  for (const auto& c : instance_containers(d.state_dir())) {
    if (c.state != "running" || label(c, "svl.role") == "replica") continue;
    auto info = client.inspect_container(c.id);
    if (!info.ok() || info->state.pid <= 0) continue;
    for (int pid : {info->state.pid, parent_of(info->state.pid)}) {
      auto [r, p] = memory_of(pid);
      rss += r, pss += p;
    }
  }
  return {rss, pss};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

TEST_CASE("pool: a wake from removed takes a spare, a used sandbox is removed, never handed to another function") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "netns"}));
  up(d, svl::test::write_function(tmp.path(), "pa", removed_toml("2s")));
  up(d, svl::test::write_function(tmp.path(), "pb", removed_toml("2s")));
  // `svl up` waits for a replica; once called, each idles down to removed, and a spare is ready.
  for (const char* fn : {"/fn/pa/", "/fn/pb/"}) REQUIRE(svl::test::get(d.gateway_port(), fn).status == 200);
  REQUIRE_MESSAGE(wait_for([&] { return with_role(d, "replica").empty() && with_role(d, "sandbox").empty() && !with_role(d, "pool").empty(); }, 30s),
                  d.log());
  // Spares carry no function and publish nothing.
  for (const auto& c : with_role(d, "pool")) CHECK(shell("docker port " + c.id).empty());
  for (const auto& c : with_role(d, "pool")) CHECK(label(c, "svl.function").empty());

  REQUIRE(svl::test::get(d.gateway_port(), "/fn/pa/").status == 200);
  const std::string home_a = home_of(d, "pa");
  const auto pool_a = with_role(d, "pool");
  CHECK(std::any_of(pool_a.begin(), pool_a.end(), [&](auto& c) { return c.id == home_a; }));
  CHECK(d.log().find("claimed by pa") != std::string::npos);
  // What a root replica can do: write its /etc/hosts, which is its sandbox's.
  const std::string hosts_path = shell("docker inspect -f '{{.HostsPath}}' " + home_a);
  REQUIRE(!hosts_path.empty());
  std::ofstream(hosts_path.substr(0, hosts_path.find('\n')), std::ios::app) << "10.9.9.9 left-by-pa\n";
  const std::string replica_a = with_role(d, "replica", "pa")[0].id;
  REQUIRE_MESSAGE(hosts_of(replica_a).find("left-by-pa") != std::string::npos, "the replica shares its sandbox's /etc/hosts");

  // pa idles to removed: its sandbox goes with its replica (the removed tier holds nothing).
  REQUIRE_MESSAGE(wait_for([&] { return gone(d, "pa") && !exists(home_a); }, 30s), d.log());

  REQUIRE(svl::test::get(d.gateway_port(), "/fn/pb/").status == 200);
  const std::string home_b = home_of(d, "pb");
  CHECK(home_b != home_a);
  CHECK(d.log().find("claimed by pb") != std::string::npos);
  const std::string hosts_b = hosts_of(with_role(d, "replica", "pb")[0].id);
  CHECK(hosts_b.find("localhost") != std::string::npos);
  CHECK(hosts_b.find("left-by-pa") == std::string::npos);
  // pa wakes again into a fresh spare, not its old sandbox.
  REQUIRE(svl::test::get(d.gateway_port(), "/fn/pa/").status == 200);
  CHECK(home_of(d, "pa") != home_a);
  CHECK(hosts_of(with_role(d, "replica", "pa")[0].id).find("left-by-pa") == std::string::npos);
}

TEST_CASE("pool: N removed functions hold no containers, only the spares, a restart adopts the spares") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  constexpr int kFunctions = 10;
  std::set<std::string> spares_before;
  long base = 0, stopped = 0, removed = 0;
  {
    DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "netns"}));
    std::vector<std::filesystem::path> dirs;
    for (int i = 0; i < kFunctions; ++i) dirs.push_back(svl::test::write_function(tmp.path(), "pn" + std::to_string(i), removed_toml("15s")));
    std::this_thread::sleep_for(2s);
    base = used_kib();
    for (const auto& dir : dirs) up(d, dir);
    for (int i = 0; i < kFunctions; ++i) REQUIRE(svl::test::get(d.gateway_port(), "/fn/pn" + std::to_string(i) + "/").status == 200);
    // Stopped: each keeps its sandbox (Docker will not start a replica whose namespace is gone).
    REQUIRE_MESSAGE(wait_for([&] {
                      for (const auto& c : with_role(d, "replica"))
                        if (c.state != "exited") return false;
                      return true;
                    }, 30s), d.log());
    std::this_thread::sleep_for(2s);
    stopped = used_kib();
    const auto [rss, pss] = sandboxes_memory(d);
    const auto count = instance_containers(d.state_dir()).size() - with_role(d, "replica").size();
    MESSAGE(kFunctions << " stopped functions: " << count << " running sandboxes (spares included), processes and shims Rss "
                       << rss / 1024 << " MiB, Pss " << pss / 1024 << " MiB: " << pss / static_cast<long>(count) << " KiB Pss each");
    REQUIRE_MESSAGE(wait_for([&] { return with_role(d, "replica").empty(); }, 60s), d.log());
    // The pool's size is what remains, not N: at most 4 spares and nothing else.
    REQUIRE_MESSAGE(wait_for([&] { return instance_containers(d.state_dir()).size() == with_role(d, "pool").size(); }, 20s),
                    d.log());
    std::this_thread::sleep_for(2s);
    removed = used_kib();
    const auto all = instance_containers(d.state_dir());
    MESSAGE(kFunctions << " removed functions: " << all.size() << " svl containers, all spares");
    CHECK(!all.empty());
    CHECK(all.size() <= 4);
    for (const auto& c : all) spares_before.insert(c.id);
    d.kill9();
  }
  MESSAGE("host memory (MemTotal-MemAvailable) per function: stopped " << (stopped - base) / kFunctions << " KiB, removed "
                                                                       << (removed - base) / kFunctions << " KiB");
  // A restarted daemon takes its spares back instead of removing them.
  DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "netns"}));
  std::set<std::string> after;
  for (const auto& c : with_role(d, "pool")) after.insert(c.id);
  CHECK(after == spares_before);
  CHECK(d.log().find("spare sandbox") != std::string::npos);
}

TEST_CASE("pool: wake from removed (a spare sandbox) against Docker's create + start + first 200") {
  svl::test::ContainerJanitor janitor;
  svl::docker::Client client;
  // Interleaved with the wakes, round by round: the box's load changes under both alike.
  auto floor_round = [&] {
    svl::docker::ContainerSpec spec;
    spec.image = image();
    spec.labels = svl::test::test_labels();
    spec.publish_port = 8080;
    spec.env["PORT"] = "8080";
    auto t0 = std::chrono::steady_clock::now();
    auto id = client.create_container(spec);
    REQUIRE(id.ok());
    REQUIRE(client.start_container(*id).ok());
    auto info = client.inspect_container(*id);
    REQUIRE((info.ok() && info->host_port(8080)));
    REQUIRE(svl::test::wait_for_http_200(*info->host_port(8080), "/", 20s, 1ms).has_value());
    const double ms = seconds_since(t0) * 1000;
    (void)client.remove_container(*id, {.force = true});
    return ms;
  };
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--data-path", "netns"}));
  up(d, svl::test::write_function(tmp.path(), "pw", removed_toml("0s")));
  REQUIRE(svl::test::get(d.gateway_port(), "/fn/pw/").status == 200);  // called once: it idles down to removed
  std::vector<double> wakes, floor;
  for (int i = 0; i < 15; ++i) {
    // Removed (no replica, no sandbox of its own) and a spare ready.
    REQUIRE_MESSAGE(wait_for([&] { return gone(d, "pw") && with_role(d, "sandbox").empty() && !with_role(d, "pool").empty(); }, 30s, 20ms),
                    d.log());
    std::this_thread::sleep_for(1500ms);  // past the next tick: no refill or removal of ours under way
    auto r = svl::test::get(d.gateway_port(), "/fn/pw/");
    REQUIRE(r.status == 200);
    wakes.push_back(r.seconds * 1000);
    std::this_thread::sleep_for(300ms);
    floor.push_back(floor_round());
  }
  const double ratio = median(wakes) / median(floor);
  MESSAGE("wake from removed into a spare: p50 " << median(wakes) << " ms; Docker floor p50 " << median(floor) << " ms; "
                                                 << ratio << "x");
  CHECK(d.log().find("claimed by pw") != std::string::npos);
  CHECK(ratio < 0.8);  // a new sandbox of its own would cost more than the floor
}
