#include "orchestrator/cli/deploy_steps.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include "orchestrator/cli/base_image.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/docker/build_context.hpp"
#include "orchestrator/docker/client.hpp"
#include "orchestrator/spec/spec_json.hpp"

namespace svl::cli {

namespace fs = std::filesystem;
using nlohmann::json;
using orchestrator::FunctionSpec;

namespace {

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

}  // namespace

namespace {

// POST /v1/builds: the daemon builds the uploaded context; its NDJSON answer carries the lines,
// then the image or the error, which read as a local build's would.
docker::Result<docker::BuildResult> build_on_daemon(AdminClient& daemon, const docker::BuildOptions& build,
                                                    const std::string& function, const docker::Client::BuildLineCallback& on_line) {
  // Packed to a file and sent as it is read: a big context is never held whole in memory.
  std::string tar = (fs::temp_directory_path() / "svl-context-XXXXXX").string();
  const int fd = ::mkstemp(tar.data());
  if (fd < 0) return docker::Error{docker::Errc::invalid_argument, 0, "cannot make a temporary file for the build context"};
  ::close(fd);
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove_tar{tar};
  if (auto packed = docker::write_build_context(build.context_dir, build.dockerfile, tar); !packed)
    return std::move(packed).error();
  std::string path = "/v1/builds?function=" + url_encode(function) + "&dockerfile=" + url_encode(build.dockerfile);
  if (!build.build_args.empty()) path += "&args=" + url_encode(json(build.build_args).dump());
  docker::BuildResult result;
  std::optional<docker::Error> failure;
  std::string pending, body;
  auto on_message = [&](std::string_view text) {
    auto message = json::parse(text, nullptr, false);
    if (!message.is_object()) return;
    if (auto line = message.find("line"); line != message.end() && line->is_string()) on_line(line->get<std::string>());
    if (auto image = message.find("image"); image != message.end() && image->is_string()) result.image_id = *image;
    if (auto error = message.find("error"); error != message.end() && error->is_string()) {
      const std::string code = message.value("code", "");
      failure = docker::Error{code == "build_failed" ? docker::Errc::build_failed
                              : code == "unreachable" ? docker::Errc::unreachable
                                                      : docker::Errc::server_error,
                              0, error->get<std::string>()};
    }
  };
  const long status = daemon.upload(path, tar, "application/x-tar", [&](std::string_view chunk) {
    body.append(chunk);  // a refusal's JSON error, for the message below
    pending.append(chunk);
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      on_message(std::string_view(pending).substr(0, nl));
      pending.erase(0, nl + 1);
    }
  });
  if (status != 200) return docker::Error{docker::Errc::bad_request, static_cast<int>(status),
                                          "the daemon refused the build: " + error_message({status, body})};
  if (failure) return *failure;
  if (result.image_id.empty()) return docker::Error{docker::Errc::malformed_reply, 200, "the daemon's build answer ended without an image"};
  return result;
}

}  // namespace

svl::Result<std::string, Failure> build_image(const fs::path& dir, const FunctionSpec& spec, const std::string& docker_host,
                                              bool quiet, AdminClient* on_daemon) {
  if (!spec.build) return spec.image;
  docker::BuildOptions build;
  build.context_dir = (dir / spec.build->context).lexically_normal();
  if (!fs::is_directory(build.context_dir))
    return Failure("svl.toml: build.context: folder " + build.context_dir.string() + " does not exist");
  build.dockerfile = spec.build->dockerfile;
  if (!fs::exists(build.context_dir / build.dockerfile))
    return Failure("svl.toml: build.dockerfile: " + (build.context_dir / build.dockerfile).string() + " does not exist");
  build.build_args = spec.build->args;
  build.tags = {"svl/" + spec.name + ":latest"};
  build.labels = {{"svl.managed", "true"}, {"svl.function", spec.name}};
  if (!quiet)
    std::cerr << "building " << spec.name << " from " << build.context_dir.string()
              << (on_daemon ? " on " + on_daemon->target().remote.url : std::string()) << "\n";
  BuildPrinter printer(quiet);
  std::string last_step;  // "Step 2/5 : FROM ..." when the base image is what failed
  auto on_line = [&](std::string_view line) {
    if (line.rfind("Step ", 0) == 0) last_step = std::string(line.substr(0, line.find('\n')));
    printer.line(line);
  };
  docker::Result<docker::BuildResult> built = docker::Error{};
  if (on_daemon) {
    built = build_on_daemon(*on_daemon, build, spec.name, on_line);
  } else {
    docker::ClientOptions dopts;
    dopts.host = docker_host;
    docker::Client docker(dopts);
    built = docker.build_image(build, on_line);
  }
  printer.done();
  if (!built) {
    if (built.error().code == docker::Errc::bad_request) return Failure(built.error().message, built.error().http_status);
    if (built.error().code == docker::Errc::unreachable)
      return Failure("cannot reach Docker to build the image: " + built.error().message + " (is dockerd running?)");
    std::ifstream dockerfile_in(build.context_dir / build.dockerfile);
    const std::string dockerfile{std::istreambuf_iterator<char>(dockerfile_in), std::istreambuf_iterator<char>()};
    if (auto why = base_image_error(last_step, dockerfile, build.build_args, built.error().message); !why.empty())
      return Failure("build failed: " + why);
    return Failure("build failed: " + built.error().message);
  }
  return built->image_id;
}

svl::Result<Deployed, Failure> put_function(AdminClient& admin, const FunctionSpec& spec, const std::string& image,
                                            const fs::path& dir, bool force, const json& dev) {
  json body{{"spec", orchestrator::to_json(spec)}, {"image", image}, {"source_dir", dir.string()}, {"force", force}};
  if (!dev.is_null()) body["dev"] = dev;
  auto put = admin.request("PUT", "/v1/functions/" + spec.name, body.dump(), std::chrono::minutes(2));
  if (put.status != 200 && put.status != 201) {
    auto msg = error_message(put);
    const auto reply = json::parse(put.body, nullptr, false);
    const bool domain_clash = reply.is_object() && reply.contains("details") && reply["details"].is_object() &&
                              reply["details"].contains("clashes");
    if (put.status == 409 && dev.is_null() && !domain_clash)
      msg += " (run `svl up --force` to move the name to this folder)";
    return Failure(msg, put.status);
  }
  auto deployed = json::parse(put.body, nullptr, false);
  Deployed out{deployed.value("revision", 0L), deployed.value("created", false)};
  if (deployed.is_object() && deployed.contains("warnings") && deployed["warnings"].is_array())
    for (const auto& w : deployed["warnings"])
      if (w.is_string()) out.warnings.push_back(w.get<std::string>());
  return out;
}

void print_warnings(std::ostream& out, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) out << "warning: " << w << "\n";
}

svl::Result<json, Failure> wait_ready(AdminClient& admin, const FunctionSpec& spec, long revision) {
  const auto timeout_ms = spec.health.start_timeout.count() + 5000;
  auto ready = admin.request("POST",
                             "/v1/functions/" + spec.name + "/ready?revision=" + std::to_string(revision) +
                                 "&timeout=" + std::to_string(timeout_ms) + "ms",
                             "{}", std::chrono::milliseconds(timeout_ms + 10000));
  if (ready.status != 200) {
    std::string message = error_message(ready);
    auto reply = json::parse(ready.body, nullptr, false);
    if (reply.is_object() && reply.contains("details") && reply["details"].contains("logs")) {
      auto logs = reply["details"]["logs"].get<std::string>();
      if (!logs.empty()) message += "\nlast log lines:\n" + logs;
    }
    return Failure(message);
  }
  return json::parse(ready.body, nullptr, false);
}

}  // namespace svl::cli
