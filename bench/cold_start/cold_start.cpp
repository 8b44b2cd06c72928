// bench/cold_start: how fast svl turns a request to a scaled-to-zero function into a response,
// against the raw Docker floor measured in the same run with the same image.
//   floor:   create + start + first HTTP 200 through a published 127.0.0.1 port (Docker API, direct)
//   svl:     request-to-response through the gateway for a function woken from stopped / paused
//   burst:   200 concurrent requests to a function at zero (several bursts, each from stopped),
//            against the same 200 sent straight to a container's published port just after its start
// Usage: [DATA_PATH=auto|netns|published] svl_bench_cold_start [ROUNDS] [BURSTS]
//   (needs dockerd; run by `make bench`). DATA_PATH is passed as the daemon's --data-path (default
//   auto: netns when the daemon may enter namespaces); the path the daemon took is printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// True when no replica of `fn` runs (every one stopped or gone) and at least one exists.
bool all_stopped(const svl::test::DaemonProcess& d, const std::string& fn) {
  auto r = d.cli({"status", fn, "--json"});
  auto s = json::parse(r.out, nullptr, false);
  if (s.is_discarded() || s["replica_list"].empty()) return false;
  for (const auto& rep : s["replica_list"])
    if (rep["phase"] != "stopped") return false;
  return true;
}

double slowest_ms(const std::vector<svl::test::Reply>& replies, int& ok) {
  double slowest = 0;
  for (const auto& r : replies) {
    ok += r.status == 200;
    slowest = std::max(slowest, r.seconds * 1000);
  }
  return slowest;
}

// The peer for the burst: a stopped container joined to a running holder's network namespace is
// started through the Docker API and, at its first HTTP 200, sent the same 200 requests straight
// to the published port (no gateway). The slowest of them, counted from the start call.
std::vector<double> docker_burst_floor(svl::docker::Client& client, const std::string& image, int rounds) {
  svl::docker::ContainerSpec holder;
  holder.image = image;
  holder.labels = svl::test::test_labels();
  holder.publish_port = 8080;
  holder.env["PORT"] = "9";  // only holds the namespace and the published port
  auto holder_id = client.create_container(holder);
  if (!holder_id || !client.start_container(*holder_id)) throw std::runtime_error("burst floor: holder failed");
  auto info = client.inspect_container(*holder_id);
  if (!info || !info->host_port(8080)) throw std::runtime_error("burst floor: no published port");
  const int port = *info->host_port(8080);
  svl::docker::ContainerSpec app;
  app.image = image;
  app.labels = svl::test::test_labels();
  app.env["PORT"] = "8080";
  app.network_mode = "container:" + *holder_id;
  auto app_id = client.create_container(app);
  if (!app_id) throw std::runtime_error("burst floor: create failed");
  std::vector<double> out;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!client.start_container(*app_id)) throw std::runtime_error("burst floor: start failed");
    if (!svl::test::wait_for_http_200(port, "/", 20s, 1ms)) throw std::runtime_error("burst floor: no 200");
    int ok = 0;
    slowest_ms(svl::test::get_concurrently(port, "/", 200), ok);
    if (ok != 200) throw std::runtime_error("burst floor: not all answered");
    out.push_back(ms_since(t0));
    (void)client.stop_container(*app_id, std::chrono::seconds(0));
    std::this_thread::sleep_for(500ms);
  }
  (void)client.remove_container(*app_id, {.force = true});
  (void)client.remove_container(*holder_id, {.force = true});
  return out;
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
  int burst_rounds = argc > 2 ? std::atoi(argv[2]) : 9;
  svl::docker::Client client;
  svl::test::ContainerJanitor janitor;
  auto image = svl::test::ensure_test_server_image(client);
  std::printf("cold start, %d rounds each, image %s\n\n", rounds, image.c_str());

  auto floor = stats(docker_floor(client, image, rounds));
  row("docker floor: create+start+first 200", floor, floor.p50);

  svl::test::TempDir tmp;
  const char* data_path_env = std::getenv("DATA_PATH");
  const std::string data_path = data_path_env && *data_path_env ? data_path_env : "auto";
  svl::test::DaemonProcess d(tmp.path() / "state", {"--label", std::string("svl.test=") + svl::test::test_run_id(),
                                                    "--data-path", data_path});
  {
    const auto log = d.log();
    const auto at = log.find("data path: ");
    std::printf("daemon --data-path %s: %s\n\n", data_path.c_str(),
                at == std::string::npos ? "published ports (no netns probe)" : log.substr(at, log.find('\n', at) - at).c_str());
  }
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
  auto from_removed = stats(svl_wakes(d, "cold-removed", "removed", rounds));
  row("svl: request woken from removed", from_removed, floor.p50);

  // 200 at once against a function at zero (every replica stopped): all answered, the slowest
  // against one cold start of the same function in the same state, measured in turn with the
  // bursts. The function may scale out (max 8): each wake waits for it to idle back to zero.
  auto burst_fn = svl::test::write_function(tmp.path(), "cold-burst", base + "pause_after = \"off\"\nidle_timeout = \"1s\"\n");
  if (d.cli({"up", burst_fn.string(), "--quiet"}).exit_code != 0) throw std::runtime_error("svl up failed");
  svl::test::get(d.gateway_port(), "/fn/cold-burst/");
  auto at_zero = [&] {
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!all_stopped(d, "cold-burst")) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("cold-burst never idled to zero");
      std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(500ms);  // the stops' own work in dockerd is over
  };
  int ok = 0;
  std::vector<double> bursts, singles;
  for (int i = 0; i < burst_rounds; ++i) {
    at_zero();
    auto one = svl::test::get(d.gateway_port(), "/fn/cold-burst/");
    if (one.status != 200) throw std::runtime_error("cold-burst: wake answered " + std::to_string(one.status));
    singles.push_back(one.seconds * 1000);
    at_zero();
    bursts.push_back(slowest_ms(svl::test::get_concurrently(d.gateway_port(), "/fn/cold-burst/", 200), ok));
  }
  auto single = stats(singles);
  auto burst = stats(bursts);
  std::printf("%-40s p50 %8.1f ms   p95 %8.1f ms\n", "svl: the same function, one request", single.p50, single.p95);
  std::printf("%-40s %d/%d answered, slowest p50 %.1f ms p95 %.1f ms = %.2fx its single cold start (%.2fx cold-stopped's)\n",
              "svl: 200 concurrent requests at zero", ok, 200 * burst_rounds, burst.p50, burst.p95, burst.p50 / single.p50,
              burst.p50 / from_stopped.p50);
  // The same 200 against the now-warm function: what concurrency alone costs here.
  int warm_ok = 0;
  double warm = slowest_ms(svl::test::get_concurrently(d.gateway_port(), "/fn/cold-burst/", 200), warm_ok);
  std::printf("%-40s slowest %.1f ms (the same burst, warm: the cost of 200 connections at once)\n",
              "svl: 200 concurrent requests, warm", warm);
  auto direct = stats(docker_burst_floor(client, image, burst_rounds));
  std::printf("%-40s slowest p50 %.1f ms p95 %.1f ms (start + 200 straight to the published port)\n",
              "docker: start, then the same 200", direct.p50, direct.p95);
  std::printf("%-40s %.2f\n", "svl burst / docker start+burst", burst.p50 / direct.p50);
  ok -= 200 * burst_rounds;
  return ok == 0 ? 0 : 1;
}
