#include <CLI/CLI.hpp>
#include <iostream>

#include "common/version.hpp"
#include "orchestrator/cli/command.hpp"

namespace svl::cli {

void add_version_command(CLI::App& app, Run& run) {
  auto* cmd = app.add_subcommand("version", "Print svl's version");
  cmd->callback([&run] {
    run = [] {
      std::cout << "svl " << svl::version << "\n";
      return 0;
    };
  });
}

}  // namespace svl::cli
