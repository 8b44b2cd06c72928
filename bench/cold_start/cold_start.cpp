// bench/cold_start: how fast svl turns a request to a scaled-to-zero function into a response,
// against the raw Docker floor measured in the same run with the same image.
//   floor:   create + start + first HTTP 200 through a published 127.0.0.1 port (Docker API, direct)
//   svl:     request-to-response through the gateway for a function woken from stopped / paused
//   burst:   200 concurrent requests to a function at zero
// Usage: svl_bench_cold_start [ROUNDS]   (needs dockerd; run by `make bench`)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "orchestrator/docker/client.hpp"
#include "tests/daemon/daemon_process.hpp"
#include "tests/daemon/http_client.hpp"
#include "tests/support/http_probe.hpp"
#include "tests/support/test_image.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Stats {
  double p50 = 0, p95 = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) return {};
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * (ms.size() - 1) + 0.5))]; };
  return {at(0.5), at(0.95)};
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<double> docker_floor(svl::docker::Client& client, const std::string& image, int rounds) {
  std::vector<double> out;
  for (int i = 0; i < rounds; ++i) {
    svl::docker::ContainerSpec spec;
    spec.image = image;
    spec.labels = svl::test::test_labels();
    spec.publish_port = 8080;
    auto t0 = std::chrono::steady_clock::now();
    auto id = client.create_container(spec);
    if (!id || !client.start_container(*id)) throw std::runtime_error("docker floor: create/start failed");
    auto info = client.inspect_container(*id);
    if (!info || !info->host_port(8080)) throw std::runtime_error("docker floor: no published port");
    if (!svl::test::wait_for_http_200(*info->host_port(8080), "/", 20s, 1ms)) throw std::runtime_error("docker floor: no 200");
    out.push_back(ms_since(t0));
    (void)client.remove_container(*id, {.force = true});
  }
  return out;
}

std::string phase_of(const svl::test::DaemonProcess& d, const std::string& fn) {
  auto r = d.cli({"status", fn, "--json"});
  auto s = json::parse(r.out, nullptr, false);
  if (s.is_discarded() || s["replica_list"].empty()) return "";
  return s["replica_list"][0]["phase"];
}

// Wakes `fn` `rounds` times from `phase`, waiting for it to idle back into that phase each time.
std::vector<double> svl_wakes(const svl::test::DaemonProcess& d, const std::string& fn, const std::string& phase,
                              int rounds) {
  std::vector<double> out;
  for (int i = 0; i < rounds; ++i) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (phase_of(d, fn) != phase) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error(fn + " never reached " + phase);
      std::this_thread::sleep_for(50ms);
    }
    auto r = svl::test::get(d.gateway_port(), "/fn/" + fn + "/");
    if (r.status != 200) throw std::runtime_error(fn + ": wake answered " + std::to_string(r.status));
    out.push_back(r.seconds * 1000);
  }
  return out;
}

void row(const char* name, const Stats& s, double floor_p50) {
  std::printf("%-40s p50 %8.1f ms   p95 %8.1f ms   svl/floor %5.2f\n", name, s.p50, s.p95, floor_p50 > 0 ? s.p50 / floor_p50 : 0);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  svl::docker::Client client;
  svl::test::ContainerJanitor janitor;
  auto image = svl::test::ensure_test_server_image(client);
  std::printf("cold start, %d rounds each, image %s\n\n", rounds, image.c_str());

  auto floor = stats(docker_floor(client, image, rounds));
  row("docker floor: create+start+first 200", floor, floor.p50);

  svl::test::ScratchDir tmp;
  svl::test::DaemonProcess d(tmp.path() / "state", {"--label", std::string("svl.test=") + svl::test::test_run_id()});
  auto base = "image = \"" + image + "\"\n[scale]\npolicy = \"fixed\"\n";
  auto stopped_fn = svl::test::write_function(tmp.path(), "cold-stopped", base + "pause_after = \"off\"\nidle_timeout = \"1s\"\n");
  auto paused_fn = svl::test::write_function(tmp.path(), "cold-paused", base + "pause_after = \"0s\"\nidle_timeout = \"1h\"\n");
  auto removed_fn = svl::test::write_function(tmp.path(), "cold-removed",
                                              base + "pause_after = \"off\"\nidle_timeout = \"1s\"\nremove_after = \"0s\"\n");
  for (const auto& dir : {stopped_fn, paused_fn, removed_fn})
    if (d.cli({"up", dir.string(), "--quiet"}).exit_code != 0) throw std::runtime_error("svl up failed");
  // One request each: keep-alive policies start learning at the first invocation.
  for (const char* fn : {"cold-stopped", "cold-paused", "cold-removed"}) svl::test::get(d.gateway_port(), std::string("/fn/") + fn + "/");

  auto from_stopped = stats(svl_wakes(d, "cold-stopped", "stopped", rounds));
  row("svl: request woken from stopped", from_stopped, floor.p50);
  auto from_paused = stats(svl_wakes(d, "cold-paused", "paused", rounds));
  row("svl: request woken from paused", from_paused, floor.p50);
  auto from_removed = stats(svl_wakes(d, "cold-removed", "none", rounds));
  row("svl: request woken from removed", from_removed, floor.p50);

  // 200 at once against a stopped function: all answered, slowest against one cold start.
  while (phase_of(d, "cold-stopped") != "stopped") std::this_thread::sleep_for(50ms);
  auto replies = svl::test::get_concurrently(d.gateway_port(), "/fn/cold-stopped/", 200);
  int ok = 0;
  double slowest = 0;
  for (const auto& r : replies) {
    ok += r.status == 200;
    slowest = std::max(slowest, r.seconds * 1000);
  }
  std::printf("%-40s %d/200 answered, slowest %.1f ms = %.2fx one cold start from stopped\n",
              "svl: 200 concurrent requests at zero", ok, slowest, slowest / from_stopped.p50);
  // The same 200 against the now-warm function: what concurrency alone costs here.
  auto warm = svl::test::get_concurrently(d.gateway_port(), "/fn/cold-stopped/", 200);
  double warm_slowest = 0;
  for (const auto& r : warm) warm_slowest = std::max(warm_slowest, r.seconds * 1000);
  std::printf("%-40s slowest %.1f ms (the same burst, warm: the cost of 200 connections at once)\n",
              "svl: 200 concurrent requests, warm", warm_slowest);
  return ok == 200 ? 0 : 1;
}
