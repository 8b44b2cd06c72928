// The gateway library with one static function and one replica, for bench/gateway/run.sh.
// With --netns the replica is reached inside that network namespace (a container's own loopback),
// as the daemon does on its netns data path.
// With --certs-dir it also serves HTTPS (the daemon's CertStore: default.crt/default.key there).
// Prints "listening on <port>" (and "tls listening on <port>") and serves until SIGINT/SIGTERM
// (then a graceful shutdown).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include <openssl/ssl.h>

#include <CLI/CLI.hpp>

#include "gateway/gateway.hpp"
#include "gateway/netns.hpp"
#include "tls/cert_store.hpp"

namespace {
struct NoopListener : svl::gateway::Listener {
  void on_capacity_needed(const std::string&, std::size_t) override {}
  void on_replica_drained(const std::string&, const std::string&) override {}
};
// Handshakes by result, printed at exit: tells a refused or failed handshake from a client's error.
struct HandshakeCounter : svl::gateway::Observer {
  std::mutex mutex;
  std::map<std::string, unsigned long, std::less<>> results;
  void on_tls_handshake(std::string_view result, double) override {
    std::lock_guard lock(mutex);
    auto it = results.find(result);
    if (it == results.end()) it = results.emplace(std::string(result), 0).first;
    ++it->second;
  }
};
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"svl gateway benchmark server"};
  svl::gateway::Options options;
  options.port = 0;
  std::string function = "bench";
  std::uint16_t upstream_port = 0;
  std::string upstream_host = "127.0.0.1";
  unsigned concurrency = 0;
  app.add_option("--port", options.port, "listen port (0 = any)");
  app.add_option("--threads", options.threads, "gateway threads");
  app.add_option("--function", function, "function name (Host: NAME.localhost or /fn/NAME)");
  app.add_option("--upstream-port", upstream_port, "replica port")->required();
  app.add_option("--upstream-host", upstream_host, "replica address");
  std::string netns;
  app.add_option("--netns", netns,
                 "the replica's network namespace (/proc/<pid>/ns/net of a container): upstream sockets are made "
                 "there and --upstream-host:--upstream-port is inside it, e.g. its 127.0.0.1");
  app.add_option("--container-concurrency", concurrency, "0 = unlimited");
  app.add_option("--max-connections", options.max_connections_per_replica,
                 "upstream connections before a request waits for one to come back (0 = no limit)");
  std::string certs_dir;
  std::string ciphersuites;
  options.tls.port = 0;
  app.add_option("--certs-dir", certs_dir, "serve HTTPS too, with the certificates of this directory");
  app.add_option("--tls-port", options.tls.port, "HTTPS listen port (0 = any)");
  app.add_option("--tls-max-handshakes", options.tls.max_handshakes, "handshakes in progress at once");
  app.add_option("--tls13-ciphersuites", ciphersuites,
                 "TLS 1.3 only, with these suites (to pin what a peer like nginx is given too)");
  CLI11_PARSE(app, argc, argv);

  if (!certs_dir.empty()) {
    options.tls.certs = std::make_shared<svl::tls::CertStore>(certs_dir);
    for (const auto& c : options.tls.certs->reload())
      if (!c.error.empty()) std::cerr << "--certs-dir: " << c.error << "\n";
    // The handshake runs on this context (SNI only swaps the certificate), so it decides the
    // protocol version and suite.
    auto* ctx = options.tls.certs->server_context();
    if (!ciphersuites.empty() &&
        (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str()) != 1)) {
      std::cerr << "--tls13-ciphersuites: not accepted: " << ciphersuites << "\n";
      return 2;
    }
  }

  svl::gateway::ReplicaEndpoint endpoint{"r1", upstream_host, upstream_port};
  if (!netns.empty()) {
    if (auto why = svl::gateway::netns_unavailable(); !why.empty()) {
      std::cerr << "--netns: " << why << "\n";
      return 2;
    }
    endpoint.netns = netns;
    endpoint.netns_inode = svl::gateway::netns_inode(netns);
    if (endpoint.netns_inode == 0) {
      std::cerr << "--netns: cannot read " << netns << "\n";
      return 2;
    }
  }

  // Block the signals before the gateway starts its threads so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  NoopListener listener;
  HandshakeCounter observer;
  svl::gateway::Gateway gateway(options, listener, observer);
  gateway.start();
  svl::gateway::FunctionRoute route;
  route.name = function;
  route.container_concurrency = concurrency;
  gateway.upsert_function(route);
  gateway.add_replica(function, endpoint);
  std::cout << "listening on " << gateway.port() << std::endl;
  if (options.tls.certs) std::cout << "tls listening on " << gateway.tls_port() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  gateway.shutdown();
  auto load = gateway.load(function);
  std::cout << "requests " << load.requests_total << " concurrency-seconds " << load.concurrency_integral << std::endl;
  if (options.tls.certs) {
    std::cout << "tls handshakes";
    for (const auto& [result, n] : observer.results) std::cout << " " << result << " " << n;
    std::cout << std::endl;
  }
  return 0;
}
