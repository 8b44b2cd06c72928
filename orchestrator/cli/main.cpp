// svl: one binary, many subcommands. See `svl --help`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>
#include <utility>

#include "common/version.hpp"
#include "orchestrator/cli/command.hpp"

namespace {

// One example per command, shown at the end of its --help.
constexpr std::pair<std::string_view, std::string_view> examples[] = {
    {"certs", "svl certs --dir /var/lib/svl/certs   # names and expiry of each NAME.crt"},
    {"context", "svl context add prod https://box.example.com:8443 --token-file ~/.svl-token"},
    {"cron", "svl cron api   # each [[cron]] trigger's next fire time and latest runs"},
    {"dev", "svl dev ./api   # runs api-dev until Ctrl-C; a saved file answers within a second"},
    {"daemon", "svl daemon --listen 127.0.0.1:8080 --state-dir ~/.local/state/svl"},
    {"down", "svl down api"},
    {"logs", "svl logs api -f --since 10m"},
    {"ls", "svl ls --json"},
    {"new", "svl new api --template workers   # then: cd api && svl up"},
    {"rollback", "svl rollback api 3"},
    {"scale", "svl scale api --min 1 --max 8"},
    {"secret", "svl secret set db-password --from-file pw.txt   # then [secrets] DB_PASSWORD = \"db-password\""},
    {"sim", "svl sim --trace invocations.csv --durations durations.csv --memory memory.csv --policy fixed:10m"},
    {"status", "svl status api"},
    {"templates", "svl templates"},
    {"token", "svl token create laptop --scope deploy   # printed once; give it to svl context add"},
    {"up", "svl up ./api"},
    {"usage", "svl usage --since 30d --json"},
    {"version", "svl version"},
};

void add_examples(CLI::App& app) {
  app.footer("Example:\n  svl new api --template express && cd api && svl dev   # then: svl up");
  for (CLI::App* sub : app.get_subcommands({}))
    for (const auto& [name, example] : examples)
      if (sub->get_name() == name) sub->footer("Example:\n  " + std::string(example));
}

}  // namespace

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
  svl::cli::add_dev_command(app, run);
  svl::cli::add_certs_command(app, run);
  svl::cli::add_context_commands(app, run);
  svl::cli::add_secret_command(app, run);
  add_examples(app);

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
