// Runs every keep-alive policy over one trace (loaded once) and prints one JSON line per policy,
// the same object `svl sim --json` prints. bench/policies/run.sh turns these into the table.
// SVL_BENCH_PER_FUNCTION=1 also prints every function's result to stderr; SVL_BENCH_CATEGORIES=1
// prints, per policy, wasted GB-s, cold starts and the count-oracle floor per category of function
// (by mean calls per minute over the trace, and timer-like functions whose gaps between active
// minutes are regular), next to fixed:10m's. SVL_BENCH_HINDSIGHT=1 prints, after all policies, the
// least waste reachable at fixed:10m's cold starts by picking one of the given policies per function
// *with hindsight* (a bound for any online choice among them, e.g. svl's portfolio).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <map>
#include <vector>

#include "autoscaler/simulator.hpp"

namespace {

namespace as = svl::autoscaler;

// A function's category from its per-minute counts alone (the same for every policy).
enum Category { frequent, timer, medium, sparse, rare, idle, n_categories };
constexpr std::array<const char*, n_categories> category_names{
    ">=1/min", "timer-like", "0.1-1/min", ">=24/day", "<24/day", "no calls"};

Category categorise(const as::TraceFunction& f) {
  std::uint64_t calls = 0;
  std::vector<std::uint32_t> active;
  for (std::uint32_t m = 0; m < f.per_minute.size(); ++m)
    if (f.per_minute[m] > 0) {
      calls += f.per_minute[m];
      active.push_back(m);
    }
  if (calls == 0) return idle;
  const double per_minute = static_cast<double>(calls) / static_cast<double>(std::max<std::size_t>(1, f.per_minute.size()));
  if (per_minute >= 1) return frequent;
  // Timer-like: at least 10 gaps between active minutes, the most common gap is 2 minutes or more
  // and at least 60 % of the gaps are within max(1, mode / 10) minutes of it.
  if (active.size() > 10) {
    std::map<std::uint32_t, std::uint32_t> count;
    for (std::size_t i = 1; i < active.size(); ++i) ++count[active[i] - active[i - 1]];
    auto mode = std::max_element(count.begin(), count.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
    const std::uint32_t tol = std::max<std::uint32_t>(1, mode / 10);
    std::uint64_t near = 0;
    for (auto [gap, n] : count)
      if (gap + tol >= mode && gap <= mode + tol) near += n;
    if (mode >= 2 && static_cast<double>(near) >= 0.6 * static_cast<double>(active.size() - 1)) return timer;
  }
  if (per_minute >= 0.1) return medium;
  if (calls >= 24) return sparse;
  return rare;
}

struct CategoryTotals {
  std::uint64_t functions = 0, invocations = 0, cold_starts = 0;
  double wasted = 0, floor = 0;
};

std::array<CategoryTotals, n_categories> by_category(const as::Trace& trace, const as::SimResult& r) {
  std::array<CategoryTotals, n_categories> out{};
  for (std::size_t i = 0; i < r.per_function.size(); ++i) {
    auto& c = out[categorise(trace.functions[i])];
    const auto& fr = r.per_function[i];
    ++c.functions;
    c.invocations += fr.invocations;
    c.cold_starts += fr.cold_starts;
    c.wasted += fr.wasted_gb_s;
    c.floor += fr.oracle_floor_gb_s;
  }
  return out;
}

void print_categories(const std::string& policy, const std::array<CategoryTotals, n_categories>& c,
                      const std::array<CategoryTotals, n_categories>& base) {
  std::fprintf(stderr, "%-28s %-11s %5s %10s %14s %8s %14s %8s %14s %10s\n", "policy", "category", "fns", "calls",
               "wasted_GBs", "cold", "10m_wasted_GBs", "10m_cold", "floor_GBs", "vs_10m");
  CategoryTotals t{}, tb{};
  auto row = [&](const char* name, const CategoryTotals& x, const CategoryTotals& b) {
    std::fprintf(stderr, "%-28s %-11s %5llu %10llu %14.0f %8llu %14.0f %8llu %14.0f %10.3f\n", policy.c_str(), name,
                 static_cast<unsigned long long>(x.functions), static_cast<unsigned long long>(x.invocations), x.wasted,
                 static_cast<unsigned long long>(x.cold_starts), b.wasted, static_cast<unsigned long long>(b.cold_starts),
                 x.floor, b.wasted > 0 ? x.wasted / b.wasted : 0.0);
  };
  for (std::size_t k = 0; k < n_categories; ++k) {
    if (c[k].functions == 0) continue;
    row(category_names[k], c[k], base[k]);
    t.functions += c[k].functions;
    t.invocations += c[k].invocations;
    t.cold_starts += c[k].cold_starts;
    t.wasted += c[k].wasted;
    t.floor += c[k].floor;
    tb.wasted += base[k].wasted;
    tb.cold_starts += base[k].cold_starts;
  }
  row("total", t, tb);
}

// Per function, the policy minimising wasted + lambda x cold starts; lambda is searched so that the
// total cold starts stay within `max_cold`. Prints the best such selection.
void print_hindsight(const std::vector<std::vector<as::FunctionResult>>& results, std::uint64_t max_cold,
                     double baseline) {
  auto select = [&](double lambda, std::uint64_t& cold, double& wasted) {
    cold = 0;
    wasted = 0;
    for (std::size_t i = 0; i < results.front().size(); ++i) {
      const as::FunctionResult* best = nullptr;
      for (const auto& policy : results) {
        const auto& r = policy[i];
        if (!best || r.wasted_gb_s + lambda * static_cast<double>(r.cold_starts) <
                         best->wasted_gb_s + lambda * static_cast<double>(best->cold_starts))
          best = &r;
      }
      cold += best->cold_starts;
      wasted += best->wasted_gb_s;
    }
  };
  double lo = 0, hi = 1e9;
  std::uint64_t best_cold = 0;
  double best_wasted = -1;
  for (int it = 0; it < 100; ++it) {
    const double mid = (lo + hi) / 2;
    std::uint64_t cold = 0;
    double wasted = 0;
    select(mid, cold, wasted);
    if (cold <= max_cold) {
      hi = mid;
      best_cold = cold;
      best_wasted = wasted;
    } else {
      lo = mid;
    }
  }
  if (best_wasted < 0) {
    std::fprintf(stderr, "hindsight: no selection has at most %llu cold starts\n",
                 static_cast<unsigned long long>(max_cold));
    return;
  }
  std::fprintf(stderr,
               "hindsight best of %zu policies per function: %llu cold starts (fixed:10m %llu), wasted %.0f GB-s = "
               "%.3f x fixed:10m (lambda %.0f GB-s per cold start)\n",
               results.size(), static_cast<unsigned long long>(best_cold), static_cast<unsigned long long>(max_cold),
               best_wasted, best_wasted / baseline, hi);
}

}  // namespace

int main(int argc, char** argv) {
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
  std::uint64_t baseline_cold = 0;
  const bool hindsight = std::getenv("SVL_BENCH_HINDSIGHT") != nullptr;
  std::vector<std::vector<as::FunctionResult>> per_policy;
  const bool categories = std::getenv("SVL_BENCH_CATEGORIES") != nullptr;
  std::array<CategoryTotals, n_categories> baseline_categories{};
  {
    as::SimOptions o;
    o.policy = std::get<as::PolicySpec>(as::parse_policy("fixed:10m"));
    auto r = as::simulate(trace, o);
    baseline = r.wasted_gb_s;
    baseline_cold = r.cold_starts;
    if (categories) baseline_categories = by_category(trace, r);
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
    if (categories) print_categories(p, by_category(trace, r), baseline_categories);
    if (hindsight) per_policy.push_back(r.per_function);
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
  if (hindsight && !per_policy.empty()) print_hindsight(per_policy, baseline_cold, baseline);
  return 0;
}
