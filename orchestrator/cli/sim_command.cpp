// `svl sim`: replays an Azure Functions 2019 trace through the autoscaler library (autoscaler/simulator.hpp).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "autoscaler/simulator.hpp"
#include "common/units.hpp"
#include "orchestrator/cli/command.hpp"

namespace svl::cli {
namespace {

struct SimArgs {
  std::string trace;
  std::string durations;
  std::string memory;
  std::string policy = "adaptive";
  std::string memory_budget;
  std::uint64_t seed = 1;
  bool json = false;
};

int run_sim(const SimArgs& args) {
  namespace as = svl::autoscaler;
  auto spec = as::parse_policy(args.policy);
  if (auto* f = std::get_if<as::Failure>(&spec)) {
    std::cerr << "svl sim: " << f->message << "\n";
    return 2;
  }
  as::SimOptions options;
  options.policy = std::get<as::PolicySpec>(spec);
  options.seed = args.seed;
  if (!args.memory_budget.empty()) {
    auto size = parse_size(args.memory_budget);
    if (auto* e = std::get_if<ParseError>(&size)) {
      std::cerr << "svl sim: --memory-budget: " << e->message << "\n";
      return 2;
    }
    options.memory_budget_bytes = std::get<std::uint64_t>(size);
  }

  auto loaded = as::read_invocations_file(args.trace);
  if (auto* f = std::get_if<as::Failure>(&loaded)) {
    std::cerr << "svl sim: " << f->message << "\n";
    return 1;
  }
  auto& trace = std::get<as::Trace>(loaded);
  if (!args.durations.empty()) {
    if (auto f = as::join_durations_file(trace, args.durations)) {
      std::cerr << "svl sim: " << f->message << "\n";
      return 1;
    }
  }
  if (!args.memory.empty()) {
    if (auto f = as::join_memory_file(trace, args.memory)) {
      std::cerr << "svl sim: " << f->message << "\n";
      return 1;
    }
  }

  as::SimResult result = as::simulate(trace, options);
  // The normalisation baseline: the same trace, seed and budget under fixed:10m.
  double baseline = result.wasted_gb_s;
  if (args.policy != "fixed:10m") {
    as::SimOptions fixed = options;
    fixed.policy = std::get<as::PolicySpec>(as::parse_policy("fixed:10m"));
    baseline = as::simulate(trace, fixed).wasted_gb_s;
  }
  std::cout << (args.json ? as::to_json(result, baseline) + "\n" : as::to_text(result, baseline));
  return 0;
}

}  // namespace

void add_sim_command(CLI::App& app, Run& run) {
  auto args = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("sim", "Replay an Azure Functions 2019 trace through a keep-alive policy");
  cmd->add_option("--trace", args->trace, "Invocations CSV (original or invitro schema)")->required();
  cmd->add_option("--durations", args->durations, "Durations CSV (joined on HashFunction)");
  cmd->add_option("--memory", args->memory, "Memory CSV (joined on HashFunction, else HashApp)");
  cmd->add_option("--policy", args->policy, "fixed:<duration> (e.g. fixed:10m, fixed:30s), hybrid or adaptive")
      ->capture_default_str();
  cmd->add_option("--memory-budget", args->memory_budget, "Memory for the whole box, e.g. 64GiB (default: unlimited)");
  cmd->add_option("--seed", args->seed, "Seed for spreading invocations inside each minute")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([&run, args] { run = [args] { return run_sim(*args); }; });
}

}  // namespace svl::cli
