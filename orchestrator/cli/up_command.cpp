// `svl up [DIR]`: validate svl.toml, build the image through the Docker Engine API, register the
// revision with the daemon, wait until it is ready, print the function's URLs.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/cli/command.hpp"
#include "orchestrator/cli/deploy_steps.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::cli {
namespace {

namespace fs = std::filesystem;
using orchestrator::load_spec_file;

struct UpOptions {
  std::string dir = ".";
  std::string admin;
  std::string context;
  std::string docker_host;
  bool quiet = false;
  bool force = false;
  bool json_out = false;
};

int fail(const std::string& message) {
  std::cerr << "svl up: " << message << "\n";
  return 1;
}

int up(const UpOptions& opts) {
  std::error_code ec;
  fs::path dir = fs::canonical(opts.dir, ec);
  if (ec) return fail("folder " + opts.dir + " does not exist");
  fs::path toml = dir / "svl.toml";
  if (!fs::exists(toml)) return fail(toml.string() + " not found; create one with `svl new NAME` or see docs/svl-toml.md");
  auto parsed = load_spec_file(toml);
  if (!parsed) {
    for (const auto& e : parsed.errors) std::cerr << "svl up: " << e.to_string() << "\n";
    return 1;
  }
  const auto& spec = *parsed.spec;

  // The daemon first: no point building for a daemon that is down.
  const auto target = resolve_admin_target(opts.admin, opts.context);
  AdminClient admin(target);
  auto health = admin.request("GET", "/v1/health");
  if (health.status != 200) return fail("the daemon is unhealthy: " + error_message(health));

  // A remote daemon builds the image itself, from the folder uploaded: its Docker runs it.
  auto image = build_image(dir, spec, opts.docker_host, opts.quiet, target.is_remote() ? &admin : nullptr);
  if (!image) return fail(image.error().message);

  auto deployed = put_function(admin, spec, *image, dir, opts.force);
  if (!deployed) return fail(deployed.error().message);
  const long revision = deployed->revision;
  print_warnings(std::cerr, deployed->warnings);
  if (!opts.quiet && !opts.json_out)
    std::cerr << (deployed->created ? "deployed " : "unchanged: ") << spec.name << " revision " << revision
              << "; waiting until it is ready\n";
  auto status = wait_ready(admin, spec, revision);
  if (!status) return fail(status.error().message);
  if (opts.json_out) {
    std::cout << status->dump(2) << "\n";
    return 0;
  }
  std::cout << spec.name << " is ready (revision " << revision << ")\n";
  if (status->contains("urls"))
    for (const auto& url : (*status)["urls"]) std::cout << "  " << url.get<std::string>() << "\n";
  return 0;
}

}  // namespace

void add_up_command(CLI::App& app, Run& run) {
  auto opts = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand("up", "Build the folder's image, deploy it as a function and wait until it is ready");
  cmd->add_option("dir", opts->dir, "Folder holding svl.toml (default: .)");
  add_target_flags(cmd, opts->admin, opts->context);
  cmd->add_option("--docker-host", opts->docker_host, "Docker endpoint for the build (default: $DOCKER_HOST or the local socket)");
  cmd->add_flag("-q,--quiet", opts->quiet, "No build output");
  cmd->add_flag("--force", opts->force, "Take the function's name over from the folder that deployed it");
  cmd->add_flag("--json", opts->json_out, "Print the function's status as JSON when ready");
  cmd->callback([&run, opts] { run = [opts] { return up(*opts); }; });
}

}  // namespace svl::cli
