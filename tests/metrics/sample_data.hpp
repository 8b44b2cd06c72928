#pragma once
// Drives every Metrics method, so a serialization holds every series svl can export.
// Used by the dashboard test (metric names) and svl_metrics_demo (Prometheus proof).
#include <string>

#include "orchestrator/metrics/cron_metrics.hpp"
#include "orchestrator/metrics/metrics.hpp"

namespace svl::test {

// Cron triggers' metrics (their own class, on the same registry).
inline void record_cron_sample_data(svl::orchestrator::CronMetrics& c, int round) {
  c.runs("hello", "ok");
  if (round % 4 == 0) c.runs("hello", "failed");
  if (round % 7 == 0) c.runs("resize", "skipped", 2);
  c.lateness(0.002 + 0.001 * (round % 3));
}

// One round of traffic; call repeatedly (round = 0, 1, 2...) for moving rates.
inline void record_sample_data(svl::orchestrator::Metrics& m, int round) {
  using namespace svl::orchestrator;
  for (const char* fn : {"hello", "resize"}) {
    m.register_function(fn);
    const double scale = std::string(fn) == "hello" ? 1.0 : 3.0;
    for (int i = 0; i < 10; ++i) m.request_done(fn, 200, 0.002 * scale * (1 + i % 4), 0);
    m.request_done(fn, 404, 0.001, 0);
    m.request_done(fn, 200, 0.09 * scale, 0.08 * scale);  // held through a cold start
    m.request_done(fn, 503, 0.0005, 0);
    m.rejected(fn, RejectReason::queue_full);
    m.request_done(fn, 504, 30, 30);
    m.rejected(fn, RejectReason::start_timeout);
    m.set_load(fn, (round % 5) * scale, round % 3);
    m.set_replicas(fn, ReplicaState::starting, round % 2);
    m.set_replicas(fn, ReplicaState::ready, 1 + round % 3);
    m.set_replicas(fn, ReplicaState::draining, round % 4 == 0 ? 1 : 0);
    m.set_replicas(fn, ReplicaState::paused, 1);
    m.set_replicas(fn, ReplicaState::stopped, 2);
    m.set_desired(fn, 1 + round % 3, round % 10 == 0);
    m.cold_start(fn, svl::autoscaler::Tier::paused, 0.012 * scale);
    m.cold_start(fn, svl::autoscaler::Tier::stopped, 0.085 * scale);
    m.cold_start(fn, svl::autoscaler::Tier::removed, 0.3 * scale);
    m.scale_event(fn, ScaleDirection::up, "concurrency");
    m.scale_event(fn, ScaleDirection::down, "idle");
    m.usage(fn, 1.5 * scale, 1.5 * scale * 268435456.0);
  }
  m.request_done("", 404, 0.0002, 0);  // unknown host
  m.rejected("", RejectReason::unknown_function);
  m.docker_call("start", DockerOutcome::ok, 0.07);
  m.docker_call("unpause", DockerOutcome::ok, 0.012);
  m.docker_call("inspect", DockerOutcome::not_found, 0.0008);
  m.docker_call("create", DockerOutcome::conflict, 0.02);
  if (round % 7 == 0) m.events_reconnect();
}

}  // namespace svl::test
