// `svl up [DIR]`: validate svl.toml, build the image through the Docker Engine API, register the
// revision with the daemon, wait until it is ready, print the function's URLs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/base_image.hpp"
#include "orchestrator/cli/command.hpp"
#include "orchestrator/docker/client.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using orchestrator::load_spec_file;
using orchestrator::to_json;

struct UpOptions {
  std::string dir = ".";
  std::string admin;
  std::string docker_host;
  bool quiet = false;
  bool force = false;
  bool json_out = false;
};

// Build output: every line when piped, one self-overwriting progress line on a terminal.
class BuildPrinter {
public:
  explicit BuildPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO)) {}
  void line(std::string_view text) {
    if (quiet_) return;
    std::string s(text);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) return;
    if (!tty_) {
      std::cerr << s << "\n";
      return;
    }
    if (s.rfind("Step ", 0) == 0) step_ = s;
    std::string shown = step_.empty() ? s : step_;
    if (shown.size() > 100) shown = shown.substr(0, 97) + "...";
    std::cerr << "\r\033[K" << shown << std::flush;
  }
  void done() {
    if (tty_ && !quiet_) std::cerr << "\r\033[K" << std::flush;
  }

private:
  bool quiet_, tty_;
  std::string step_;
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
  AdminClient admin(resolve_admin_socket(opts.admin));
  auto health = admin.request("GET", "/v1/health");
  if (health.status != 200) return fail("the daemon is unhealthy: " + error_message(health));

  std::string image = spec.image;
  if (spec.build) {
    docker::ClientOptions dopts;
    dopts.host = opts.docker_host;
    docker::Client docker(dopts);
    docker::BuildOptions build;
    build.context_dir = (dir / spec.build->context).lexically_normal();
    if (!fs::is_directory(build.context_dir))
      return fail("svl.toml: build.context: folder " + build.context_dir.string() + " does not exist");
    build.dockerfile = spec.build->dockerfile;
    if (!fs::exists(build.context_dir / build.dockerfile))
      return fail("svl.toml: build.dockerfile: " + (build.context_dir / build.dockerfile).string() + " does not exist");
    build.build_args = spec.build->args;
    build.tags = {"svl/" + spec.name + ":latest"};
    build.labels = {{"svl.managed", "true"}, {"svl.function", spec.name}};
    if (!opts.quiet) std::cerr << "building " << spec.name << " from " << build.context_dir.string() << "\n";
    BuildPrinter printer(opts.quiet);
    std::string last_step;  // "Step 2/5 : FROM ..." when the base image is what failed
    auto built = docker.build_image(build, [&](std::string_view line) {
      if (line.rfind("Step ", 0) == 0) last_step = std::string(line.substr(0, line.find('\n')));
      printer.line(line);
    });
    printer.done();
    if (!built) {
      if (built.error().code == docker::Errc::unreachable)
        return fail("cannot reach Docker to build the image: " + built.error().message + " (is dockerd running?)");
      std::ifstream dockerfile_in(build.context_dir / build.dockerfile);
      const std::string dockerfile{std::istreambuf_iterator<char>(dockerfile_in), std::istreambuf_iterator<char>()};
      if (auto why = base_image_error(last_step, dockerfile, build.build_args, built.error().message); !why.empty())
        return fail("build failed: " + why);
      return fail("build failed: " + built.error().message);
    }
    image = built->image_id;
  }

  json body{{"spec", to_json(spec)}, {"image", image}, {"source_dir", dir.string()}, {"force", opts.force}};
  auto put = admin.request("PUT", "/v1/functions/" + spec.name, body.dump(), std::chrono::minutes(2));
  if (put.status != 200 && put.status != 201) {
    auto msg = error_message(put);
    if (put.status == 409) msg += " (run `svl up --force` to move the name to this folder)";
    return fail(msg);
  }
  auto deployed = json::parse(put.body, nullptr, false);
  long revision = deployed.value("revision", 0L);
  if (!opts.quiet && !opts.json_out)
    std::cerr << (deployed.value("created", false) ? "deployed " : "unchanged: ") << spec.name << " revision " << revision
              << "; waiting until it is ready\n";

  auto timeout_ms = spec.health.start_timeout.count() + 5000;
  auto ready = admin.request("POST",
                             "/v1/functions/" + spec.name + "/ready?revision=" + std::to_string(revision) +
                                 "&timeout=" + std::to_string(timeout_ms) + "ms",
                             "{}", std::chrono::milliseconds(timeout_ms + 10000));
  if (ready.status != 200) {
    auto reply = json::parse(ready.body, nullptr, false);
    std::cerr << "svl up: " << error_message(ready) << "\n";
    if (reply.is_object() && reply.contains("details") && reply["details"].contains("logs")) {
      auto logs = reply["details"]["logs"].get<std::string>();
      if (!logs.empty()) std::cerr << "last log lines:\n" << logs;
    }
    return 1;
  }
  auto status = json::parse(ready.body, nullptr, false);
  if (opts.json_out) {
    std::cout << status.dump(2) << "\n";
    return 0;
  }
  std::cout << spec.name << " is ready (revision " << revision << ")\n";
  if (status.contains("urls"))
    for (const auto& url : status["urls"]) std::cout << "  " << url.get<std::string>() << "\n";
  return 0;
}

}  // namespace

void add_up_command(CLI::App& app, Run& run) {
  auto opts = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand("up", "Build the folder's image, deploy it as a function and wait until it is ready");
  cmd->add_option("dir", opts->dir, "Folder holding svl.toml (default: .)");
  cmd->add_option("--admin", opts->admin, "Admin socket of the daemon (default: $SVL_ADMIN, then <state-dir>/svl.sock)");
  cmd->add_option("--docker-host", opts->docker_host, "Docker endpoint for the build (default: $DOCKER_HOST or the local socket)");
  cmd->add_flag("-q,--quiet", opts->quiet, "No build output");
  cmd->add_flag("--force", opts->force, "Take the function's name over from the folder that deployed it");
  cmd->add_flag("--json", opts->json_out, "Print the function's status as JSON when ready");
  cmd->callback([&run, opts] { run = [opts] { return up(*opts); }; });
}

}  // namespace svl::cli
