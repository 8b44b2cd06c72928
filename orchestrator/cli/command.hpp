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

}  // namespace svl::cli
