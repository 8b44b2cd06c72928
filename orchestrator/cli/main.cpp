// svl: one binary, many subcommands. See `svl --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/version.hpp"
#include "orchestrator/cli/command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"svl: scale-to-zero serverless functions on one box"};
  app.set_version_flag("--version", std::string("svl ") + svl::version);
  app.require_subcommand(0, 1);

  svl::cli::Run run;
  svl::cli::add_version_command(app, run);
  svl::cli::add_sim_command(app, run);
  svl::cli::add_new_command(app, run);
  svl::cli::add_manage_commands(app, run);
  svl::cli::add_daemon_command(app, run);
  svl::cli::add_up_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!run) {
    std::cout << app.help();
    return 0;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "svl: " << e.what() << "\n";
    return 1;
  }
}
