#pragma once
// Carries out the reconcile core's steps: runtime operations and probes as coroutines on the
// control thread, gateway and metrics steps at once. Each outcome goes back through `Sinks` as
// an event; the driver never decides anything and never calls into the controller.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <list>
#include <memory>

#include "gateway/gateway.hpp"
#include "orchestrator/control/function_core.hpp"
#include "orchestrator/control/steps.hpp"
#include "orchestrator/metrics/metrics.hpp"
#include "orchestrator/runtime/container_runtime.hpp"

namespace svl::orchestrator {

struct DriverOptions {
  std::chrono::milliseconds probe_interval{2};
  // A probe runs in rounds this long; between rounds it asks whether its operation still
  // matters (a replica that died meanwhile is not probed to its deadline).
  std::chrono::milliseconds probe_round{250};
};

class ReplicaDriver {
public:
  struct Sinks {
    std::function<void(control::OpKind, control::Outcome)> outcome;
    std::function<void(std::string function)> timer;
    std::function<void(control::step::RollBack)> rollback;
    std::function<void()> resync;
    // Whether an operation is still the slot's current one (read-only).
    std::function<bool(const control::Op&)> current;
  };

  ReplicaDriver(boost::asio::io_context& ctl, runtime::ContainerRuntime& runtime, gateway::Gateway& gateway,
                Metrics& metrics, DriverOptions options, Sinks sinks);
  ~ReplicaDriver();

  void run(control::Steps steps);
  // No more outcomes are reported and pending timers are cancelled; operations in flight finish
  // (their runtime calls are cancelled by the runtime's owner).
  void stop();
  std::size_t in_flight() const { return in_flight_; }
  // Until every operation in flight has completed (start-up waits for its strays' removal).
  boost::asio::awaitable<void> idle();

private:
  void run_one(control::Step& step);
  template <class Body>
  void spawn(control::OpKind kind, control::Op op, Body body);
  boost::asio::awaitable<control::Outcome> probe(control::step::Probe p);

  boost::asio::io_context& ctl_;
  runtime::ContainerRuntime& runtime_;
  gateway::Gateway& gateway_;
  Metrics& metrics_;
  DriverOptions options_;
  Sinks sinks_;
  std::size_t in_flight_ = 0;
  bool stopped_ = false;
  std::list<boost::asio::steady_timer> timers_;
};

}  // namespace svl::orchestrator
