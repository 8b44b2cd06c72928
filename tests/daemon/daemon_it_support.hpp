#pragma once
// Helpers shared by the daemon's black-box integration tests (stopping_it, shutdown_it, chaos_it):
// the fixture image, labelled daemon flags, the admin API's status, and the instance's containers.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "orchestrator/docker/client.hpp"
#include "tests/daemon/daemon_process.hpp"
#include "tests/daemon/http_client.hpp"
#include "tests/support/test_image.hpp"

namespace svl::test::it {

inline const std::string& image() {
  static const std::string tag = [] {
    docker::Client client;
    remove_dead_run_leftovers(client);
    return ensure_test_server_image(client);
  }();
  return tag;
}

inline std::vector<std::string> daemon_args(std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--label", std::string("svl.test=") + test_run_id()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// svl.toml body after `name`: the fixture image, then `extra` (top-level keys and tables), then [scale].
inline std::string fn_toml(const std::string& scale, const std::string& extra = "") {
  return "image = \"" + image() + "\"\nport = 8080\n" + extra + "\n[scale]\n" + scale + "\n";
}

// GET /v1/functions/NAME straight from the admin socket (no CLI process): null when it fails.
inline nlohmann::json status_of(const DaemonProcess& d, const std::string& name) {
  auto r = admin_request(d.admin(), "GET", "/v1/functions/" + name);
  if (r.status != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, false);
}

inline bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds bound,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// Every container of the daemon's instance (its state dir), running or not.
inline std::vector<docker::ContainerSummary> instance_containers(const std::filesystem::path& state_dir) {
  docker::Client client;
  docker::ListOptions opts;
  opts.label_filters = {"svl.instance=" + state_dir.string()};
  auto listed = client.list_containers(opts);
  REQUIRE_MESSAGE(listed.ok(), listed.error().describe());
  return *listed;
}

// Output of a shell command (the docker CLI, curl with headers of its own).
inline std::string shell(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace svl::test::it
