#pragma once
// Each subcommand lives in its own file and registers itself on the CLI11 app.
// When CLI11 selects it, it stores its action in `run`; main() runs that action
// and returns its exit code.
#include <functional>

namespace CLI {
class App;
}

namespace svl::cli {

using Run = std::function<int()>;

void add_version_command(CLI::App& app, Run& run);
void add_sim_command(CLI::App& app, Run& run);        // sim_command.cpp (autoscaler simulator)
void add_new_command(CLI::App& app, Run& run);        // new_command.cpp: `svl new` and `svl templates`

}  // namespace svl::cli
