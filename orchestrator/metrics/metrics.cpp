#include "orchestrator/metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <cassert>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace svl::orchestrator {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

constexpr std::array reject_reasons{
    RejectReason::queue_full,     RejectReason::start_timeout,    RejectReason::body_too_large,
    RejectReason::header_too_large, RejectReason::header_timeout, RejectReason::bad_request,
    RejectReason::upstream_reset, RejectReason::upstream_timeout, RejectReason::unknown_function,
    RejectReason::crash_loop,     RejectReason::docker_unavailable, RejectReason::held_failed,
    RejectReason::client_gone,
};
constexpr std::array replica_states{ReplicaState::starting, ReplicaState::ready,
                                    ReplicaState::draining, ReplicaState::paused,
                                    ReplicaState::stopped};
using autoscaler::Tier;
// The tiers a wake starts from (a warm replica is no cold start).
constexpr std::array wake_tiers{Tier::paused, Tier::stopped, Tier::removed};

// Request latency and hold time: 1 ms to 60 s.
const Histogram::BucketBoundaries request_buckets{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,  0.1,    0.25,  0.5,  1,
                                                  2.5,   5,      10,    30,   60};
// Cold starts: fine resolution where svl's goals are (paused ~20 ms, stopped ~100 ms).
const Histogram::BucketBoundaries cold_start_buckets{0.005, 0.01, 0.015, 0.02, 0.03, 0.05,
                                                     0.075, 0.1,  0.15,  0.2,  0.3,  0.5,
                                                     1,     2.5,  5,     10,   30,   60};
// Docker API calls: sub-millisecond (inspect over the socket) up to slow pulls/stops.
const Histogram::BucketBoundaries docker_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                 5,      10,    30,     60};

constexpr std::size_t index_of(RejectReason r) { return static_cast<std::size_t>(r); }
constexpr std::size_t index_of(ReplicaState s) { return static_cast<std::size_t>(s); }
constexpr std::size_t index_of(Tier t) { return static_cast<std::size_t>(t) - static_cast<std::size_t>(Tier::paused); }

// Free-form label values (scale reason, Docker operation) come from svl's own code,
// but are capped anyway so a bug cannot create unbounded series.
bool is_plain_label_value(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

class CappedLabel {
public:
  std::string admit(std::string_view value) {
    if (auto it = seen_.find(value); it != seen_.end()) return *it;
    if (!is_plain_label_value(value) || seen_.size() >= free_label_cap) {
      return std::string(other_label);
    }
    return *seen_.emplace(value).first;
  }

private:
  std::set<std::string, std::less<>> seen_;
};

std::string code_label(int status_code) {
  if (status_code < 100 || status_code > 599) return std::string(other_label);
  return std::to_string(status_code);
}

// Every series of one function label value, created on first use, removable at once.
struct FunctionSeries {
  std::map<int, Counter*> requests_by_code;
  Histogram* duration = nullptr;
  Histogram* held = nullptr;
  std::array<Counter*, reject_reasons.size()> rejected{};
  Gauge* inflight = nullptr;
  Gauge* queued = nullptr;
  std::array<Gauge*, replica_states.size()> replicas{};
  Gauge* desired = nullptr;
  Gauge* panic = nullptr;
  std::array<Counter*, wake_tiers.size()> cold_starts{};
  std::array<Histogram*, wake_tiers.size()> cold_start_duration{};
  std::map<std::pair<ScaleDirection, std::string>, Counter*> scale_events;
  Counter* container_seconds = nullptr;
  Counter* memory_byte_seconds = nullptr;
  std::vector<std::function<void()>> removers;

  void remove_all() {
    for (auto& remove : removers) remove();
    removers.clear();
  }
};

}  // namespace

struct Metrics::Impl {
  explicit Impl(std::string_view version)
      : registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("svl_requests_total")
                     .Help("Requests answered by the gateway, by function and HTTP status code.")
                     .Register(*registry)),
        request_duration(prometheus::BuildHistogram()
                             .Name("svl_request_duration_seconds")
                             .Help("Time a request spent in the gateway, from first byte read to last byte written.")
                             .Register(*registry)),
        request_held(prometheus::BuildHistogram()
                         .Name("svl_request_held_seconds")
                         .Help("Time a held request waited for a ready replica (held requests only).")
                         .Register(*registry)),
        rejected(prometheus::BuildCounter()
                     .Name("svl_requests_rejected_total")
                     .Help("Requests the gateway answered itself instead of a replica, by reason.")
                     .Register(*registry)),
        inflight(prometheus::BuildGauge()
                     .Name("svl_inflight_requests")
                     .Help("Requests currently being served by a replica.")
                     .Register(*registry)),
        queued(prometheus::BuildGauge()
                   .Name("svl_queued_requests")
                   .Help("Requests currently held in the gateway waiting for capacity.")
                   .Register(*registry)),
        replicas(prometheus::BuildGauge()
                     .Name("svl_replicas")
                     .Help("Replicas by function and state (starting, ready, draining, paused, stopped).")
                     .Register(*registry)),
        desired(prometheus::BuildGauge()
                    .Name("svl_autoscaler_desired_replicas")
                    .Help("Ready replicas the autoscaler wants.")
                    .Register(*registry)),
        panic(prometheus::BuildGauge()
                  .Name("svl_autoscaler_panic_mode")
                  .Help("1 while the autoscaler is in panic mode, else 0.")
                  .Register(*registry)),
        cold_starts(prometheus::BuildCounter()
                        .Name("svl_cold_starts_total")
                        .Help("Replicas woken to serve requests, by the tier they were woken from.")
                        .Register(*registry)),
        cold_start_duration(prometheus::BuildHistogram()
                                .Name("svl_cold_start_duration_seconds")
                                .Help("Time from the wake decision to the replica passing its readiness probe.")
                                .Register(*registry)),
        scale_events(prometheus::BuildCounter()
                         .Name("svl_scale_events_total")
                         .Help("Changes of the desired replica count, by direction and autoscaler reason.")
                         .Register(*registry)),
        docker_calls(prometheus::BuildCounter()
                         .Name("svl_docker_api_calls_total")
                         .Help("Docker Engine API calls, by operation and outcome.")
                         .Register(*registry)),
        docker_duration(prometheus::BuildHistogram()
                            .Name("svl_docker_api_call_duration_seconds")
                            .Help("Latency of Docker Engine API calls, by operation.")
                            .Register(*registry)),
        events_reconnects(prometheus::BuildCounter()
                              .Name("svl_docker_events_reconnects_total")
                              .Help("Times the Docker events stream was reopened.")
                              .Register(*registry)),
        usage_container(prometheus::BuildCounter()
                            .Name("svl_usage_container_seconds_total")
                            .Help("Replica running time, summed over replicas.")
                            .Register(*registry)),
        usage_memory(prometheus::BuildCounter()
                         .Name("svl_usage_memory_byte_seconds_total")
                         .Help("Memory limit times running time, summed over replicas (1e9 = one GB-second).")
                         .Register(*registry)),
        build_info(prometheus::BuildGauge()
                       .Name("svl_build_info")
                       .Help("Always 1; the version label says which svl is running.")
                       .Register(*registry)),
        events_reconnects_counter(events_reconnects.Add({})) {
    build_info.Add({{"version", std::string(version)}}).Set(1);
  }

  // make_labels is only called when the series does not exist yet: the hot path
  // (a request on a known function) allocates nothing.
  template <typename T, typename MakeLabels, typename... Args>
  T& lazy(T*& slot, FunctionSeries& series, Family<T>& family, MakeLabels&& make_labels,
          Args&&... args) {
    if (slot == nullptr) {
      slot = &family.Add(make_labels(), std::forward<Args>(args)...);
      series.removers.push_back([&family, metric = slot] { family.Remove(metric); });
    }
    return *slot;
  }

  // Series for events (counters, histograms): unregistered names go to "_unknown".
  std::pair<FunctionSeries*, std::string_view> event_series(std::string_view function) {
    if (auto it = functions.find(function); it != functions.end()) {
      return {&it->second, it->first};
    }
    return {&unknown, unknown_function_label};
  }

  // Series for state (gauges): only registered functions have state.
  std::pair<FunctionSeries*, std::string_view> state_series(std::string_view function) {
    if (auto it = functions.find(function); it != functions.end()) {
      return {&it->second, it->first};
    }
    return {nullptr, {}};
  }

  Labels fn_labels(std::string_view fn) { return {{"function", std::string(fn)}}; }

  Counter& rejected_counter(FunctionSeries& s, std::string_view fn, RejectReason reason) {
    return lazy(s.rejected[index_of(reason)], s, rejected,
                [&] {
                  return Labels{{"function", std::string(fn)},
                                {"reason", std::string(to_string(reason))}};
                });
  }
  Gauge& replicas_gauge(FunctionSeries& s, std::string_view fn, ReplicaState state) {
    return lazy(s.replicas[index_of(state)], s, replicas,
                [&] {
                  return Labels{{"function", std::string(fn)},
                                {"state", std::string(to_string(state))}};
                });
  }
  Counter& cold_start_counter(FunctionSeries& s, std::string_view fn, Tier tier) {
    return lazy(s.cold_starts[index_of(tier)], s, cold_starts,
                [&] {
                  return Labels{{"function", std::string(fn)}, {"tier", std::string(autoscaler::to_string(tier))}};
                });
  }

  std::shared_ptr<prometheus::Registry> registry;
  Family<Counter>& requests;
  Family<Histogram>& request_duration;
  Family<Histogram>& request_held;
  Family<Counter>& rejected;
  Family<Gauge>& inflight;
  Family<Gauge>& queued;
  Family<Gauge>& replicas;
  Family<Gauge>& desired;
  Family<Gauge>& panic;
  Family<Counter>& cold_starts;
  Family<Histogram>& cold_start_duration;
  Family<Counter>& scale_events;
  Family<Counter>& docker_calls;
  Family<Histogram>& docker_duration;
  Family<Counter>& events_reconnects;
  Family<Counter>& usage_container;
  Family<Counter>& usage_memory;
  Family<Gauge>& build_info;
  Counter& events_reconnects_counter;

  // Guards everything below and every Add/Remove, so a series is never used after
  // forget_function removed it.
  mutable std::mutex mutex;
  std::map<std::string, FunctionSeries, std::less<>> functions;
  FunctionSeries unknown;
  CappedLabel scale_reasons;
  CappedLabel docker_operations;
  std::map<std::pair<std::string, DockerOutcome>, Counter*> docker_call_counters;
  std::map<std::string, Histogram*, std::less<>> docker_call_durations;
};

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::queue_full: return "queue_full";
    case RejectReason::start_timeout: return "start_timeout";
    case RejectReason::body_too_large: return "body_too_large";
    case RejectReason::header_too_large: return "header_too_large";
    case RejectReason::header_timeout: return "header_timeout";
    case RejectReason::bad_request: return "bad_request";
    case RejectReason::upstream_reset: return "upstream_reset";
    case RejectReason::upstream_timeout: return "upstream_timeout";
    case RejectReason::unknown_function: return "unknown_function";
    case RejectReason::crash_loop: return "crash_loop";
    case RejectReason::docker_unavailable: return "docker_unavailable";
    case RejectReason::held_failed: return "held_failed";
    case RejectReason::client_gone: return "client_gone";
  }
  return "unknown";
}

std::optional<RejectReason> reject_reason_from_label(std::string_view label) {
  for (auto reason : reject_reasons) {
    if (to_string(reason) == label) return reason;
  }
  return std::nullopt;
}

std::string_view to_string(ReplicaState state) {
  switch (state) {
    case ReplicaState::starting: return "starting";
    case ReplicaState::ready: return "ready";
    case ReplicaState::draining: return "draining";
    case ReplicaState::paused: return "paused";
    case ReplicaState::stopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(ScaleDirection direction) {
  switch (direction) {
    case ScaleDirection::up: return "up";
    case ScaleDirection::down: return "down";
  }
  return "unknown";
}

std::string_view to_string(DockerOutcome outcome) {
  switch (outcome) {
    case DockerOutcome::ok: return "ok";
    case DockerOutcome::not_found: return "not_found";
    case DockerOutcome::conflict: return "conflict";
    case DockerOutcome::unreachable: return "unreachable";
    case DockerOutcome::timeout: return "timeout";
    case DockerOutcome::error: return "error";
  }
  return "unknown";
}

bool is_valid_function_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Metrics::Metrics(std::string_view version) : impl_(std::make_unique<Impl>(version)) {}

Metrics::~Metrics() = default;

bool Metrics::register_function(std::string_view name) {
  if (!is_valid_function_label(name)) return false;
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [it, inserted] = m.functions.try_emplace(std::string(name));
  if (!inserted) return true;
  auto& s = it->second;
  const std::string_view fn = it->first;
  const auto labels = [&m, fn] { return m.fn_labels(fn); };
  // Zero-valued series from the start: rate() and dashboards see 0, not "no data".
  m.lazy(s.duration, s, m.request_duration, labels, request_buckets);
  m.lazy(s.held, s, m.request_held, labels, request_buckets);
  for (auto reason : reject_reasons) m.rejected_counter(s, fn, reason);
  m.lazy(s.inflight, s, m.inflight, labels);
  m.lazy(s.queued, s, m.queued, labels);
  for (auto state : replica_states) m.replicas_gauge(s, fn, state);
  m.lazy(s.desired, s, m.desired, labels);
  m.lazy(s.panic, s, m.panic, labels);
  for (auto tier : wake_tiers) m.cold_start_counter(s, fn, tier);
  m.lazy(s.container_seconds, s, m.usage_container, labels);
  m.lazy(s.memory_byte_seconds, s, m.usage_memory, labels);
  return true;
}

void Metrics::forget_function(std::string_view name) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto it = m.functions.find(name);
  if (it == m.functions.end()) return;
  it->second.remove_all();
  m.functions.erase(it);
}

bool Metrics::is_registered(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->functions.contains(name);
}

void Metrics::request_done(std::string_view function, int status_code, double total_seconds,
                           double held_seconds) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.event_series(function);
  const int code_key = (status_code < 100 || status_code > 599) ? 0 : status_code;
  auto& slot = s->requests_by_code[code_key];
  m.lazy(slot, *s, m.requests,
         [&] { return Labels{{"function", std::string(fn)}, {"code", code_label(status_code)}}; })
      .Increment();
  const auto labels = [&m, fn] { return m.fn_labels(fn); };
  m.lazy(s->duration, *s, m.request_duration, labels, request_buckets).Observe(total_seconds);
  if (held_seconds > 0) {
    m.lazy(s->held, *s, m.request_held, labels, request_buckets).Observe(held_seconds);
  }
}

void Metrics::rejected(std::string_view function, RejectReason reason) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.event_series(function);
  m.rejected_counter(*s, fn, reason).Increment();
}

void Metrics::set_load(std::string_view function, double inflight, double queued) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.state_series(function);
  if (s == nullptr) return;
  const auto labels = [&m, fn] { return m.fn_labels(fn); };
  m.lazy(s->inflight, *s, m.inflight, labels).Set(inflight);
  m.lazy(s->queued, *s, m.queued, labels).Set(queued);
}

void Metrics::set_replicas(std::string_view function, ReplicaState state, std::size_t n) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.state_series(function);
  if (s == nullptr) return;
  m.replicas_gauge(*s, fn, state).Set(static_cast<double>(n));
}

void Metrics::set_desired(std::string_view function, std::size_t n, bool panic) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.state_series(function);
  if (s == nullptr) return;
  const auto labels = [&m, fn] { return m.fn_labels(fn); };
  m.lazy(s->desired, *s, m.desired, labels).Set(static_cast<double>(n));
  m.lazy(s->panic, *s, m.panic, labels).Set(panic ? 1 : 0);
}

void Metrics::cold_start(std::string_view function, Tier tier, double seconds) {
  assert(tier != Tier::warm);  // a wake starts below warm
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.event_series(function);
  m.cold_start_counter(*s, fn, tier).Increment();
  m.lazy(s->cold_start_duration[index_of(tier)], *s, m.cold_start_duration,
         [&] {
           return Labels{{"function", std::string(fn)}, {"tier", std::string(autoscaler::to_string(tier))}};
         },
         cold_start_buckets)
      .Observe(seconds);
}

void Metrics::scale_event(std::string_view function, ScaleDirection direction,
                          std::string_view reason) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.event_series(function);
  std::string reason_label = m.scale_reasons.admit(reason);
  auto& slot = s->scale_events[{direction, reason_label}];
  m.lazy(slot, *s, m.scale_events,
         [&] {
           return Labels{{"function", std::string(fn)},
                         {"direction", std::string(to_string(direction))},
                         {"reason", reason_label}};
         })
      .Increment();
}

void Metrics::docker_call(std::string_view operation, DockerOutcome outcome, double seconds) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  std::string op = m.docker_operations.admit(operation);
  auto& counter = m.docker_call_counters[{op, outcome}];
  if (counter == nullptr) {
    counter = &m.docker_calls.Add({{"operation", op}, {"outcome", std::string(to_string(outcome))}});
  }
  counter->Increment();
  auto& histogram = m.docker_call_durations[op];
  if (histogram == nullptr) {
    histogram = &m.docker_duration.Add({{"operation", op}}, docker_buckets);
  }
  histogram->Observe(seconds);
}

void Metrics::events_reconnect() { impl_->events_reconnects_counter.Increment(); }

void Metrics::usage(std::string_view function, double container_seconds,
                    double memory_byte_seconds) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto [s, fn] = m.event_series(function);
  const auto labels = [&m, fn] { return m.fn_labels(fn); };
  // Counters only go up: a negative increment would be a caller bug; ignore it.
  if (container_seconds > 0) {
    m.lazy(s->container_seconds, *s, m.usage_container, labels).Increment(container_seconds);
  }
  if (memory_byte_seconds > 0) {
    m.lazy(s->memory_byte_seconds, *s, m.usage_memory, labels).Increment(memory_byte_seconds);
  }
}

std::shared_ptr<prometheus::Registry> Metrics::registry() const { return impl_->registry; }

std::string Metrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, impl_->registry->Collect());
  return out.str();
}

}  // namespace svl::orchestrator
