// Placeholder: replaced by the work on its issue.
#include <CLI/CLI.hpp>
#include <iostream>

#include "orchestrator/cli/command.hpp"

namespace svl::cli {

void add_new_command(CLI::App& app, Run& run) {
  auto* cmd = app.add_subcommand("new", "(not built yet)");
  cmd->callback([&run] {
    run = [] {
      std::cerr << "svl new: not built yet\n";
      return 2;
    };
  });
}

}  // namespace svl::cli
