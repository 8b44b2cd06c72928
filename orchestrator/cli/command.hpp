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
void add_manage_commands(CLI::App& app, Run& run);    // manage_commands.cpp: ls, status, down, rollback, scale, usage, logs
void add_daemon_command(CLI::App& app, Run& run);     // daemon_command.cpp
void add_up_command(CLI::App& app, Run& run);         // up_command.cpp
void add_dev_command(CLI::App& app, Run& run);        // dev_command.cpp
void add_certs_command(CLI::App& app, Run& run);      // certs_command.cpp
void add_context_commands(CLI::App& app, Run& run);   // context_commands.cpp: `svl context` and `svl token`
void add_secret_command(CLI::App& app, Run& run);     // secret_command.cpp: secret set, ls, rm

}  // namespace svl::cli
