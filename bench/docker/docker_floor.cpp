// The floor under every cold start svl can offer: how long Docker itself takes, through svl's
// client, from "go" to the first HTTP 200 of the fixture image (static server, FROM scratch).
//
//   svl_bench_docker_floor [rounds=20] [budget_seconds_per_scenario=60]
//
// Scenarios (each round timed from the first API call to the first 200 on 127.0.0.1):
//   create+start      new container with its own published port
//   start (stopped)   start of a stopped container (+ inspect: the host port changes on start)
//   unpause           unpause of a paused container
//   join sandbox      create+start of a container in a running sandbox's network namespace
//                     (NetworkMode container:<id>), answering on the sandbox's published port
// Peer, same run: the same server binary spawned as a plain host process (no container).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "orchestrator/docker/client.hpp"
#include "tests/support/http_probe.hpp"
#include "tests/support/test_image.hpp"

using namespace std::chrono_literals;
using svl::docker::Client;
using svl::docker::ContainerSpec;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

constexpr auto probe_interval = std::chrono::microseconds(1000);
constexpr auto ready_deadline = 10s;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "docker_floor: %s\n", what.c_str());
  std::exit(1);
}

template <class R>
auto must(R result, const char* what) {
  if (!result.ok()) die(std::string(what) + ": " + result.error().describe());
  if constexpr (!std::is_void_v<decltype(result.value())>) return std::move(result).value();
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Stats {
  std::string name;
  std::vector<double> samples;
  std::vector<double> api;  // part spent in Docker API calls (the rest is waiting for the app's 200)
  double percentile(double p) const {
    std::vector<double> s = samples;
    std::sort(s.begin(), s.end());
    if (s.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(s.size() - 1) + 0.5);
    return s[std::min(i, s.size() - 1)];
  }
};

void wait_200(int port) {
  if (!svl::test::wait_for_http_200(port, "/", ready_deadline, probe_interval)) die("no HTTP 200 on port " + std::to_string(port));
}

int host_port(Client& client, const std::string& id) {
  auto info = must(client.inspect_container(id), "inspect");
  auto port = info.host_port(8080);
  if (!port) die("no published port for " + id);
  return *port;
}

std::vector<double> api_ms;  // filled by the timed parts of a scenario

// Runs `round` until `rounds` samples or the budget is spent; `setup`/`teardown` are not timed.
Stats measure(const std::string& name, int rounds, std::chrono::seconds budget, const std::function<void()>& setup,
              const std::function<void()>& timed, const std::function<void()>& teardown) {
  Stats stats{name, {}, {}};
  api_ms.clear();
  const auto start = Clock::now();
  for (int i = 0; i < rounds && Clock::now() - start < budget; ++i) {
    setup();
    const auto t0 = Clock::now();
    timed();
    stats.samples.push_back(ms(Clock::now() - t0));
    teardown();
  }
  stats.api = api_ms;
  return stats;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  const auto budget = std::chrono::seconds(argc > 2 ? std::max(5, std::atoi(argv[2])) : 60);

  Client client;
  svl::test::ContainerJanitor janitor;  // removes everything labelled with this run, also on exit()
  std::atexit([] { svl::test::ContainerJanitor().remove_all(); });
  svl::test::remove_dead_run_leftovers(client);
  const std::string image = svl::test::ensure_test_server_image(client);
  auto version = must(client.version(), "version");
  std::printf("docker %s (API %s), image %s, %d rounds, probe every %lld us\n", version.version.c_str(),
              must(client.api_version(), "api version").c_str(), image.c_str(), rounds,
              static_cast<long long>(probe_interval.count()));

  auto spec_for = [&](const std::string& what) {
    ContainerSpec spec;
    spec.image = image;
    spec.labels = svl::test::test_labels();
    spec.labels["svl.bench"] = "docker_floor";
    spec.name = "svl-bench-" + svl::test::test_run_id() + "-" + what;
    spec.publish_port = 8080;
    return spec;
  };
  std::vector<Stats> results;

  // Peer: the same binary as a host process.
  {
    pid_t pid = 0;
    results.push_back(measure(
        "host process (peer)", rounds, budget, [] {},
        [&] {
          const int port = free_port();
          std::string port_env = "PORT=" + std::to_string(port);
          char* const args[] = {const_cast<char*>("server"), nullptr};
          char* const env[] = {port_env.data(), nullptr};
          posix_spawn_file_actions_t actions;
          posix_spawn_file_actions_init(&actions);
          posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
          const std::string binary = svl::test::test_server_binary();
          if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, args, env) != 0) die("spawn failed");
          posix_spawn_file_actions_destroy(&actions);
          wait_200(port);
        },
        [&] {
          ::kill(pid, SIGTERM);
          ::waitpid(pid, nullptr, 0);
        }));
  }

  // create + start + first 200
  {
    std::string id;
    int n = 0;
    results.push_back(measure(
        "create+start", rounds, budget, [] {},
        [&] {
          const auto t0 = Clock::now();
          id = must(client.create_container(spec_for("cold-" + std::to_string(n++))), "create");
          must(client.start_container(id), "start");
          const int port = host_port(client, id);
          api_ms.push_back(ms(Clock::now() - t0));
          wait_200(port);
        },
        [&] { must(client.remove_container(id, {.force = true}), "remove"); }));
  }

  // start of a stopped container + first 200
  {
    const std::string id = must(client.create_container(spec_for("stopped")), "create");
    results.push_back(measure(
        "start (stopped)", rounds, budget, [] {},
        [&] {
          const auto t0 = Clock::now();
          must(client.start_container(id), "start");
          const int port = host_port(client, id);
          api_ms.push_back(ms(Clock::now() - t0));
          wait_200(port);
        },
        [&] { must(client.stop_container(id, 5s), "stop"); }));
    must(client.remove_container(id, {.force = true}), "remove");
  }

  // unpause + first 200
  {
    const std::string id = must(client.create_container(spec_for("paused")), "create");
    must(client.start_container(id), "start");
    const int port = host_port(client, id);
    wait_200(port);
    results.push_back(measure(
        "unpause", rounds, budget, [&] { must(client.pause_container(id), "pause"); },
        [&] {
          const auto t0 = Clock::now();
          must(client.unpause_container(id), "unpause");
          api_ms.push_back(ms(Clock::now() - t0));
          wait_200(port);
        },
        [] {}));
    must(client.remove_container(id, {.force = true}), "remove");
  }

  // create + start of a container joining a running sandbox's network namespace
  {
    auto sandbox_spec = spec_for("sandbox");
    sandbox_spec.env["PORT"] = "9999";  // holds the namespace and the published port, serves nothing on 8080
    const std::string sandbox = must(client.create_container(sandbox_spec), "create sandbox");
    must(client.start_container(sandbox), "start sandbox");
    const int port = host_port(client, sandbox);
    std::string id;
    int n = 0;
    results.push_back(measure(
        "join sandbox", rounds, budget, [] {},
        [&] {
          ContainerSpec joiner = spec_for("joiner-" + std::to_string(n++));
          joiner.publish_port.reset();
          joiner.network_mode = "container:" + sandbox;
          const auto t0 = Clock::now();
          id = must(client.create_container(joiner), "create joiner");
          must(client.start_container(id), "start joiner");
          api_ms.push_back(ms(Clock::now() - t0));
          wait_200(port);
        },
        [&] { must(client.remove_container(id, {.force = true}), "remove joiner"); }));
    must(client.remove_container(sandbox, {.force = true}), "remove sandbox");
  }

  const double peer = results.front().percentile(0.5);
  std::printf("%-22s %6s %10s %10s %10s %10s %12s %14s\n", "scenario (to first 200)", "n", "median ms", "p95 ms",
              "min ms", "max ms", "x host proc", "API median ms");
  for (const auto& s : results) {
    Stats api{s.name, s.api, {}};
    std::printf("%-22s %6zu %10.1f %10.1f %10.1f %10.1f %12.1f %14.1f\n", s.name.c_str(), s.samples.size(),
                s.percentile(0.5), s.percentile(0.95), s.percentile(0.0), s.percentile(1.0),
                peer > 0 ? s.percentile(0.5) / peer : 0.0, api.percentile(0.5));
  }
  return 0;
}
