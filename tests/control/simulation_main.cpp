// Deterministic simulation of the control plane: the real reconcile core over a fake runtime and
// the gateway's real Dispatcher, in simulated time, under seeded schedules of requests, bursts,
// deploys, removals, rollbacks, scale changes, Docker errors and outages, event-stream drops,
// container deaths, OOM kills and daemon crashes. Invariants are checked after every step and
// once the schedule settles.
//
//   svl_control_simulation [--seeds N] [--first S]   N seeds from S (default 10000 from 1)
//   svl_control_simulation --seed S                 one seed, its trace printed
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/control/sim_world.hpp"

int main(int argc, char** argv) {
  std::uint64_t first = 1, count = 10000;
  bool one = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seeds")) count = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--first")) first = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seed")) first = std::strtoull(argv[i + 1], nullptr, 10), count = 1, one = true;
    else {
      std::fprintf(stderr, "usage: %s [--seeds N] [--first S] | --seed S\n", argv[0]);
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t passed = 0, failed = 0, requests = 0, claims = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    svl::sim::World world(seed);
    const std::string broken = world.run(std::chrono::seconds(20));
    requests += world.requests();
    claims += world.claims();
    if (broken.empty() && !one) {
      ++passed;
      continue;
    }
    if (broken.empty()) ++passed;
    else ++failed;
    std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), broken.empty() ? "ok" : broken.c_str());
    for (const auto& line : world.trace()) std::printf("  %s\n", line.c_str());
    if (!broken.empty())
      std::printf("replay: %s --seed %llu\n", argv[0], static_cast<unsigned long long>(seed));
    if (failed >= 3) break;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("simulation: %llu seeds, %llu requests, %llu spare sandboxes claimed, %.1f s\n",
              static_cast<unsigned long long>(passed + failed), static_cast<unsigned long long>(requests),
              static_cast<unsigned long long>(claims), secs);
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed), static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}
