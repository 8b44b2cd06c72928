#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "orchestrator/cli/command.hpp"
#include "orchestrator/daemon/daemon.hpp"

namespace svl::cli {

void add_daemon_command(CLI::App& app, Run& run) {
  auto opts = std::make_shared<orchestrator::DaemonOptions>();
  auto config = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("daemon", "Run the gateway, autoscaler, reconciler, admin API and metrics");
  cmd->add_option("--listen", opts->listen, "Gateway address")->capture_default_str();
  cmd->add_option("--admin", opts->admin, "Admin API unix socket (default <state-dir>/svl.sock)");
  cmd->add_option("--metrics-listen", opts->metrics_listen, "Prometheus /metrics address")->capture_default_str();
  cmd->add_option("--state-dir", opts->state_dir, "Registry and socket folder (default /var/lib/svl as root)");
  cmd->add_option("--docker-host", opts->docker_host, "Docker endpoint: unix:///path or tcp://host:port");
  cmd->add_option("--domain", opts->domains, "Domains routed as NAME.<domain> (repeatable)")->capture_default_str();
  cmd->add_option("--gateway-threads", opts->gateway_threads, "Gateway workers (0 = one per core)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--memory-budget", opts->memory_budget,
                  "Memory all replicas may hold together: auto (75% of RAM), off, or a size like 16GiB")
      ->capture_default_str();
  cmd->add_option("--idle-slot-ttl", opts->idle_slot_ttl,
                  "How long a function's extra slots stay, stopped, before their sandboxes are removed")
      ->capture_default_str();
  cmd->add_option("--data-path", opts->data_path,
                  "How the gateway reaches replicas: netns (inside each sandbox, nothing published), published "
                  "(127.0.0.1 ports through docker-proxy), or auto")
      ->check(CLI::IsMember({"auto", "netns", "published"}))
      ->capture_default_str();
  cmd->add_option("--network", opts->network, "svl's bridge network, which every sandbox joins (made when missing)")
      ->capture_default_str();
  cmd->add_option("--tls-listen", opts->tls_listen, "HTTPS address ADDR:PORT (off when empty; docs/https.md)");
  cmd->add_option("--certs-dir", opts->certs_dir, "Certificates NAME.crt/NAME.key by SNI (default <state-dir>/certs)");
  cmd->add_option("--acme-webroot", opts->acme_webroot,
                  "Served at /.well-known/acme-challenge/ for certbot --webroot (default <state-dir>/acme-webroot)");
  cmd->add_flag("--redirect-http", opts->redirect_http, "Answer plain HTTP with 308 to https (needs --tls-listen)");
  cmd->add_option("--hsts-max-age", opts->hsts_max_age, "Strict-Transport-Security max-age in seconds (0 = off)")
      ->check(CLI::Range(0, 63072000))
      ->capture_default_str();
  cmd->add_option("--tls-handshake-timeout", opts->tls_handshake_timeout, "A TLS handshake that takes longer is closed")
      ->capture_default_str();
  cmd->add_option("--tls-max-handshakes", opts->tls_max_handshakes,
                  "TLS handshakes in progress at once; connections beyond it are closed at accept")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  cmd->add_option("--admin-listen", opts->admin_listen,
                  "Also serve the admin API over HTTPS at ADDR:PORT, for remote CLIs with tokens (docs/remote.md)");
  cmd->add_option("--admin-cert", opts->admin_cert, "Certificate of the admin HTTPS listener (default: self-signed)");
  cmd->add_option("--admin-key", opts->admin_key, "Key of --admin-cert");
  cmd->add_option("--max-build-context", opts->max_build_context, "Largest build context a remote svl up may upload")
      ->capture_default_str();
  cmd->add_option("--config", *config, "TOML file with the same settings (flags win)")->check(CLI::ExistingFile);
  cmd->add_option("--label", opts->label, "KEY=VALUE label added to every container (used by tests)");
  cmd->callback([&run, opts, config, cmd] {
    run = [opts, config, cmd] {
      try {
        if (!config->empty()) {
          std::vector<std::string> by_flags;
          for (const char* key : {"listen", "admin", "metrics-listen", "state-dir", "docker-host", "domain", "gateway-threads",
                                  "memory-budget", "idle-slot-ttl", "data-path", "network", "tls-listen", "certs-dir", "acme-webroot",
                                  "redirect-http", "hsts-max-age", "tls-handshake-timeout", "tls-max-handshakes", "admin-listen", "admin-cert", "admin-key", "max-build-context"}) {
            if (cmd->count(std::string("--") + key) == 0) continue;
            std::string k = key;
            for (auto& c : k) if (c == '-') c = '_';
            if (k == "domain") k = "domains";
            by_flags.push_back(k);
          }
          orchestrator::load_daemon_config(*config, *opts, by_flags);
        }
        return orchestrator::run_daemon(*opts);
      } catch (const std::exception& e) {
        std::cerr << "svl daemon: " << e.what() << "\n";
        return 1;
      }
    };
  });
}

}  // namespace svl::cli
