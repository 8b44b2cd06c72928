#pragma once
// Every Prometheus metric of svl, behind typed methods so callers never spell a
// metric or label name. Label values come only from enums, registered function
// names, or small capped sets: nothing from raw request data reaches a label,
// so a flood of unknown hosts cannot grow the number of series.
//
// Thread-safe: every method may be called from any thread (gateway threads,
// Docker worker pool, orchestrator thread).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "autoscaler/keepalive.hpp"

namespace prometheus {
class Registry;
}

namespace svl::orchestrator {

// Why the gateway (or the wake path) answered a request itself instead of a replica.
enum class RejectReason {
  queue_full,          // hold queue at its bound: 503 + Retry-After
  start_timeout,       // held longer than start_timeout: 504
  body_too_large,      // 413
  header_too_large,    // 431
  header_timeout,      // slowloris: 408
  bad_request,         // malformed or smuggling attempt: 400
  upstream_reset,      // 502
  upstream_timeout,    // 504
  unknown_function,    // 404
  crash_loop,          // function backing off after repeated crashes: 503
  docker_unavailable,  // wake impossible while dockerd is down: 503
  held_failed,         // held requests answered by the orchestrator (Gateway::fail_held)
  client_gone,         // the client went away before its answer
};

enum class ReplicaState { starting, ready, draining, paused, stopped };

// The tier a cold start woke a replica from.

enum class ScaleDirection { up, down };

enum class DockerOutcome { ok, not_found, conflict, unreachable, timeout, error };

std::string_view to_string(RejectReason reason);
// The inverse of to_string(RejectReason): maps gateway::reason_label() strings
// (Observer::on_rejected) to the enum; nullopt for anything else.
std::optional<RejectReason> reject_reason_from_label(std::string_view label);
std::string_view to_string(ReplicaState state);
std::string_view to_string(ScaleDirection direction);
std::string_view to_string(DockerOutcome outcome);

// Label value used for anything that is not a registered function (unknown host,
// function deleted while a request was in flight, ...). Cannot clash with a
// function name, which is [a-z0-9-]+.
inline constexpr std::string_view unknown_function_label = "_unknown";

// Label value for free-form labels (Docker operation, scale reason) once their
// distinct-value cap is reached.
inline constexpr std::string_view other_label = "_other";

// Distinct values kept per free-form label (Docker operation, scale reason).
inline constexpr std::size_t free_label_cap = 32;

class Metrics {
public:
  explicit Metrics(std::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Function label set. register_function creates the function's series at zero
  // (gauges, usage, rejections by reason, cold starts by tier) so dashboards show
  // 0 rather than "no data". Returns false (and does nothing) for a name that is
  // not a valid function name. Idempotent.
  bool register_function(std::string_view name);
  // Removes every series carrying function=name. Later calls for that name are
  // recorded under function="_unknown" (counters) or dropped (gauges).
  void forget_function(std::string_view name);
  bool is_registered(std::string_view name) const;

  // One answered request (every request the gateway answers, including its own
  // error answers). total_seconds: time in the gateway, from the first byte read
  // to the last byte written. held_seconds: time spent held waiting for a replica;
  // <= 0 means the request was never held and is not observed in the held histogram.
  void request_done(std::string_view function, int status_code, double total_seconds,
                    double held_seconds);
  // A request the gateway answered itself, by reason (also counted by request_done).
  void rejected(std::string_view function, RejectReason reason);

  // Gauges: current state of a registered function. Calls for an unregistered
  // function are dropped (a function that does not exist has no state).
  void set_load(std::string_view function, double inflight, double queued);
  void set_replicas(std::string_view function, ReplicaState state, std::size_t n);
  void set_desired(std::string_view function, std::size_t n, bool panic);

  // A replica woke from `tier`; seconds from the wake decision (or the held
  // request) to the replica passing its readiness probe.
  void cold_start(std::string_view function, autoscaler::Tier from, double seconds);  // paused, stopped or removed
  // The autoscaler changed the desired replica count; reason is its short
  // machine-readable reason (e.g. "concurrency", "panic", "idle", "min_scale").
  void scale_event(std::string_view function, ScaleDirection direction, std::string_view reason);

  // One Docker Engine API call; operation is a short fixed name ("create",
  // "start", "pause", "unpause", "stop", "remove", "inspect", "list", "logs", ...).
  void docker_call(std::string_view operation, DockerOutcome outcome, double seconds);
  // The Docker events stream had to be reopened.
  void events_reconnect();

  // Metering increments since the previous call: container-seconds (replica
  // running time) and memory byte-seconds (memory limit x running time; divide by
  // 1e9 for the GB-seconds clouds bill). Prometheus base units, hence bytes.
  void usage(std::string_view function, double container_seconds, double memory_byte_seconds);

  // The registry, for MetricsServer (or any other exposer).
  std::shared_ptr<prometheus::Registry> registry() const;
  // Current state in the Prometheus text exposition format.
  std::string serialize() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for names the function registry accepts: [a-z0-9-], 1 to 63 characters.
bool is_valid_function_label(std::string_view name);

}  // namespace svl::orchestrator
