#pragma once
// `svl daemon`: one process with the gateway, autoscaler, reconciler, admin API and metrics.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/daemon/pricing.hpp"

namespace svl::orchestrator {

struct DaemonOptions {
  std::string listen = "127.0.0.1:8080";          // gateway
  std::string admin;                               // default <state_dir>/svl.sock
  // The admin API over HTTPS for remote use (docs/remote.md); "" = the unix socket only. Its
  // certificate: admin_cert and admin_key, else a self-signed one made at first start.
  std::string admin_listen;
  std::string admin_cert;
  std::string admin_key;
  // The largest build context a remote svl up may upload (POST /v1/builds), a size.
  std::string max_build_context = "512MiB";
  std::string metrics_listen = "127.0.0.1:9180";  // Prometheus /metrics
  std::string state_dir;                           // default /var/lib/svl as root
  std::string docker_host;                         // default $DOCKER_HOST or the local socket
  std::vector<std::string> domains{"localhost"};
  unsigned gateway_threads = 0;  // gateway workers; 0 = one per core (docs/gateway.md, "Threads")
  // Memory all replicas may hold together: "auto" (75 % of this machine's RAM), "off", or a size.
  std::string memory_budget = "auto";
  // How long a function's extra slots (beyond one) stay, stopped, before their sandboxes go.
  std::string idle_slot_ttl = "10m";
  // How the gateway reaches replicas: "netns" (a socket made inside the sandbox's network
  // namespace; nothing is published on the host), "published" (each sandbox publishes the app's
  // port on 127.0.0.1, through docker-proxy), or "auto" (netns where it works, else published).
  std::string data_path = "auto";
  // svl's bridge network, which every sandbox joins (made at start when missing; docs/isolation.md).
  std::string network = "svl";
  // HTTPS (docs/https.md). tls_listen "" = no HTTPS listener. Certificates: <certs_dir>/NAME.crt
  // and NAME.key (default <state_dir>/certs), reloaded when they change and on SIGHUP.
  std::string tls_listen;
  std::string certs_dir;
  // Served at /.well-known/acme-challenge/ on the plain port (default <state_dir>/acme-webroot).
  std::string acme_webroot;
  bool redirect_http = false;      // the plain port answers 308 to https (needs tls_listen)
  std::uint32_t hsts_max_age = 0;  // seconds of Strict-Transport-Security; 0 = none
  std::string tls_handshake_timeout = "10s";  // a stalled handshake is closed after this
  unsigned tls_max_handshakes = 256;          // in progress at once; more are closed at accept
  std::chrono::milliseconds tick{1000};
  std::string label;                               // "key=value" added to every container (tests)
  Pricing pricing;                                 // [pricing] in the config file; none by default
};

// Reads the TOML form of the options (same keys as the flags, with '_' for '-'). Keys given in
// the file fill in what the flags left at their defaults. Errors name the file, line and key.
void load_daemon_config(const std::filesystem::path& file, DaemonOptions& options,
                        const std::vector<std::string>& keys_set_by_flags);

// The memory budget in bytes for --memory-budget's value (none for "off"). Throws
// std::invalid_argument naming the problem.
std::optional<std::uint64_t> resolve_memory_budget(const std::string& value);
// A size flag's value ("512MiB"), more than 0. Throws std::invalid_argument naming the problem.
std::uint64_t resolve_size(const std::string& value);
// A duration flag's value ("10m", "30s", ...). Throws std::invalid_argument naming the problem.
std::chrono::milliseconds resolve_duration(const std::string& value);
// --data-path's value, checked: auto, netns or published. Throws std::invalid_argument.
std::string resolve_data_path(const std::string& value);

// Runs until SIGTERM/SIGINT; returns the exit code.
int run_daemon(DaemonOptions options);

}  // namespace svl::orchestrator
