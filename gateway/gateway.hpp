#pragma once
// The svl gateway: an HTTP/1.1 reverse proxy in front of function replicas that holds requests
// through cold starts. Free of Beast/Asio: the implementation lives behind a pimpl.
//
// Threading: control-plane methods are thread-safe and never block on I/O. Listener and Observer
// callbacks run on gateway threads and must not block. Do not call shutdown() or the destructor
// from a gateway thread (a callback).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace svl::tls {
class CertStore;
}

namespace svl::gateway {

// The HTTPS listener (docs/https.md). Each worker accepts on it too, and a TLS connection is
// served like a plain one after its handshake.
struct TlsOptions {
  std::shared_ptr<tls::CertStore> certs{};  // null: no HTTPS listener; reloading it is the caller's
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 = any free port, see Gateway::tls_port()
  std::chrono::milliseconds handshake_timeout{10000};  // a stalled handshake is closed
  unsigned max_handshakes = 256;  // in progress at once, whole gateway; more are closed at once
  std::uint32_t hsts_max_age = 0;  // seconds of Strict-Transport-Security on HTTPS answers; 0: none
};

struct Options {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port, see Gateway::port()
  std::vector<std::string> domains{"localhost"};  // Host: NAME.<domain> routes to NAME
  // Workers: each a thread with its own io_context, SO_REUSEPORT listener and upstream
  // connections (a request never leaves the worker that accepted it). 0 = one per core.
  unsigned threads = 0;
  std::size_t max_header_bytes = 16 * 1024;          // larger -> 431
  std::chrono::milliseconds header_timeout{10000};  // whole header must arrive within -> 408
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive idle, body stalls, tunnels
  std::chrono::milliseconds shutdown_grace{10000};  // in-flight requests get this long on shutdown
  std::chrono::milliseconds connect_timeout{2000};  // to a replica; a failure is retried, not returned
  std::size_t max_idle_upstream_per_replica = 256;
  // Connections open to one replica (0 = no limit) before a request released from the hold queue
  // that finds none idle waits for one that another request gives back, for as long as one comes
  // back at least every connection_reuse_wait; then it opens its own. A burst released onto a
  // freshly woken replica thus reuses a few connections instead of opening one per request
  // through Docker's userland proxy (200 requests at zero: 16 connects instead of 200, the last
  // answer about 8 ms sooner); a slow replica still gets one connection per concurrent request,
  // 20 ms later. Requests dispatched at once never wait (in steady state it cost throughput).
  unsigned max_connections_per_replica = 16;
  std::chrono::milliseconds connection_reuse_wait{20};
  TlsOptions tls{};
  // The plain port answers 308 to https (tls.port) instead of serving, except for the ACME
  // webroot and requests that carry `X-Svl-Internal: <internal_token>` (svl's own calls).
  bool redirect_http = false;
  std::string internal_token{};
  // svl's bridge (docs/isolation.md): the gateway also serves plain HTTP on this address (the
  // host's side of the network the sandboxes sit on), so that one function can call another
  // through it (SVL_GATEWAY_URL); "" = not. Connections that arrive on it (through its own
  // listener, or a wildcard listen_address) are never redirected to https.
  std::string bridge_address{};
  std::uint16_t bridge_port = 0;  // 0: the plain port's number
  // Serves GET /.well-known/acme-challenge/TOKEN from this directory (certbot --webroot -w DIR)
  // on the plain port; "" = not served.
  std::string acme_webroot{};
  // Tests only: called on the worker's thread each time a request goes out over an upstream
  // connection, with the worker's index and the connection's local port.
  std::function<void(unsigned worker, std::uint16_t local_port)> on_upstream_request;
};

struct FunctionRoute {
  std::string name;
  std::uint32_t container_concurrency = 0;  // per replica; 0 = unlimited
  std::size_t max_queue = 1000;             // held requests; beyond -> 503 + Retry-After
  std::chrono::milliseconds start_timeout{30000};     // held longer -> 504
  std::chrono::milliseconds upstream_timeout{60000};  // no response header within -> 504
  std::uint64_t max_body = 100ull << 20;              // request body; larger -> 413
  // Hosts (no port) that route here with the whole path, besides NAME.<domain>; any case.
  std::vector<std::string> custom_domains{};
  // Paths only svl's own calls may reach (private cron triggers; svl_calls.hpp's comparable
  // form): outside requests for one get 404.
  std::vector<std::string> private_paths{};
};

struct ReplicaEndpoint {
  std::string id;
  std::string host = "127.0.0.1";  // a numeric address or "localhost"
  std::uint16_t port = 0;
  // Set: `host:port` is inside this network namespace ("/proc/<pid>/ns/net", which must still be
  // inode `netns_inode`; see netns.hpp), and connections are made there.
  std::string netns{};
  std::uint64_t netns_inode = 0;
};

struct ReplicaLoad {
  std::string id;
  bool draining = false;
  std::uint32_t inflight = 0;
  double concurrency_integral = 0;  // request-seconds on this replica since it was added
  std::uint64_t requests_total = 0;
  std::chrono::steady_clock::time_point last_request_end{};
};

struct LoadSnapshot {
  bool known = false;  // false: no such function
  std::uint32_t inflight = 0;
  std::uint32_t queued = 0;
  double concurrency_integral = 0;  // seconds of (inflight + queued) since the function was added, exact
  std::uint64_t requests_total = 0;
  std::chrono::steady_clock::time_point last_request_end{};  // epoch when none yet
  std::vector<ReplicaLoad> replicas;
};

// Implemented by the orchestrator. Called from gateway threads; must not block.
class Listener {
public:
  virtual ~Listener() = default;
  // A request was held with no capacity: scale from zero now. Called for every held request.
  virtual void on_capacity_needed(const std::string& function, std::size_t queued) = 0;
  virtual void on_replica_drained(const std::string& function, const std::string& replica_id) = 0;
  // Connecting failed (the request was retried elsewhere or held again): maybe it died.
  virtual void on_replica_unreachable(const std::string& /*function*/, const std::string& /*replica_id*/) {}
};

// Metrics sink (the orchestrator implements it with prometheus-cpp). Cheap and thread-safe.
class Observer {
public:
  virtual ~Observer() = default;
  // Every request that got an answer (also gateway errors); function "" when unknown.
  virtual void on_request_done(const std::string& /*function*/, unsigned /*status*/, double /*total_seconds*/,
                               double /*held_seconds*/) {}
  // reason: queue_full, start_timeout, body_too_large, header_too_large, header_timeout,
  // bad_request, upstream_reset, upstream_timeout, unknown_function, held_failed
  virtual void on_rejected(const std::string& /*function*/, std::string_view /*reason*/) {}
  // Each TLS connection's handshake. result: ok, failed (a protocol error: bad ClientHello, no
  // shared cipher), no_certificate (nothing covers its SNI), plaintext (HTTP on the TLS port),
  // timeout, closed (the client left), overloaded (max_handshakes already in progress).
  virtual void on_tls_handshake(std::string_view /*result*/, double /*seconds*/) {}
};

class Gateway {
public:
  Gateway(Options options, Listener& listener, Observer& observer);
  ~Gateway();  // shutdown() if still running
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();                 // binds and starts the threads; throws std::system_error on bind failure
  std::uint16_t port() const;   // the bound port (useful with port 0)
  std::uint16_t tls_port() const;  // the bound HTTPS port; 0 without TLS
  std::uint16_t bridge_port() const;  // where bridge_address is served; 0 without it
  void shutdown();              // stop accepting, let in-flight finish within shutdown_grace, join threads

  // Control plane.
  void upsert_function(FunctionRoute route);
  void remove_function(const std::string& name);  // held requests get 404
  void add_replica(const std::string& function, ReplicaEndpoint endpoint);  // ready: takes requests now
  void drain_replica(const std::string& function, const std::string& replica_id);
  void remove_replica(const std::string& function, const std::string& replica_id);
  void fail_held(const std::string& function, unsigned status, std::string message);
  void set_not_ready_reason(const std::string& function, std::string reason);  // "" clears

  LoadSnapshot load(const std::string& function) const;
  std::vector<std::string> functions() const;

  // Readiness: GET `path` on the endpoint every `interval` until a response with status < 500
  // (ready) or `deadline` (not ready; detail says what was last seen). Callback on a gateway thread.
  void probe_ready(ReplicaEndpoint endpoint, std::string path, std::chrono::milliseconds interval,
                   std::chrono::steady_clock::time_point deadline,
                   std::function<void(bool ready, std::string detail)> done);

  class Impl;

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace svl::gateway
