// `svl dev [DIR]`: deploys the folder as a dev function (<name>-dev), keeps it on a lease while it
// runs, streams its logs, and on every save restarts the replica's process (files below a
// [dev.mount] folder, which the replica reads live) or rebuilds. Ctrl-C or SIGTERM removes it;
// after a SIGKILL the daemon removes it once the lease lapses. docs/dev.md.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/cli/command.hpp"
#include "orchestrator/cli/deploy_steps.hpp"
#include "orchestrator/dev/change_plan.hpp"
#include "orchestrator/dev/dev_name.hpp"
#include "orchestrator/dev/dotenv.hpp"
#include "orchestrator/dev/watcher.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct DevOptions {
  std::string dir = ".";
  std::string name;
  std::string admin;
  std::string context;  // must name the local daemon: svl dev bind-mounts this machine's folders
  std::string docker_host;
  int lease_seconds = 15;
  bool quiet = false;
};

std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }

// Without SA_RESTART, so the watcher's poll returns at once (EINTR).
void catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::string session_token() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[16] = {};
  random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  std::ostringstream hex;
  for (unsigned char b : bytes) hex << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
  return hex.str();
}

long ms_since(Clock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// svl.toml under the dev name, with .env on top of [env]; the errors, one per line, when not.
svl::Result<orchestrator::FunctionSpec, Failure> load_dev_spec(const fs::path& dir, const std::string& name) {
  auto parsed = orchestrator::load_spec_file(dir / "svl.toml");
  if (!parsed) return Failure(orchestrator::to_string(parsed.errors));
  auto spec = std::move(*parsed.spec);
  spec.name = name.empty() ? dev::dev_function_name(spec.name) : name;
  spec.custom_domains.clear();  // they belong to the production function; the dev one has NAME-dev.<domain>
  if (!orchestrator::is_valid_function_name(spec.name))
    return Failure("--name: \"" + spec.name + "\" is not a function name ([a-z0-9-], 1-63 characters)");
  const fs::path env_file = dir / ".env";
  if (fs::exists(env_file)) {
    std::ifstream in(env_file);
    std::stringstream text;
    text << in.rdbuf();
    auto env = dev::parse_dotenv(text.str(), env_file.string());
    if (!env) return Failure(orchestrator::to_string(env.error()));
    for (auto& [key, value] : *env) spec.env[key] = value;
  }
  return spec;
}

// Renews the lease every third of its length on a thread of its own; `lost` says the daemon
// refused (the function was removed, or another session holds it).
class LeaseKeeper {
public:
  LeaseKeeper(std::string socket, std::string name, json lease, std::chrono::seconds length)
      : thread_([this, socket = std::move(socket), name = std::move(name), lease = std::move(lease), length] {
          AdminClient admin(socket);
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, length / 3, [this] { return stop_; })) {
            lock.unlock();
            try {
              auto reply = admin.request("POST", "/v1/functions/" + name + "/lease", lease.dump(), 5s);
              if (reply.status == 404 || reply.status == 409) {
                std::cerr << "svl dev: the daemon gave up the dev function: " << error_message(reply) << "\n";
                lost_ = true;
              }
            } catch (const std::exception& e) {
              std::cerr << "svl dev: cannot renew the lease: " << e.what() << "\n";
            }
            lock.lock();
          }
        }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool lost() const { return lost_; }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

// Follows the replicas' log lines (each prefixed with its container) and reconnects when the
// stream ends, as it does when a replica is restarted or replaced.
class LogFollower {
public:
  LogFollower(std::string socket, std::string name)
      : thread_([this, socket = std::move(socket), name = std::move(name)] {
          AdminClient admin(socket);
          while (!stop_) {
            try {
              admin.stream("/v1/functions/" + name + "/logs?follow=1&tail=0",
                           [](std::string_view chunk) { std::cout << chunk << std::flush; }, &stop_);
            } catch (const std::exception&) {
            }
            for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(100ms);
          }
        }) {}
  ~LogFollower() {
    stop_ = true;
    thread_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int fail(const std::string& message) {
  std::cerr << "svl dev: " << message << "\n";
  return 1;
}

int dev_loop(const DevOptions& opts) {
  const auto target = resolve_admin_target(opts.admin, opts.context);
  if (target.is_remote())
    return fail("svl dev works with the daemon on this machine only (it mounts this folder into the replica), and "
                "the context " + target.context + " is remote; use --context local, or svl up to deploy there");
  std::error_code ec;
  const fs::path dir = fs::canonical(opts.dir, ec);
  if (ec) return fail("folder " + opts.dir + " does not exist");
  if (!fs::exists(dir / "svl.toml"))
    return fail((dir / "svl.toml").string() + " not found; create one with `svl new NAME` or see docs/svl-toml.md");
  auto spec = load_dev_spec(dir, opts.name);
  if (!spec) return fail(spec.error().message);
  const std::string name = spec->name;
  const std::string socket = target.socket_path;
  AdminClient admin(socket);
  auto health = admin.request("GET", "/v1/health");
  if (health.status != 200) return fail("the daemon is unhealthy: " + error_message(health));

  const json lease{{"session", session_token()}, {"lease_seconds", opts.lease_seconds}};
  catch_signals();
  auto watcher = dev::Watcher::open(dir, 100ms, {"svl.toml", ".env"});
  if (!watcher) return fail(watcher.error());

  // Builds and deploys the current files; the revision, or why not.
  auto deploy = [&](const orchestrator::FunctionSpec& s) -> svl::Result<long, Failure> {
    auto image = build_image(dir, s, opts.docker_host, opts.quiet);
    if (!image) return image.error();
    auto put = put_function(admin, s, *image, dir, false, lease);
    if (!put) return put.error();
    auto ready = wait_ready(admin, s, put->revision);
    if (!ready) return ready.error();
    return put->revision;
  };
  auto remove = [&] {
    auto reply = admin.request("DELETE", "/v1/functions/" + name, {}, 90s);
    if (reply.status == 200) std::cerr << "svl dev: removed " << name << "\n";
    else if (reply.status != 404) std::cerr << "svl dev: could not remove " << name << ": " << error_message(reply) << "\n";
  };

  auto first = deploy(*spec);
  if (!first) {
    // Refused (409: another svl dev holds the lease): that function is not ours to remove.
    if (first.error().status != 409) remove();
    return fail(first.error().message);
  }
  {
    auto status = admin.request("GET", "/v1/functions/" + name);
    auto body = json::parse(status.body, nullptr, false);
    std::cout << name << " is ready (revision " << *first << "); watching " << dir.string() << " (Ctrl-C to stop)\n";
    if (body.is_object() && body.contains("urls"))
      for (const auto& url : body["urls"]) std::cout << "  " << url.get<std::string>() << "\n";
    std::cout << std::flush;
  }

  long current = *first;
  int code = 0;
  {
    LeaseKeeper keeper(socket, name, lease, std::chrono::seconds(opts.lease_seconds));
    LogFollower logs(socket, name);
    while (!g_signal && !keeper.lost()) {
      auto changes = watcher->wait(500ms);
      if (!changes || g_signal) continue;
      const auto plan = changes->overflow ? dev::ChangePlan::rebuild : dev::plan_changes(changes->paths, *spec);
      if (plan == dev::ChangePlan::none) continue;
      const auto saved = Clock::now();
      if (plan == dev::ChangePlan::restart) {
        auto reply = admin.request("POST", "/v1/functions/" + name + "/restart", "{}");
        auto ready = reply.status == 202 ? wait_ready(admin, *spec, current) : svl::Result<json, Failure>(Failure(error_message(reply)));
        if (ready) std::cerr << "svl dev: restarted in " << ms_since(saved) << " ms\n";
        else std::cerr << "svl dev: restart failed: " << ready.error().message << "\n";
        continue;
      }
      std::cerr << "svl dev: " << (changes->overflow ? "many changes" : dev::rebuild_reason(changes->paths, *spec))
                << " changed: rebuilding\n";
      auto next = load_dev_spec(dir, opts.name);
      if (!next) {
        std::cerr << "svl dev: " << next.error().message << "\n(the running revision keeps serving)\n";
        continue;
      }
      auto revision = deploy(*next);
      if (!revision) {
        std::cerr << "svl dev: " << revision.error().message << "\n(the running revision keeps serving)\n";
        continue;
      }
      spec = std::move(next);
      current = *revision;
      std::cerr << "svl dev: revision " << *revision << " ready in " << ms_since(saved) << " ms\n";
    }
    if (keeper.lost()) code = 1;
    remove();
  }
  return code;
}

}  // namespace

void add_dev_command(CLI::App& app, Run& run) {
  auto opts = std::make_shared<DevOptions>();
  auto* cmd = app.add_subcommand("dev", "Run the folder as a dev function that reloads on save, until Ctrl-C");
  cmd->add_option("dir", opts->dir, "Folder holding svl.toml (default: .)");
  cmd->add_option("--name", opts->name, "Name of the dev function (default: <name>-dev)");
  add_target_flags(cmd, opts->admin, opts->context);
  cmd->add_option("--docker-host", opts->docker_host, "Docker endpoint for builds (default: $DOCKER_HOST or the local socket)");
  cmd->add_option("--lease", opts->lease_seconds, "Seconds the daemon keeps the dev function after svl dev stops renewing")
      ->check(CLI::Range(3, 3600));
  cmd->add_flag("-q,--quiet", opts->quiet, "No build output");
  cmd->callback([&run, opts] { run = [opts] { return dev_loop(*opts); }; });
}

}  // namespace svl::cli
