#include "orchestrator/daemon/daemon.hpp"

#include "orchestrator/daemon/daemon_log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <random>
#include <iostream>
#include <toml++/toml.h>

#include "common/units.hpp"
#include "common/version.hpp"
#include "gateway/netns.hpp"
#include "orchestrator/admin/admin_server.hpp"
#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/daemon/admin_api.hpp"
#include "orchestrator/daemon/admin_ops.hpp"
#include "orchestrator/daemon/controller.hpp"
#include "orchestrator/daemon/cron_runner.hpp"
#include "orchestrator/daemon/host_firewall.hpp"
#include "orchestrator/daemon/https.hpp"
#include "orchestrator/daemon/remote_admin.hpp"
#include "orchestrator/daemon/secret_store.hpp"
#include "orchestrator/secrets/secret_box.hpp"
#include "orchestrator/daemon/svl_network.hpp"
#include "orchestrator/control/names.hpp"
#include "orchestrator/runtime/docker_runtime.hpp"
#include "tls/cert_store.hpp"
#include "orchestrator/metrics/cron_metrics.hpp"
#include "orchestrator/metrics/metrics_server.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace names = control::names;

namespace {

// A token only this daemon knows: its own calls through the gateway carry it (X-Svl-Internal).
std::string random_token() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    out += buf;
  }
  return out;
}

// Where the daemon itself reaches a gateway listening on `host` (any address: loopback).
std::string loopback_for(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "::" || host == "[::]") return "::1";
  return host;
}

std::pair<std::string, std::uint16_t> split_host_port(const std::string& text, const char* what) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument(std::string(what) + ": expected ADDR:PORT, got \"" + text + "\"");
  int port = std::atoi(text.c_str() + colon + 1);
  if (port < 0 || port > 65535 || text.substr(colon + 1).find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + ": bad port in \"" + text + "\"");
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

// The gateway reports into the controller; set once the controller exists.
struct GatewayBridge final : gateway::Listener, gateway::Observer {
  Controller* controller = nullptr;
  Metrics& metrics;
  TlsMetrics& tls_metrics;
  GatewayBridge(Metrics& m, TlsMetrics& t) : metrics(m), tls_metrics(t) {}
  void on_capacity_needed(const std::string& function, std::size_t queued) override {
    if (controller) controller->capacity_needed(function, queued);
  }
  void on_replica_drained(const std::string& function, const std::string& replica_id) override {
    if (controller) controller->replica_drained(function, replica_id);
  }
  void on_replica_unreachable(const std::string& function, const std::string& replica_id) override {
    if (controller) controller->replica_unreachable(function, replica_id);
  }
  void on_request_done(const std::string& function, unsigned status, double total, double held) override {
    metrics.request_done(function, static_cast<int>(status), total, held);
  }
  void on_rejected(const std::string& function, std::string_view reason) override {
    if (auto r = reject_reason_from_label(reason)) metrics.rejected(function, *r);
  }
  void on_tls_handshake(std::string_view result, double seconds) override { tls_metrics.handshake(result, seconds); }
};

struct DockerMetrics final : docker::Observer {
  Metrics& metrics;
  explicit DockerMetrics(Metrics& m) : metrics(m) {}
  void on_call(std::string_view operation, std::chrono::nanoseconds latency, const docker::Error* error) override {
    DockerOutcome outcome = DockerOutcome::ok;
    if (error) {
      switch (error->code) {
        case docker::Errc::not_found: outcome = DockerOutcome::not_found; break;
        case docker::Errc::conflict: outcome = DockerOutcome::conflict; break;
        case docker::Errc::unreachable: outcome = DockerOutcome::unreachable; break;
        case docker::Errc::timeout: outcome = DockerOutcome::timeout; break;
        default: outcome = DockerOutcome::error; break;
      }
    }
    metrics.docker_call(operation, outcome, std::chrono::duration<double>(latency).count());
  }
};

fs::path self_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

// The sandbox image: FROM scratch with svl-pause, tagged by this build's version and the
// binary's size so a rebuilt svl-pause gets a new image.
std::string ensure_sandbox_image(docker::Client& client, const fs::path& work_dir) {
  fs::path pause = self_dir() / "svl-pause";
  if (!fs::exists(pause)) throw std::runtime_error("svl-pause not found next to the svl binary (" + pause.string() + ")");
  std::string tag = std::string("svl-sandbox:") + svl::version + "-" + std::to_string(fs::file_size(pause));
  if (client.inspect_image(tag)) return tag;
  fs::path ctx = work_dir / "sandbox-image";
  fs::create_directories(ctx);
  fs::copy_file(pause, ctx / "svl-pause", fs::copy_options::overwrite_existing);
  std::ofstream(ctx / "Dockerfile") << "FROM scratch\nCOPY svl-pause /svl-pause\nENTRYPOINT [\"/svl-pause\"]\n";
  docker::BuildOptions build;
  build.context_dir = ctx;
  build.tags = {tag};
  build.labels = {{names::managed, "true"}};
  auto built = client.build_image(build);
  if (!built) throw std::runtime_error("could not build the sandbox image: " + built.error().describe());
  return tag;
}

// Whether the gateway can reach replicas inside their sandboxes' namespaces: "" if so, else why
// not. That takes entering namespaces (CAP_SYS_ADMIN), a dockerd on this machine (the pids it
// reports must be ours), and one that is not rootless (its namespaces belong to another user).
std::string netns_unavailable_with(docker::Client& client, const std::string& docker_host) {
  if (auto why = gateway::netns_unavailable(); !why.empty()) return why;
  const std::string host = docker_host.empty() ? docker::ClientOptions::default_host() : docker_host;
  if (!host.starts_with("unix://")) return "Docker is reached at " + host + ", not on this machine's socket";
  auto security = client.security_options();
  if (!security) return "cannot ask Docker whether it runs rootless: " + security.error().message;
  for (const auto& option : *security)
    if (option.find("name=rootless") != std::string::npos) return "Docker runs rootless";
  return {};
}

}  // namespace

int run_daemon(DaemonOptions options) {
  if (options.state_dir.empty()) options.state_dir = cli::default_state_dir();
  fs::create_directories(options.state_dir);
  const fs::path state_dir = fs::canonical(options.state_dir);
  ::chmod(state_dir.c_str(), 0750);
  if (options.admin.empty()) options.admin = (state_dir / "svl.sock").string();
  auto [gw_host, gw_port] = split_host_port(options.listen, "--listen");
  std::optional<std::uint64_t> memory_budget;
  std::chrono::milliseconds idle_slot_ttl{};
  try {
    memory_budget = resolve_memory_budget(options.memory_budget);
  } catch (const std::invalid_argument& e) {
    std::cerr << "svl daemon: --memory-budget " << options.memory_budget << ": " << e.what() << "\n";
    return 2;
  }
  std::uint64_t build_context_limit = 0;
  try {
    build_context_limit = resolve_size(options.max_build_context);
  } catch (const std::invalid_argument& e) {
    std::cerr << "svl daemon: --max-build-context " << options.max_build_context << ": " << e.what() << "\n";
    return 2;
  }
  try {
    (void)resolve_data_path(options.data_path);
  } catch (const std::invalid_argument& e) {
    std::cerr << "svl daemon: --data-path: " << e.what() << "\n";
    return 2;
  }
  try {
    idle_slot_ttl = resolve_duration(options.idle_slot_ttl);
  } catch (const std::invalid_argument& e) {
    std::cerr << "svl daemon: --idle-slot-ttl " << options.idle_slot_ttl << ": " << e.what() << "\n";
    return 2;
  }

  auto registry = open_registry(state_dir);
  if (!registry) {
    std::cerr << "svl daemon: cannot open the registry in " << state_dir << ": " << registry.error().message << "\n";
    return 1;
  }
  Metrics metrics(svl::version);
  std::error_code metrics_ec;
  auto metrics_server = MetricsServer::start(options.metrics_listen, metrics, metrics_ec);
  if (!metrics_server) {
    std::cerr << "svl daemon: --metrics-listen " << options.metrics_listen << ": " << metrics_ec.message() << "\n";
    return 1;
  }

  docker::ClientOptions docker_options;
  docker_options.host = options.docker_host;
  docker_options.observer = std::make_shared<DockerMetrics>(metrics);
  std::string sandbox_image;
  bool netns_data_path = false;
  SvlNetwork network;
  {
    docker::Client client(docker_options);
    if (auto ping = client.ping(); !ping) {
      std::cerr << "svl daemon: Docker is not reachable at "
                << (docker_options.host.empty() ? docker::ClientOptions::default_host() : docker_options.host) << ": "
                << ping.error().message << " (is dockerd running? `make run` starts it)\n";
      return 1;
    }
    try {
      sandbox_image = ensure_sandbox_image(client, state_dir);
    } catch (const std::exception& e) {
      std::cerr << "svl daemon: " << e.what() << "\n";
      return 1;
    }
    try {
      network = ensure_svl_network(client, options.network);
    } catch (const std::exception& e) {
      std::cerr << "svl daemon: --network " << options.network << ": " << e.what() << "\n";
      return 1;
    }
    if (options.data_path != "published") {
      const auto why = netns_unavailable_with(client, options.docker_host);
      if (!why.empty() && options.data_path == "netns") {
        std::cerr << "svl daemon: --data-path netns: " << why << "\n";
        return 1;
      }
      netns_data_path = why.empty();
      if (netns_data_path) log("data path: sockets inside each sandbox's network namespace; nothing is published");
      else log("data path: published ports through docker-proxy (" + why + ")");
    }
  }
  // Declared before everything that posts into it and destroyed after them: the Docker pool's
  // completions and the controller's coroutines all run on `ctl`.
  asio::io_context ctl(1);
  docker::AsyncClient docker_pool(docker_options, 8);
  SecretStore secret_store(**registry, secrets::key_file_path(state_dir));
  const secrets::SecretFiles secret_files(secrets_root(state_dir));
  check_secret_key(secret_store);
  runtime::DockerRuntimeOptions ropts;
  ropts.secrets = [&secret_store, &secret_files](const control::ReplicaSpec& r,
                                                 const secrets::Owner& owner) -> runtime::Result<secrets::Snapshot> {
    auto fetch = [&]() -> Result<std::map<std::string, std::string>, std::string> {
      auto values = secret_store.values(r.secrets);
      if (!values) return values.error().message;
      return std::move(*values);
    };
    auto snapshot = secret_files.ensure(r.function, r.revision, r.secrets, owner, fetch);
    if (!snapshot) return runtime::Error{control::Fault::failed, "secrets of " + r.function + ": " + snapshot.error()};
    return std::move(*snapshot);
  };
  ropts.instance = state_dir.string();
  ropts.sandbox_image = sandbox_image;
  ropts.stopping_dir = state_dir / "stopping";
  ropts.claimed_dir = state_dir / "claimed";
  ropts.netns = netns_data_path;
  ropts.network = network.name;
  ropts.events_client = docker_options;
  ropts.events_client.observer = nullptr;  // the events stream's own client is not an API call to count
  runtime::DockerRuntime runtime(docker_pool, ropts);

  TlsMetrics tls_metrics(*metrics.registry());
  GatewayBridge bridge(metrics, tls_metrics);
  gateway::Options gw;
  gw.listen_address = gw_host;
  gw.port = gw_port;
  gw.domains = options.domains;
  gw.threads = options.gateway_threads;
  gw.internal_token = random_token();
  gw.bridge_address = network.gateway;
  std::optional<Https> https;
  try {
    https.emplace(options, state_dir, tls_metrics);
    https->configure(gw);
  } catch (const std::exception& e) {
    std::cerr << "svl daemon: " << e.what() << "\n";
    return 2;
  }
  std::optional<AdminTls> admin_tls;
  std::optional<ListenAddress> admin_address;
  if (!options.admin_listen.empty()) {
    admin_address = parse_listen_address(options.admin_listen);
    if (!admin_address) {
      std::cerr << "svl daemon: --admin-listen: expected ADDR:PORT with a numeric address, got \"" << options.admin_listen
                << "\"\n";
      return 2;
    }
    try {
      admin_tls = prepare_admin_tls(options, state_dir);
    } catch (const std::exception& e) {
      std::cerr << "svl daemon: --admin-listen: " << e.what() << "\n";
      return 2;
    }
  }
  gateway::Gateway gateway(gw, bridge, bridge);
  try {
    gateway.start();
  } catch (const std::exception& e) {
    std::cerr << "svl daemon: --listen " << options.listen << (https->enabled() ? " / --tls-listen " + options.tls_listen : "")
              << ": " << e.what() << "\n";
    return 1;
  }

  // Functions call each other through the gateway, never directly (docs/isolation.md).
  const std::string bridge_url = "http://" + network.gateway + ":" + std::to_string(gateway.bridge_port());
  HostFirewall firewall(system_iptables(), {network.bridge, network.gateway, {gateway.bridge_port()},
                                            firewall_tag(state_dir.string())});
  log_isolation(network, bridge_url, firewall);

  SteadyClock clock;
  ControllerOptions copts;
  copts.core.instance = state_dir.string();
  copts.core.extra_label = options.label;
  copts.core.tick = options.tick;
  copts.core.gateway_host = gw_host;
  copts.core.memory_budget = memory_budget;
  copts.core.idle_slot_ttl = idle_slot_ttl;
  copts.core.gateway_url = bridge_url;
  copts.gateway_port = gateway.port();
  copts.domains = options.domains;
  copts.tls_port = gateway.tls_port();
  if (https->enabled()) copts.certificate_covers = [&https](const std::string& domain) { return https->covers(domain); };
  Controller controller(ctl, copts, **registry, runtime, gateway, metrics, clock);
  bridge.controller = &controller;
  CronMetrics cron_metrics(*metrics.registry());
  CronRunner cron(ctl, {loopback_for(gw_host), gateway.port(), gw.internal_token}, controller.core(), **registry,
                  cron_metrics);

  int exit_code = 0;
  const std::string gateway_url = "http://" + gw_host + ":" + std::to_string(gateway.port());
  AdminOps admin_ops(ctl, controller, **registry, runtime, clock, &secret_store, &secret_files);
  AdminAccess admin_access(**registry, clock);
  AdminContext admin_context{admin_access, controller, admin_ops, cron, **registry, docker_options, docker_pool, svl::version, gateway_url, options.pricing,
                             &secret_store};
  AdminServer admin(ctl.get_executor(), options.admin,
                    [&admin_context](AdminRequest req) { return handle_admin(std::move(req), admin_context); });
  // Remote svl up's contexts go to disk, and only once the token in the header allows a build.
  admin.accept_uploads({"/v1/builds", (state_dir / "uploads").string(), build_context_limit,
                        [&admin_access](const AdminRequest& head) { return admin_access.check(head); }});

  asio::co_spawn(ctl, controller.start(), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "svl daemon: start-up failed: " << ex.what() << "\n";
      }
      exit_code = 1;
      ctl.stop();
      return;
    }
    cron.start();
    try {
      admin.start();
    } catch (const std::exception& ex) {
      std::cerr << "svl daemon: --admin " << options.admin << ": " << ex.what() << "\n";
      exit_code = 1;
      ctl.stop();
      return;
    }
    std::string admin_url;
    if (admin_tls) {
      try {
        const auto port = admin.listen_tls(admin_address->host, admin_address->port, admin_tls->store->server_context());
        const auto host = admin_address->ipv6 ? "[" + admin_address->host + "]" : admin_address->host;
        admin_url = "https://" + host + ":" + std::to_string(port);
      } catch (const std::exception& ex) {
        std::cerr << "svl daemon: --admin-listen " << options.admin_listen << ": " << ex.what() << "\n";
        exit_code = 1;
        ctl.stop();
        return;
      }
      log("admin API on " + admin_url + ", certificate " + admin_tls->fingerprint +
          (admin_tls->generated ? " (self-signed, made now)" : "") + "; trust it with: svl context add NAME " +
          admin_url + " --fingerprint " + admin_tls->fingerprint + " --token-file FILE");
    }
    // One line that scripts and tests can wait for.
    std::cout << "svl daemon ready: gateway " << gateway_url << " admin " << options.admin << " metrics "
              << metrics_server->url();
    if (gateway.tls_port()) std::cout << " https https://" << gw.tls.listen_address << ":" << gateway.tls_port();
    if (admin_tls) std::cout << " admin_https " << admin_url << " " << admin_tls->fingerprint;
    std::cout << std::endl;
  });

  https->watch(ctl);
  asio::signal_set signals(ctl, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + "; finishing in-flight requests");
    https->stop();
    cron.stop();
    admin.stop();
    admin_ops.stop();
    controller.stop();   // held requests get 503 + Retry-After now; nothing new starts
    gateway.shutdown();  // stop accepting, let in-flight requests finish (bounded)
    ctl.stop();
  });
  ctl.run();
  signals.cancel();
  https->stop();
  cron.stop();
  admin.stop();
  admin_ops.stop();
  controller.stop();
  gateway.shutdown();
  bridge.controller = nullptr;
  // Docker calls still running (a stop in its grace, say) are cancelled, then their completions
  // run on `ctl` before anything they refer to is destroyed.
  docker_pool.cancel();
  docker_pool.shutdown();
  ctl.restart();
  ctl.run();
  log("stopped; replicas keep running and are adopted by the next start");
  return exit_code;
}

}  // namespace svl::orchestrator
