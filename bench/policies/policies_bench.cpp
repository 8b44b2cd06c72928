// Runs every keep-alive policy over one trace (loaded once) and prints one JSON line per policy,
// the same object `svl sim --json` prints. bench/policies/run.sh turns these into the table.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "autoscaler/simulator.hpp"

int main(int argc, char** argv) {
  namespace as = svl::autoscaler;
  if (argc < 4) {
    std::cerr << "usage: svl_bench_policies INV.csv RUN.csv MEM.csv [policy...]\n";
    return 2;
  }
  auto loaded = as::read_invocations_file(argv[1]);
  if (auto* f = std::get_if<as::Failure>(&loaded)) {
    std::cerr << f->message << "\n";
    return 1;
  }
  auto& trace = std::get<as::Trace>(loaded);
  if (auto f = as::join_durations_file(trace, argv[2])) {
    std::cerr << f->message << "\n";
    return 1;
  }
  if (auto f = as::join_memory_file(trace, argv[3])) {
    std::cerr << f->message << "\n";
    return 1;
  }
  std::vector<std::string> policies{"fixed:10m", "fixed:30s", "hybrid", "adaptive"};
  if (argc > 4) policies.assign(argv + 4, argv + argc);
  double baseline = 0;
  {
    as::SimOptions o;
    o.policy = std::get<as::PolicySpec>(as::parse_policy("fixed:10m"));
    baseline = as::simulate(trace, o).wasted_gb_s;
  }
  for (const auto& p : policies) {
    auto spec = as::parse_policy(p);
    if (auto* f = std::get_if<as::Failure>(&spec)) {
      std::cerr << f->message << "\n";
      return 2;
    }
    as::SimOptions o;
    o.policy = std::get<as::PolicySpec>(spec);
    auto start = std::chrono::steady_clock::now();
    auto r = as::simulate(trace, o);
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto json = as::to_json(r, baseline);
    json.insert(json.size() - 1, ",\"seconds\":" + std::to_string(secs));
    std::cout << json << std::endl;
    if (std::getenv("SVL_BENCH_PER_FUNCTION")) {
      for (std::size_t i = 0; i < r.per_function.size(); ++i) {
        const auto& fr = r.per_function[i];
        const auto& fn = trace.functions[i];
        std::cerr << p << " " << i << " inv=" << fr.invocations << " cold=" << fr.cold_starts
                  << " wasted=" << fr.wasted_gb_s << " floor=" << fr.oracle_floor_gb_s
                  << " floor_allow=" << fr.oracle_floor_minus_cold_allowance_gb_s << " mb=" << fn.memory_mb.value_or(0)
                  << "\n";
      }
    }
  }
  return 0;
}
